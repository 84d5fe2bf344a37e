/**
 * kapi-param-mismatch: the parameters a spec documents differ from those of the SYSCALL_DEFINEn
 * it documents: how many there are, their names, or their C types. The spec's param entries are
 * what the runtime validator checks at syscall entry, so a spec with the wrong arity or a
 * renamed parameter validates the wrong argument (Vyukov on RFC v1: "does the framework check
 * the arg count and types against the real ones?").
 *
 * How the forms differ:
 * - Macro form: `KAPI_PARAM(idx, "name", "ctype", desc)` fills `.params[idx]`; the index is the
 *   argument position, so names and C types are compared position by position.
 * - Kerneldoc forms: the generator walks the declaration's parameters and looks each `param:`
 *   block up by name (the C type always comes from the declaration), so names are compared as a
 *   set: a block naming no parameter is silently dropped. Missing blocks are only a warning,
 *   since the generator still emits the parameter from the declaration.
 * - Every form: the KAPI type token (`uint`, `user_ptr`, ...) is compared with the C type only
 *   when they clearly contradict (a pointer typed as an integer or an fd, or a pointer token for
 *   a 32-bit integer): typedefs hide too much for anything finer.
 */
import type { SyscallDef } from '../../parsers/c/model.js';
import type { ApiSpec, SpecParam } from '../../parsers/kapi/model.js';
import { escapeRe, replaceOnce } from '../../parsers/text/regex.js';
import { defineCheck, type RuleContext } from '../define.js';
import type { Evidence, Severity } from '../types.js';

/** Address-space and checker annotations: not part of the type as the ABI sees it. */
const ANNOTATIONS = /\b__(?:user|kernel|force|iomem|percpu|rcu)\b/g;
const INT_WORDS = new Set(['int', 'short', 'long', 'unsigned', 'signed', 'char']);

/** The words of one pointer level, as a set: `const char` = `char const`, `unsigned` = `unsigned int`. */
function levelKey(words: string[]): string {
  let w = words.filter((x) => x !== '');
  const builtin =
    w.some((x) => INT_WORDS.has(x)) && w.every((x) => INT_WORDS.has(x) || x === 'const' || x === 'volatile');
  if (builtin && !w.includes('char')) {
    w = w.filter((x) => x !== 'signed');
    if (w.includes('long') || w.includes('short')) w = w.filter((x) => x !== 'int');
    else if (!w.includes('int')) w.push('int');
  }
  return w.sort().join(' ');
}

/** A C type in a canonical spelling: annotations dropped, qualifier order and spacing ignored. */
function typeKey(ctype: string): string {
  const t = ctype.replace(ANNOTATIONS, ' ').replace(/\[\s*\]/g, '*');
  return t
    .split('*')
    .map((level) => levelKey(level.trim().split(/\s+/)))
    .join(' * ')
    .trim();
}

