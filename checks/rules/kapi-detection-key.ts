/**
 * kapi-detection-key: a kerneldoc spec that the build (or the extractor) will not find. Nothing
 * reads a KAPI kerneldoc comment unless a tool first decides it is one, and each tool decides by
 * its own keys. PATCH v3's build broke because kbuild grepped `context-flags:` while every spec
 * used `contexts:`; PATCH v4's tools/kapi hands its kerneldoc parser only comments that contain
 * `context-flags:`, `param-count:`, `side-effect:`, `state-trans:` or `error-code:`.
 *
 * The rules are the framework's own (ctx.framework: the series', the tree's or the latest known
 * posting's), learned from its files:
 * - kbuild: some line of the file must match the Makefile.build grep, or no .apispec.h is made
 *   for the file (option `keys` replaces the grep's key list, e.g. ['context-flags'] for PATCH v3);
 * - generator: kernel-doc -apispec skips a comment with too few indicator sections;
 * - extractor (option `tools`: 'extractor' or 'both'): the strings tools/kapi's source parser
 *   looks for.
 * Option `target` judges by a known posting instead ('kerneldoc-1': RFC v3, 'kerneldoc-3': PATCH
 * v4; 'kerneldoc-2': no posting of that generation is known, so only a kbuild grep, RFC v3's,
 * which holds context-flags like every grep of that time). A rule the framework does not have is
 * not checked. The macro form is always found. In hunks mode, silent on the file-level grep when
 * the spec lacks the key.
 */
import type { FactSource, Framework } from '../../parsers/kapi/framework.js';
import { builtinByPosting } from '../../parsers/kapi/frameworks.js';
import type { ApiSpec, SpecForm } from '../../parsers/kapi/model.js';
import { escapeRe } from '../../parsers/text/regex.js';
import { defineCheck, type RuleContext, type Zod } from '../define.js';
import { targetOption } from '../lib/options.js';
import type { Evidence } from '../types.js';
import { evidenceAt, frameworkEvidence } from '../unit.js';

type Rules = Pick<Framework, 'kbuild' | 'generator' | 'extractor'> & { name: string };

/** The rules of the posting a `target` option names. */
function rulesOfTarget(target: SpecForm): Rules {
  const none: Rules = { name: target, kbuild: null, generator: null, extractor: null };
  const r3 = builtinByPosting('rfc-v3');
  const p4 = builtinByPosting('patch-v4');
  switch (target) {
    case 'kerneldoc-1':
      return r3 ?? none;
    case 'kerneldoc-2':
      return { ...none, name: r3?.name ?? target, kbuild: r3?.kbuild ?? null };
    case 'kerneldoc-3':
      return p4 ?? none;
    default:
      return none;
  }
}

const schema = (z: Zod) =>
  z.strictObject({
    target: targetOption(z),
    /** Which tools' detection to check: kbuild's grep and the generator, the extractor, or both. */
    tools: z.enum(['kbuild', 'extractor', 'both']).default('kbuild'),
    /** Key names that replace the kbuild grep's list. */
    keys: z
      .array(z.string().regex(/^[\w-]+$/))
      .min(1)
      .optional(),
  });

const options = { schema, defaults: { tools: 'kbuild' as const } };

/** The text of a comment line without the comment markers. */
const bodyOf = (raw: string): string =>
  raw
    .replace(/^\s*\/\*\*/, '')
    .replace(/^\s*\*(?!\/)/, '')
    .replace(/\*\/.*$/, '');

function quoteList(keys: readonly string[]): string {
  const q = keys.map((k) => `'${k}'`);
  return q.length <= 1 ? (q[0] ?? '') : `${q.slice(0, -1).join(', ')} or ${q[q.length - 1]}`;
}

/** The first line of the comment with text (the summary line), for the finding and its evidence. */
function firstTextLine(ctx: Ctx, spec: ApiSpec): number {
  for (let n = spec.line; n <= spec.endLine; n++) if (bodyOf(ctx.unit.line(n) ?? '').trim() !== '') return n;
  return spec.line;
}

/** The line that sets the spec's contexts, if any (kbuild's own key, under another name). */
function contextLine(ctx: Ctx, spec: ApiSpec): number | null {
  for (let n = spec.line; n <= spec.endLine; n++)
    if (/^\s*(contexts|context-flags|context)\s*:/i.test(bodyOf(ctx.unit.line(n) ?? ''))) return n;
  return null;
}

