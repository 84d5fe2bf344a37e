/**
 * kapi-detection-key: a kerneldoc spec that the build (or the extractor) will not find. Nothing
 * reads a KAPI kerneldoc comment unless a tool first decides it is one, and each tool decides by
 * its own keys. PATCH v3's build broke because kbuild grepped `context-flags:` while every spec
 * used `contexts:`; PATCH v4's tools/kapi hands its kerneldoc parser only comments that contain
 * `context-flags:`, `param-count:`, `side-effect:`, `state-trans:` or `error-code:`.
 *
 * The rules, per target generation (option `target`, default 'kerneldoc-3'), from each posting's
 * own scripts (see docs/checks/kapi-detection-key.md):
 * - kbuild: some line of the file must match the Makefile.build grep, or no .apispec.h is made
 *   for the file (option `keys` replaces the grep's key list, e.g. ['context-flags'] for PATCH v3);
 * - generator: kernel-doc -apispec skips a comment with too few indicator sections (PATCH v4: two
 *   distinct, RFC v3: one);
 * - extractor (option `tools`: 'extractor' or 'both'): PATCH v4's source_parser.rs substrings.
 * The macro form is always found. Silent on kerneldoc-2's generator and extractor (those postings
 * are not in the corpus) and, in hunks mode, on the file-level grep when the spec lacks the key.
 */
import type { ApiSpec, SpecForm } from '../parsers/kapi/model.js';
import type { Check, CheckContext, Evidence } from './types.js';
import { evidenceAt } from './unit.js';

const TARGETS: readonly SpecForm[] = ['macro', 'kerneldoc-1', 'kerneldoc-2', 'kerneldoc-3'];

/** RFC v3 scripts/Makefile.build: `grep -qE '^\s*\*\s*(api-type|long-desc|...):'`. */
const R3_KBUILD = [
  'api-type',
  'long-desc',
  'context-flags',
  'param-type',
  'error-code',
  'capability',
  'signal',
  'lock',
  'side-effect',
  'state-trans',
];
/** PATCH v4 scripts/Makefile.build: `grep -lE '^[[:space:]]*\*[[:space:]]*(contexts|context-flags|context):'`. */
const P4_KBUILD = ['contexts', 'context-flags', 'context'];

/**
 * The file-level grep keys per target. Gen 2's Makefile (RFC v4 to PATCH v2) is not in the corpus:
 * PATCH v3 still grepped `context-flags` alone, RFC v3 grepped the wider list; the wider one (which
 * holds context-flags) is used so that nothing is reported that either would have found.
 */
const KBUILD_KEYS: Record<SpecForm, readonly string[] | null> = {
  macro: null,
  'kerneldoc-1': R3_KBUILD,
  'kerneldoc-2': R3_KBUILD,
  'kerneldoc-3': P4_KBUILD,
};

/** kernel-doc -apispec's `_has_api_spec` / RFC v3's `api_indicators`: section-name prefixes and how many it needs. */
const GENERATOR: Record<SpecForm, { indicators: readonly string[]; need: number } | null> = {
  macro: null,
  'kerneldoc-1': {
    indicators: [
      'api-type',
      'context-flags',
      'param-type',
      'error-code',
      'capability',
      'signal',
      'lock',
      'side-effect',
      'state-trans',
    ],
    need: 1,
  },
  'kerneldoc-2': null,
  'kerneldoc-3': {
    indicators: [
      'api-type',
      'context-flags',
      'contexts',
      'param-type',
      'error-code',
      'capability',
      'signal',
      'lock',
      'state-trans',
      'constraint',
      'side-effect',
      'long-desc',
    ],
    need: 2,
  },
};

/** PATCH v4 tools/kapi/src/extractor/source_parser.rs: `current_doc.contains(...)`. */
const P4_EXTRACTOR = ['context-flags:', 'param-count:', 'side-effect:', 'state-trans:', 'error-code:'];

function option(options: Readonly<Record<string, unknown>>) {
  const t = options.target;
  const target: SpecForm =
    typeof t === 'string' && (TARGETS as readonly string[]).includes(t) ? (t as SpecForm) : 'kerneldoc-3';
  const tools = options.tools === 'extractor' || options.tools === 'both' ? options.tools : 'kbuild';
  const keys =
    Array.isArray(options.keys) &&
    options.keys.length > 0 &&
    options.keys.every((k) => typeof k === 'string' && /^[\w-]+$/.test(k))
      ? (options.keys as string[])
      : null;
  return { target, tools, keys };
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

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
function firstTextLine(ctx: CheckContext, spec: ApiSpec): number {
  for (let n = spec.line; n <= spec.endLine; n++) if (bodyOf(ctx.unit.line(n) ?? '').trim() !== '') return n;
  return spec.line;
}

/** The line that sets the spec's contexts, if any (kbuild's own key, under another name). */
function contextLine(ctx: CheckContext, spec: ApiSpec): number | null {
  for (let n = spec.line; n <= spec.endLine; n++)
    if (/^\s*(contexts|context-flags|context)\s*:/i.test(bodyOf(ctx.unit.line(n) ?? ''))) return n;
  return null;
}

export const check: Check = {
  meta: {
    id: 'kapi-detection-key',
    description:
      'A kerneldoc spec that the build (or tools/kapi) does not recognise as one, because it lacks every key they look for.',
    severity: 'warning',
    messages: {
      kbuild:
        "{spec} is never built: kbuild generates a file's specs only when a line of it has {keys}, and none does",
      generator:
        '{spec} is skipped by kernel-doc -apispec: it needs {need} of the sections {indicators} and has {have}',
      extractor: '{spec} is skipped by tools/kapi --source: the comment has none of {keys}',
    },
  },
  run(ctx) {
    const { target, tools, keys } = option(ctx.options);
    const grepKeys = keys ?? KBUILD_KEYS[target];
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
      const evidence = (extra: number | null = null): Evidence[] => {
        const ev = [evidenceAt(ctx.unit, at)];
        if (extra !== null && extra !== at) ev.push(evidenceAt(ctx.unit, extra));
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
            evidence: evidence(ctxLine),
          });
        }
        // kernel-doc -apispec's indicator sections in this comment
        const gen = GENERATOR[target];
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
              evidence: evidence(),
            });
        }
      }

      if (tools !== 'kbuild' && target === 'kerneldoc-3') {
        // source_parser.rs reads the comment from the line after `/**` to the line before `*/`
        const doc = lines.slice(1, -1).join('\n');
        if (!P4_EXTRACTOR.some((k) => doc.includes(k)))
          ctx.report({
            messageId: 'extractor',
            data: { spec: spec.name, keys: quoteList(P4_EXTRACTOR) },
            line: at,
            spec: spec.name,
            subject: 'detect:extractor',
            evidence: evidence(),
          });
      }
    }
  },
};