function pointerDepth(ctype: string): number {
  return (ctype.match(/\*|\[/g) ?? []).length;
}

/** Integer types no pointer fits in on a 64-bit kernel. */
const SMALL_INTS = new Set(
  [
    'int',
    'unsigned int',
    'short',
    'unsigned short',
    'char',
    'signed char',
    'unsigned char',
    'bool',
    'u8',
    '__u8',
    's8',
    '__s8',
    'u16',
    '__u16',
    's16',
    '__s16',
    'u32',
    '__u32',
    's32',
    '__s32',
    'pid_t',
    'uid_t',
    'gid_t',
    'umode_t',
    'mode_t',
    'qid_t',
    'key_serial_t',
    'clockid_t',
    'timer_t',
    'rwf_t',
  ].map(typeKey),
);
const SCALAR_TOKENS = new Set(['int', 'uint', 'fd']);
const POINTER_TOKENS = new Set(['ptr', 'user_ptr', 'path', 'func_ptr', 'array', 'struct', 'union']);

/** Whether a KAPI type token clearly contradicts a C type. */
function tokenContradicts(token: string, ctype: string): boolean {
  const pointer = pointerDepth(ctype.replace(ANNOTATIONS, ' ')) > 0;
  if (SCALAR_TOKENS.has(token)) return pointer;
  if (POINTER_TOKENS.has(token)) return !pointer && SMALL_INTS.has(typeKey(ctype));
  return false;
}

const messages = {
  arity: '{spec} documents {documented} {params} but {macro} takes {arity}',
  missing:
    '{spec} documents {documented} of the {arity} parameters of {macro}: no param: block for {missing}',
  name: "{spec}: param {index} is '{specName}' in the spec but '{codeName}' in {macro}",
  unknown: "{spec} documents a parameter '{specName}' that {macro} does not have ({codeNames})",
  ctype: "{spec}: param '{name}' is '{specType}' in the spec but '{codeType}' in {macro}",
  token: "{spec}: param '{name}' has KAPI type '{token}', which cannot hold its C type '{codeType}'",
};

type Ctx = RuleContext<typeof messages>;

export const check = defineCheck({
  meta: {
    id: 'kapi-param-mismatch',
    description: 'The params a spec documents differ from its SYSCALL_DEFINEn: arity, names or C types.',
    severity: 'error',
    messages,
  },
  run(ctx) {
    // a syscall is compared only with the spec that documents it: none without a spec
    if (ctx.unit.specs.length === 0) return;
    const done = new Set<ApiSpec>();
    for (const [i, sc] of ctx.unit.syscalls.entries()) {
      const spec = ctx.unit.specOf[i];
      if (!spec || spec.partial || done.has(spec)) continue;
      done.add(spec);
      // a SYSCALL_DEFINE whose arguments we could not split: nothing to compare with
      if (sc.params.length !== sc.arity) continue;
      if (spec.form === 'macro') macroForm(ctx, spec, sc);
      else kerneldocForm(ctx, spec, sc);
    }
  },
});

interface Site {
  ctx: Ctx;
  spec: ApiSpec;
  sc: SyscallDef;
  macro: string;
}

function text(ctx: Ctx, line: number): string {
  return (ctx.unit.line(line) ?? '').trim();
}

/** The SYSCALL_DEFINE line that declares `name` (or the macro's first line). */
function codeLine(s: Site, name: string | null): number {
  const n = s.sc.macroText.split('\n').length;
  if (name !== null) {
    const re = new RegExp(`,\\s*${escapeRe(name)}\\s*(?:,|\\)|$)`);
    for (let l = s.sc.line; l < s.sc.line + n; l++) if (re.test(s.ctx.unit.line(l) ?? '')) return l;
  }
  return s.sc.line;
}

function evidence(s: Site, specLine: number, codeName: string | null): Evidence[] {
  const path = s.ctx.unit.path;
  const out: Evidence[] = [{ path, line: specLine, text: text(s.ctx, specLine) }];
  const first = s.sc.line;
  out.push({ path, line: first, text: text(s.ctx, first) });
  const at = codeLine(s, codeName);
  if (at !== first) out.push({ path, line: at, text: text(s.ctx, at) });
  return out;
}

/** Report on the spec line, unless the patch changed only the SYSCALL_DEFINE. */
function where(s: Site, specLine: number, codeName: string | null): number {
  const added = s.ctx.unit.added;
  if (added.has(specLine)) return specLine;
  const at = codeLine(s, codeName);
  if (added.has(at)) return at;
  if (added.has(s.sc.line)) return s.sc.line;
  return specLine;
}

function report(
  s: Site,
  messageId: keyof typeof messages,
  data: Record<string, string | number>,
  specLine: number,
  codeName: string | null,
  subject: string,
  suggestion?: string,
  severity?: Severity,
): void {
  s.ctx.report({
    messageId,
    data: { spec: s.spec.name, macro: s.macro, ...data },
    line: where(s, specLine, codeName),
    spec: s.spec.name,
    subject,
    evidence: evidence(s, specLine, codeName),
    ...(suggestion !== undefined ? { suggestion } : {}),
    ...(severity ? { severity } : {}),
  });
}

function macroName(sc: SyscallDef): string {
  const m = /^\s*((?:COMPAT_)?SYSCALL_DEFINE\d)/.exec(sc.macroText);
  return `${m ? m[1] : `SYSCALL_DEFINE${sc.arity}`}(${sc.name})`;
}

/** Compares the types of one documented param with its C declaration. */
function compareTypes(s: Site, p: SpecParam, codeType: string, withCtype: boolean): void {
  if (withCtype && p.ctype !== null && p.ctype.trim() !== '' && typeKey(p.ctype) !== typeKey(codeType)) {
    const pointerDiffers =
      pointerDepth(p.ctype.replace(ANNOTATIONS, ' ')) !== pointerDepth(codeType.replace(ANNOTATIONS, ' '));
    const suggestion = replaceOnce(
      s.ctx.unit.line(p.line),
      new RegExp(`"${escapeRe(p.ctype)}"`),
      `"${codeType}"`,
    );
    report(
      s,
      'ctype',
      { name: p.name, specType: p.ctype, codeType },
      p.line,
      p.name,
      `param:${p.name}`,
      suggestion,
      // a different spelling may be a typedef of the same type; a different pointer depth is not
      pointerDiffers ? 'error' : 'warning',
    );
    return;
  }
  if (p.type !== null && tokenContradicts(p.type, codeType))
    report(s, 'token', { name: p.name, token: p.type, codeType }, p.line, p.name, `param:${p.name}`);
}

function macroForm(ctx: Ctx, spec: ApiSpec, sc: SyscallDef): void {
  const s: Site = { ctx, spec, sc, macro: macroName(sc) };
  const params = spec.params;
  // an index we cannot evaluate (a macro constant): positions unknown
  if (params.some((p) => p.index === null)) return;
  const indices = params.map((p) => p.index as number);
  const clean =
    new Set(indices).size === indices.length && indices.every((k) => k >= 0 && k < indices.length);
  const decl = sc.params;
  const codeNames = decl.map((d) => d.name);
  if (clean && params.length === decl.length) {
    for (const p of [...params].sort((a, b) => (a.index as number) - (b.index as number))) {
      const d = decl[p.index as number];
      if (!d) continue;
      if (p.name !== d.name) {
        const suggestion = replaceOnce(
          ctx.unit.line(p.line),
          new RegExp(`"${escapeRe(p.name)}"`),
          `"${d.name}"`,
        );
        report(
          s,
          'name',
          { index: p.index as number, specName: p.name, codeName: d.name },
          p.line,
          d.name,
          `param:${p.name}`,
          suggestion,
        );
        continue;
      }
      compareTypes(s, p, d.type, true);
    }
    return;
  }
  // arity differs (or the indices are not 0..n-1, which kapi-index-sequence reports)
  if (clean) {
    const extra = [...params].sort((a, b) => (a.index as number) - (b.index as number));
    const at = params.length > decl.length ? extra[decl.length] : extra[extra.length - 1];
    report(
      s,
      'arity',
      {
        documented: params.length,
        params: params.length === 1 ? 'param' : 'params',
        arity: decl.length,
      },
      at ? at.line : spec.line,
      null,
      'params',
    );
  }
  for (const p of params) {
    const d = decl.find((x) => x.name === p.name);
    // a param past the syscall's arity is the arity finding's
    if (!d && clean && (p.index as number) >= decl.length) continue;
    if (!d) {
      report(
        s,
        'unknown',
        { specName: p.name, codeNames: codeNames.join(', ') || 'no parameters' },
        p.line,
        null,
        `param:${p.name}`,
      );
      continue;
    }
    compareTypes(s, p, d.type, true);
  }
}

function kerneldocForm(ctx: Ctx, spec: ApiSpec, sc: SyscallDef): void {
  const s: Site = { ctx, spec, sc, macro: macroName(sc) };
  const decl = sc.params;
  const names = new Set(decl.map((d) => d.name));
  const documented = new Set(spec.params.map((p) => p.name));
  const unknown = spec.params.filter((p) => !names.has(p.name));
  const missing = decl.filter((d) => !documented.has(d.name));
  // the kerneldoc param's C type was copied from the declaration: only the token can disagree
  for (const p of spec.params) {
    const d = decl.find((x) => x.name === p.name);
    if (d) compareTypes(s, p, d.type, false);
  }
  if (unknown.length === 1 && missing.length === 1) {
    const p = unknown[0] as SpecParam;
    const d = missing[0] as SyscallDef['params'][number];
    // gen 1 names the param on every param-* line: no one-line fix
    const suggestion =
      spec.form === 'kerneldoc-1'
        ? undefined
        : replaceOnce(
            ctx.unit.line(p.line),
            new RegExp(`(param:\\s*)${escapeRe(p.name)}(?![\\w])`),
            `$1${d.name}`,
          );
    report(
      s,
      'name',
      { index: decl.indexOf(d), specName: p.name, codeName: d.name },
      p.line,
      d.name,
      `param:${p.name}`,
      suggestion,
    );
    return;
  }
  for (const p of unknown)
    report(
      s,
      'unknown',
      { specName: p.name, codeNames: decl.map((d) => d.name).join(', ') || 'no parameters' },
      p.line,
      null,
      `param:${p.name}`,
    );
  // no param: block at all is the generator's default, not a claim; some but not all is a gap
  if (missing.length > 0 && spec.params.length > 0) {
    const last = spec.params[spec.params.length - 1] as SpecParam;
    const lastText = ctx.unit.line(last.line) ?? '';
    const head = /^(.*?)param(?:-type)?:/.exec(lastText);
    const suggestion =
      missing.length === 1 && spec.form !== 'kerneldoc-1' && head && /param:/.test(lastText)
        ? `${head[1]}param: ${(missing[0] as SyscallDef['params'][number]).name}`
        : undefined;
    report(
      s,
      'missing',
      {
        documented: documented.size,
        arity: decl.length,
        missing: missing.map((d) => d.name).join(', '),
      },
      last.line,
      (missing[0] as SyscallDef['params'][number]).name,
      'params',
      suggestion,
      'warning',
    );
  }
}