const messages = {
  kbuild:
    "{spec} is never built: kbuild generates a file's specs only when a line of it has {keys}, and none does",
  generator:
    '{spec} is skipped by kernel-doc -apispec: it needs {need} of the sections {indicators} and has {have}',
  extractor: '{spec} is skipped by tools/kapi --source: the comment has none of {keys}',
};

type Ctx = RuleContext<typeof messages, ReturnType<typeof schema>>;

export const check = defineCheck({
  meta: {
    id: 'kapi-detection-key',
    description:
      'A kerneldoc spec that the build (or tools/kapi) does not recognise as one, because it lacks every key they look for.',
    severity: 'warning',
    messages,
  },
  options,
  run(ctx) {
    const { tools } = ctx.options;
    const rules: Rules = ctx.options.target ? rulesOfTarget(ctx.options.target) : ctx.framework;
    const keys = ctx.options.keys ?? null;
    const grepKeys = keys ?? rules.kbuild?.keys ?? null;
    const grep = grepKeys
      ? new RegExp(`^[ \\t\\f\\v]*\\*[ \\t\\f\\v]*(?:${grepKeys.map(escapeRe).join('|')}):`)
      : null;
    // kbuild greps the whole file: one matching line anywhere makes every spec in it seen
    let fileHasKey: boolean | null = null;
    if (grep && ctx.unit.mode === 'full') {
      fileHasKey = false;
      for (let n = 1; ; n++) {
        const l = ctx.unit.line(n);
        if (l === undefined) break;
        if (grep.test(l)) {
          fileHasKey = true;
          break;
        }
      }
    }
    for (const spec of ctx.unit.specs) {
      if (spec.partial || spec.form === 'macro') continue;
      const lines: string[] = [];
      for (let n = spec.line; n <= spec.endLine; n++) lines.push(ctx.unit.line(n) ?? '');
      const at = firstTextLine(ctx, spec);
      const evidence = (extra: number | null = null, src: FactSource | null = null): Evidence[] => {
        const ev = [evidenceAt(ctx.unit, at)];
        if (extra !== null && extra !== at) ev.push(evidenceAt(ctx.unit, extra));
        ev.push(...frameworkEvidence(src));
        return ev;
      };

      if (tools !== 'extractor') {
        // kbuild's grep over the file
        const specHasKey = grep !== null && lines.some((l) => grep.test(l));
        if (grep && grepKeys && !specHasKey && fileHasKey === false) {
          const ctxLine = contextLine(ctx, spec);
          ctx.report({
            messageId: 'kbuild',
            data: { spec: spec.name, keys: quoteList(grepKeys.map((k) => `${k}:`)) },
            line: at,
            spec: spec.name,
            subject: 'detect:kbuild',
            evidence: evidence(ctxLine, keys ? null : (rules.kbuild?.source ?? null)),
          });
        }
        // kernel-doc -apispec's indicator sections in this comment
        const gen = rules.generator;
        if (gen) {
          const have = new Set<string>();
          for (const l of lines) {
            const m = /^\s*@?([A-Za-z][\w.-]*)\s*:/.exec(bodyOf(l));
            if (!m) continue;
            const key = (m[1] as string).toLowerCase();
            for (const ind of gen.indicators) if (key.startsWith(ind)) have.add(ind);
          }
          if (have.size < gen.need)
            ctx.report({
              messageId: 'generator',
              data: {
                spec: spec.name,
                need: gen.need === 1 ? 'one' : `${gen.need}`,
                indicators: quoteList(gen.indicators.map((k) => `${k}:`)),
                have: have.size === 0 ? 'none' : quoteList([...have].map((k) => `${k}:`)),
              },
              line: at,
              spec: spec.name,
              subject: 'detect:generator',
              evidence: evidence(null, gen.source),
            });
        }
      }

      const ext = rules.extractor;
      if (tools !== 'kbuild' && ext) {
        // source_parser.rs reads the comment from the line after `/**` to the line before `*/`
        const doc = lines.slice(1, -1).join('\n');
        if (!ext.needles.some((k) => doc.includes(k)))
          ctx.report({
            messageId: 'extractor',
            data: { spec: spec.name, keys: quoteList(ext.needles) },
            line: at,
            spec: spec.name,
            subject: 'detect:extractor',
            evidence: evidence(null, ext.source),
          });
      }
    }
  },
});
