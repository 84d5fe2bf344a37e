/**
 * kapi-deprecated-form: a spec written in a form, or with a word, that the framework it is judged
 * by (ctx.framework: the series', else the tree's, else the latest known posting's) removed or
 * superseded:
 * - `since-version` / KAPI_SINCE_VERSION (removed in PATCH v2 after Corbet and Greg KH asked what it
 *   means) when the framework no longer defines it;
 * - the spec's form when the framework no longer reads it, as a warning: hand-written macro specs
 *   once its headers have no *_END macros (PATCH v3/v4 generate the macros from kerneldoc), gen-1
 *   flat keys its kernel-doc no longer knows as sections;
 * - an older kerneldoc generation the framework still reads but has superseded, as info: gen 2's
 *   KAPI_* constants where it has short tokens, gen 1's flat keys where it has blocks.
 * A form the framework reads and has not superseded is not reported: a macro spec in a series that
 * carries RFC v2's headers is what that framework asks for. Option `target` ('macro' |
 * 'kerneldoc-1' | 'kerneldoc-2' | 'kerneldoc-3') judges by that generation instead, as the
 * postings of that generation did.
 */
import {
  FORM_RANK,
  type Framework,
  formsOf,
  knowsKey,
  knowsName,
  newestForm,
} from '../../parsers/kapi/framework.js';
import { MACROS } from '../../parsers/kapi/macro.js';
import type { ApiSpec, SpecForm } from '../../parsers/kapi/model.js';
import { defineCheck, type RuleContext, type Zod } from '../define.js';
import { SPEC_FORMS, targetOption } from '../lib/options.js';
import type { Evidence, Report, Severity } from '../types.js';
import { evidenceAt, frameworkEvidence } from '../unit.js';

const DEFAULT_TARGET: SpecForm = 'kerneldoc-3';

const schema = (z: Zod) => z.strictObject({ target: targetOption(z) });
const options = { schema, defaults: {} };

/** The target generation from raw options; an unknown value falls back to the default. */
export function targetOf(raw: Readonly<Record<string, unknown>>): SpecForm {
  const t = Object.hasOwn(raw, 'target') ? raw.target : undefined;
  return (SPEC_FORMS as readonly unknown[]).includes(t) ? (t as SpecForm) : DEFAULT_TARGET;
}

const FORM_NAME: Record<SpecForm, string> = {
  macro: 'the macro form (RFC v1/v2)',
  'kerneldoc-1': 'kerneldoc gen 1, flat keys (RFC v3)',
  'kerneldoc-2': 'kerneldoc gen 2, KAPI_* constants (RFC v4 to PATCH v2)',
  'kerneldoc-3': 'kerneldoc gen 3, short tokens (PATCH v3/v4)',
};

/** Macros that close a block or a spec: *_END and KAPI_END_SPEC (R1 to P2, gone in P3/P4). */
const END_MACROS = new Set([
  'KAPI_END_SPEC',
  ...Object.entries(MACROS)
    .filter(([, d]) => d.closes !== undefined)
    .map(([n]) => n),
]);

/**
 * Gen-1 flat keys that PATCH v4's kernel-doc no longer knows as sections (its doc_sect has
 * `param(?!-)`, `lock(?!-)`, ... and only a few variants such as error-code and return-type), so
 * their lines end up as text of the section before them.
 */
function droppedByP4(key: string): boolean {
  const k = key.replace(/^@/, '').replace(/:$/, '').toLowerCase();
  if (
    /^(error-code|error-condition|return-(type|check|check-type|success|desc)|struct-type|struct-field(-.*)?)$/.test(
      k,
    )
  )
    return false;
  if (/-count$/.test(k)) return false;
  return /^(param|lock|signal|capability|side-effect|state-trans|constraint)-./.test(k);
}

/** Code text without comments and string literals, for spotting macro names. */
function codeOnly(line: string): string {
  return line
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\/\*.*?\*\//g, ' ')
    .replace(/\/\/.*$/, '');
}

function ev(ctx: Ctx, line: number): Evidence {
  return evidenceAt(ctx.unit, line);
}

