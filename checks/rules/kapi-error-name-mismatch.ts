/**
 * kapi-error-name-mismatch: an error entry whose code cannot be what it claims.
 * - The code and the name disagree: `KAPI_ERROR(0, -ENOMEM, "EPERM", …)`, or gen 1's
 *   `error-code: -ENOMEM, EPERM, …` (aliases such as EWOULDBLOCK/EAGAIN count as equal).
 * - The code has the wrong sign. The runtime compares a syscall's negative return value with
 *   `.error_code`, so a macro-form `KAPI_ERROR(0, ENOMEM, …)` never matches anything; RFC v3's
 *   kernel-doc copies a gen 1 `error-code:` into `.error_code` as written, and reads a line that
 *   does not start with '-' as a continuation of the previous error. The other way round, PATCH v4's generator only reads gen 3 errors written
 *   `error: NAME, summary` and skips one that starts with '-'.
 * - The code is a number (`-12`): errno numbers differ between architectures (EOPNOTSUPP is 45,
 *   95, 122 or 223), as Geert Uytterhoeven pointed out on PATCH v1.
 * - The code names no errno at all (`-ENOMEN`).
 */
import { canonicalErrno, ERRNO_NAMES, isErrnoName } from '../../parsers/c/errno.js';
import type { ApiSpec, SpecError } from '../../parsers/kapi/model.js';
import { escapeRe, replaceOnce } from '../../parsers/text/regex.js';
import { defineCheck, type RuleContext } from '../define.js';
import { evidenceAt } from '../unit.js';

/** Levenshtein distance, stopping early above 1. */
function within1(a: string, b: string): boolean {
  if (Math.abs(a.length - b.length) > 1) return false;
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  const ra = a.slice(i + 1);
  const rb = b.slice(i + 1);
  return ra === rb || a.slice(i) === rb || ra === b.slice(i);
}

/** The one errno name a misspelling is one edit away from, or null. */
function nearestErrno(name: string): string | null {
  const near = [...ERRNO_NAMES].filter((n) => n !== name && within1(name, n));
  return near.length === 1 ? (near[0] as string) : null;
}

const messages = {
  mismatch: '{spec}: error code {code} is named "{name}"; the code and its name must be the same errno',
  positive: '{spec}: error code {code} must be negative ({expected}): {why}',
  signed:
    '{spec}: error {code} is written with a sign; PATCH v4 reads only `error: NAME, summary` and skips this entry',
  numeric:
    '{spec}: error code {code} is a number; errno numbers differ between architectures, write the name',
  unknown: '{spec}: {code} is not an errno name{hint}',
};

type Ctx = RuleContext<typeof messages>;

export const check = defineCheck({
  meta: {
    id: 'kapi-error-name-mismatch',
    description:
      "An error entry's code and name disagree, the code has the wrong sign, or it is no errno name.",
    severity: 'error',
    messages,
  },
  run(ctx) {
    for (const spec of ctx.unit.specs) {
      if (spec.partial) continue;
      const lines = new FieldLines(spec);
      for (const e of spec.errors) checkError(ctx, spec, e, lines);
    }
  },
});

/**
 * The lines of a spec's error-entry assignments, indexed once by field and value (a spec with
 * 10,000 error entries used to search all of its assignments for each).
 */
class FieldLines {
  /** For each field and value: the lines of the assignments that set it, in the spec's order. */
  private readonly groups = new Map<string, number[]>();
  /** The keys whose lines are not in increasing order (searched one by one). */
  private readonly unsorted = new Set<string>();

  constructor(spec: ApiSpec) {
    for (const x of spec.assignments) {
      if (!x.block.startsWith('error[')) continue;
      const key = `${x.field}\u0000${x.value}`;
      const lines = this.groups.get(key);
      if (!lines) this.groups.set(key, [x.line]);
      else {
        if (x.line < (lines[lines.length - 1] as number)) this.unsorted.add(key);
        lines.push(x.line);
      }
    }
  }

  /** The line that sets an entry's field (a raw `.name = "X",` may sit below `.errors[0] = {`). */
  of(e: SpecError, field: string, value: string | null): number {
    if (value === null) return e.line;
    const key = `${field}\u0000${value}`;
    const lines = this.groups.get(key);
    if (!lines) return e.line;
    // the first assignment in the spec's order on or below the entry's line
    if (this.unsorted.has(key)) return lines.find((l) => l >= e.line) ?? e.line;
    let lo = 0;
    let hi = lines.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((lines[mid] as number) < e.line) lo = mid + 1;
      else hi = mid;
    }
    return lines[lo] ?? e.line;
  }
}