function formFinding(
  ctx: Ctx,
  spec: ApiSpec,
  target: SpecForm,
): { line: number; severity: Severity; why: string; evidence: Evidence[] } | null {
  if (FORM_RANK[spec.form] >= FORM_RANK[target]) return null;
  if (spec.form === 'macro') {
    // PATCH v3/v4 generate the macros into <file>.apispec.h: those are not written by hand
    if (/\.apispec\.h$/.test(ctx.unit.path)) return null;
    const hard = target === 'kerneldoc-3';
    return {
      line: spec.line,
      severity: hard ? 'warning' : 'info',
      why: hard
        ? 'since PATCH v3 the build generates the macros from kerneldoc; write the spec as kerneldoc'
        : 'write the spec as kerneldoc',
      evidence: [ev(ctx, spec.line)],
    };
  }
  // kerneldoc: the first line that shows the old form
  const flat = spec.assignments.filter((a) => /^@?[a-z]+(?:-[a-z]+)+:$/.test(a.via));
  if (spec.form === 'kerneldoc-1') {
    const dropped = target === 'kerneldoc-3' ? flat.find((a) => droppedByP4(a.via)) : undefined;
    const first =
      dropped ?? flat.find((a) => /^(param|error|lock|signal|capability)-/.test(a.via)) ?? flat[0];
    const line = first?.line ?? spec.line;
    return {
      line,
      severity: dropped ? 'warning' : 'info',
      why: dropped
        ? `PATCH v4's kernel-doc no longer parses flat keys such as '${dropped.via}'; use blocks (param: with indented type:)`
        : 'use blocks with indented sub-keys',
      evidence: [ev(ctx, line)],
    };
  }
  // kerneldoc-2 under gen 3: KAPI_* constants where short tokens exist
  const konst = spec.assignments.find((a) => /\bKAPI_[A-Z]/.test(a.value) && a.line >= spec.line);
  const line = konst?.line ?? spec.line;
  return {
    line,
    severity: 'info',
    why: 'use the short tokens (contexts: process, type: uint, ...)',
    evidence: [ev(ctx, line)],
  };
}

/** The form finding under the framework the series is judged by. */
function frameworkFormFinding(
  ctx: Ctx,
  spec: ApiSpec,
): { line: number; severity: Severity; why: string; evidence: Evidence[]; target: SpecForm } | null {
  const fw = ctx.framework;
  const newest = newestForm(fw);
  if (newest === null || FORM_RANK[spec.form] >= FORM_RANK[newest]) return null;
  const reads = formsOf(fw).includes(spec.form);
  if (spec.form === 'macro') {
    if (reads || /\.apispec\.h$/.test(ctx.unit.path)) return null;
    const header = fw.header;
    const def = knowsName(fw, 'DEFINE_KERNEL_API_SPEC');
    return {
      line: spec.line,
      severity: 'warning',
      why: `${header ?? 'the KAPI headers'} of ${def?.from ?? fw.name} define${header ? 's' : ''} no *_END macros: specs are kerneldoc comments and the build generates the macros`,
      evidence: [ev(ctx, spec.line), ...frameworkEvidence(def)],
      target: newest,
    };
  }
  const flat = spec.assignments.filter((a) => /^@?[a-z]+(?:-[a-z]+)+:$/.test(a.via) && a.line >= spec.line);
  const keyOf = (via: string): string => via.replace(/^@/, '').replace(/:$/, '').toLowerCase();
  if (spec.form === 'kerneldoc-1') {
    // the first flat key this framework's kernel-doc does not know as a section
    const dropped = reads ? undefined : flat.find((a) => knowsKey(fw, keyOf(a.via)) === null);
    if (!dropped && reads && newest === 'kerneldoc-1') return null;
    const first =
      dropped ?? flat.find((a) => /^@?(param|error|lock|signal|capability)-/.test(a.via)) ?? flat[0];
    const line = first?.line ?? spec.line;
    const parser = fw.kerneldoc?.parser ?? fw.kerneldoc?.generator ?? null;
    return {
      line,
      severity: dropped ? 'warning' : 'info',
      why: dropped
        ? `${parser ?? 'kernel-doc'} of ${fw.name} no longer parses flat keys such as '${dropped.via}'; use blocks (param: with indented type:)`
        : 'use blocks with indented sub-keys',
      evidence: [ev(ctx, line)],
      target: newest,
    };
  }
  // kerneldoc-2 under a framework with short tokens
  if (newest !== 'kerneldoc-3') return null;
  const konst = spec.assignments.find((a) => /\bKAPI_[A-Z]/.test(a.value) && a.line >= spec.line);
  const line = konst?.line ?? spec.line;
  return {
    line,
    severity: reads ? 'info' : 'warning',
    why: 'use the short tokens (contexts: process, type: uint, ...)',
    evidence: [ev(ctx, line)],
    target: newest,
  };
}