function checkError(ctx: Ctx, spec: ApiSpec, e: SpecError, lines: FieldLines): void {
  const written = e.codeText.trim();
  if (written === '') return;
  const bare = written.replace(/^\(\s*([\s\S]*?)\s*\)$/, '$1');
  const codeAt = lines.of(e, 'error_code', e.codeText);
  const nameAt = e.name === null ? codeAt : lines.of(e, 'name', e.name);
  const evidence = [...new Set([e.line, codeAt, nameAt])]
    .sort((a, b) => a - b)
    .map((n) => evidenceAt(ctx.unit, n));
  const line = ctx.unit.line(codeAt);
  const base = { line: codeAt, spec: spec.name, evidence };
  if (/^[-+]?\s*(?:0[xX][0-9a-fA-F]+|\d+)$/.test(bare)) {
    ctx.report({ ...base, messageId: 'numeric', data: { spec: spec.name, code: bare }, subject: bare });
    return;
  }
  const m = /^(-?)\s*(E[A-Z0-9_]+)$/.exec(bare);
  // an expression or prose: not an errno we can judge
  if (!m) return;
  const [, sign, code] = m as unknown as [string, string, string];
  if (!isErrnoName(code)) {
    const near = nearestErrno(code);
    // the code and the name string usually carry the same misspelling
    const word = new RegExp(`(?<![\\w])${escapeRe(code)}(?![\\w])`, 'g');
    const hits = line?.match(word)?.length ?? 0;
    const suggestion =
      near !== null && line !== undefined && hits >= 1 && hits <= 2 ? line.replace(word, near) : undefined;
    ctx.report({
      ...base,
      messageId: 'unknown',
      data: { spec: spec.name, code, hint: near === null ? '' : ` (did you mean ${near}?)` },
      subject: code,
      ...(suggestion !== undefined ? { suggestion } : {}),
    });
    return;
  }
  const name = e.name?.trim() ?? '';
  if (name !== '' && canonicalErrno(name) !== canonicalErrno(code)) {
    const nameLine = ctx.unit.line(nameAt);
    const suggestion =
      spec.form === 'macro'
        ? replaceOnce(nameLine, new RegExp(`"${escapeRe(name)}"`), `"${code}"`)
        : replaceOnce(
            nameLine,
            new RegExp(`(${escapeRe(written)}\\s*,\\s*)${escapeRe(name)}(?![\\w])`),
            `$1${code}`,
          );
    ctx.report({
      ...base,
      line: nameAt,
      messageId: 'mismatch',
      data: { spec: spec.name, code: `${sign}${code}`, name },
      subject: code,
      ...(suggestion !== undefined ? { suggestion } : {}),
    });
    return;
  }
  if (sign === '' && (spec.form === 'macro' || spec.form === 'kerneldoc-1')) {
    const why =
      spec.form === 'macro'
        ? 'a syscall returns -errno, so a positive .error_code never matches'
        : "RFC v3's kernel-doc copies it into .error_code as written, and starts a new error only at a line beginning with '-'";
    const suggestion =
      spec.form === 'macro'
        ? replaceOnce(line, new RegExp(`(?<![-\\w"])${escapeRe(code)}(?![\\w"])`), `-${code}`)
        : replaceOnce(line, new RegExp(`(error-code:\\s*)${escapeRe(code)}(?![\\w])`), `$1-${code}`);
    ctx.report({
      ...base,
      messageId: 'positive',
      data: { spec: spec.name, code, expected: `-${code}`, why },
      subject: code,
      ...(suggestion !== undefined ? { suggestion } : {}),
    });
    return;
  }
  if (sign === '-' && spec.form === 'kerneldoc-3') {
    const suggestion = replaceOnce(line, /(error:\s*)-\s*/, '$1');
    ctx.report({
      ...base,
      messageId: 'signed',
      data: { spec: spec.name, code: `-${code}` },
      subject: code,
      ...(suggestion !== undefined ? { suggestion } : {}),
    });
  }
}