/** How the since message says the word is gone. */
function sinceGone(fw: Framework, spec: ApiSpec, explicit: SpecForm | null): string {
  if (explicit) return 'was removed in PATCH v2';
  const where =
    spec.form === 'macro'
      ? (fw.header ?? 'the KAPI headers')
      : (fw.kerneldoc?.parser ?? fw.kerneldoc?.generator ?? 'kernel-doc');
  return `is not part of the framework (${where} of ${fw.name} does not define it)`;
}

/** Does the framework still define since-version in the spec's form? */
function definesSince(fw: Framework, spec: ApiSpec): boolean {
  if (spec.form === 'macro') return knowsName(fw, 'KAPI_SINCE_VERSION') !== null;
  return knowsKey(fw, 'since-version') !== null || knowsKey(fw, 'since') !== null;
}

const messages = {
  since: '{spec}: {via} {gone}; a spec describes the kernel as it is now, not when the API appeared',
  form: '{spec} is written in {form}, older than the target {target}: {why}',
  handwritten: '{spec} is a hand-written macro spec (the RFC v1/v2 form); {why}{ends}',
};

type Ctx = RuleContext<typeof messages, ReturnType<typeof schema>>;

export const check = defineCheck({
  meta: {
    id: 'kapi-deprecated-form',
    description:
      'A spec uses a form the framework dropped: since-version, hand-written macros, *_END macros, or an older kerneldoc generation.',
    severity: 'warning',
    messages,
  },
  options,
  run(ctx) {
    const explicit = ctx.options.target ?? null;
    const fw = ctx.framework;
    for (const spec of ctx.unit.specs) {
      if (spec.partial) continue;
      // reported in line order, as a reader meets them
      const out: Report<keyof typeof messages>[] = [];

      const since = [...spec.assignments].reverse().find((a) => a.field === 'since_version');
      if (since && (explicit !== null || !definesSince(fw, spec)))
        out.push({
          messageId: 'since',
          data: { spec: spec.name, via: since.via.replace(/:$/, ''), gone: sinceGone(fw, spec, explicit) },
          line: since.line,
          spec: spec.name,
          subject: 'since',
          evidence: [ev(ctx, since.line)],
          severity: 'warning',
        });

      const form = explicit
        ? (() => {
            const f = formFinding(ctx, spec, explicit);
            return f ? { ...f, target: explicit } : null;
          })()
        : frameworkFormFinding(ctx, spec);
      const target = form?.target ?? explicit ?? DEFAULT_TARGET;
      const gone = explicit
        ? target === 'kerneldoc-3'
        : spec.form === 'macro' && form?.severity === 'warning';
      if (form && spec.form === 'macro' && gone) {
        // one finding per spec: the *_END macros are part of the same cause, not a second one
        const ends: number[] = [];
        for (let n = spec.line; n <= spec.endLine; n++) {
          const code = codeOnly(ctx.unit.line(n) ?? '');
          for (const m of code.matchAll(/\b(KAPI_\w+)\b/g)) if (END_MACROS.has(m[1] as string)) ends.push(n);
        }
        const first = ends[0];
        if (first !== undefined) form.evidence.push(ev(ctx, first));
        // the spec's own lines first, then the framework's
        form.evidence.sort((a, b) => Number(a.kind === 'framework') - Number(b.kind === 'framework'));
        out.push({
          messageId: 'handwritten',
          data: {
            spec: spec.name,
            why: explicit
              ? 'since PATCH v3 specs are kerneldoc comments and the build generates the macros'
              : form.why,
            ends:
              first === undefined
                ? ''
                : `, so its ${ends.length} *_END/KAPI_END_SPEC macro${ends.length === 1 ? '' : 's'} no longer exist`,
          },
          line: form.line,
          spec: spec.name,
          subject: `form:${spec.form}`,
          evidence: form.evidence,
          severity: form.severity,
        });
      } else if (form)
        out.push({
          messageId: 'form',
          data: { spec: spec.name, form: FORM_NAME[spec.form], target, why: form.why },
          line: form.line,
          spec: spec.name,
          subject: `form:${spec.form}`,
          evidence: form.evidence,
          severity: form.severity,
        });

      for (const r of out.sort((a, b) => a.line - b.line)) ctx.report(r);
    }
  },
});
