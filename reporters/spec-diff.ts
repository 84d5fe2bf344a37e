/**
 * The spec diff (parsers/kapi/spec-diff.ts) as a reviewer reads it: one line per change, in the
 * spec's own terms, for the terminal, JSON, a mail reply and a GitHub review body. An error added
 * or dropped says whether the code agrees, from the error-set analysis the checks use (the new
 * side's C facts): said only when the analysis knows (the errno is among what the syscall
 * returns, or it provably cannot return it); otherwise nothing is claimed.
 */

import { KERNEL_INTERNAL, RESTARTS_AS_EINTR } from '../checks/lib/errno.js';
import type { FunctionErrors } from '../parsers/c/model.js';
import type { SpecChange, SpecDelta } from '../parsers/kapi/spec-diff.js';
import { sanitize } from '../parsers/text/controls.js';
import { fenced } from '../parsers/text/markdown.js';

/** What the code of the new side says about an errno an added or dropped error entry names. */
export interface CodeVerdict {
  /** 'returns': the syscall can return it; 'never': it provably cannot. */
  code: 'returns' | 'never';
  /** Whether that is what the change says (an added error the code returns, a dropped one it never does). */
  agrees: boolean;
  /** Where the errno is produced ('mm/mlock.c:612: return -EFAULT;'), for 'returns'. */
  at: { path: string; line: number; text: string } | null;
}

export interface ReportedChange extends SpecChange {
  verdict: CodeVerdict | null;
}

export interface ReportedDelta extends Omit<SpecDelta, 'changes'> {
  changes: ReportedChange[];
}

/** The new side's code facts of one spec: its syscall's error set and the file it is in. */
export interface SpecCode {
  path: string;
  errors: FunctionErrors;
  /** The spec constrains a param: the KAPI runtime validator may return -EINVAL before the code runs. */
  constrained: boolean;
}

function returns(errors: FunctionErrors, errno: string): FunctionErrors['errnos'][number] | null {
  const hit = errors.errnos.find((e) => e.errno === errno);
  if (hit) return hit;
  if (errno === 'EINTR') return errors.errnos.find((e) => RESTARTS_AS_EINTR.has(e.errno)) ?? null;
  return null;
}

/**
 * Whether the code provably never returns the errno: the exact set lacks it, or the open set
 * turns it away (`never`). Not for ENOSYS (the syscall table returns it), kernel-internal codes,
 * EINTR from an open set, or EINVAL when the spec constrains a param.
 */
function never(code: SpecCode, errno: string): boolean {
  if (errno === 'ENOSYS' || KERNEL_INTERNAL.has(errno)) return false;
  if (errno === 'EINVAL' && code.constrained) return false;
  const e = code.errors;
  if (e.complete && e.unknownCalls.length === 0 && e.unknownValues.length === 0) return true;
  return errno !== 'EINTR' && e.never.includes(errno);
}

function verdictOf(change: SpecChange, code: SpecCode | null): CodeVerdict | null {
  if (!code || change.area !== 'error' || change.field !== null || !/^E[A-Z0-9]+$/.test(change.key))
    return null;
  const added = change.op === 'added';
  const hit = returns(code.errors, change.key);
  if (hit) {
    const first = hit.chain[0];
    const at = first ? { path: code.path, line: first.line, text: first.text } : null;
    return { code: 'returns', agrees: added, at };
  }
  return never(code, change.key) ? { code: 'never', agrees: !added, at: null } : null;
}

/** Each change with the code's verdict on errors added or dropped (codeOf: the new side's facts). */
export function withVerdicts(
  deltas: readonly SpecDelta[],
  codeOf: (name: string) => SpecCode | null,
): ReportedDelta[] {
  return deltas.map((d) => {
    const code = d.new ? codeOf(d.name) : null;
    return { ...d, changes: d.changes.map((c) => ({ ...c, verdict: verdictOf(c, code) })) };
  });
}

const ELLIPSIS = '\u2026';

function clip(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n - 1)}${ELLIPSIS}`;
}

/**
 * Two texts as one short line: both whole when short, else the words that differ in the
 * `[-old-]{+new+}` of git's word diff, with a few words of context either side.
 */
export function textChange(a: string, b: string, width = 60): string {
  if (a.length + b.length <= width) return `"${a}" -> "${b}"`;
  const x = a.split(' ');
  const y = b.split(' ');
  let p = 0;
  while (p < x.length && p < y.length && x[p] === y[p]) p++;
  let s = 0;
  while (s < x.length - p && s < y.length - p && x[x.length - 1 - s] === y[y.length - 1 - s]) s++;
  const before = x.slice(Math.max(0, p - 3), p).join(' ');
  const after = x.slice(x.length - s, Math.min(x.length, x.length - s + 3)).join(' ');
  const del = clip(x.slice(p, x.length - s).join(' '), width);
  const ins = clip(y.slice(p, y.length - s).join(' '), width);
  const parts = [
    p > 3 ? ELLIPSIS : '',
    before,
    del ? `[-${del}-]` : '',
    ins ? `{+${ins}+}` : '',
    after,
    s > 3 ? ELLIPSIS : '',
  ];
  return parts.filter(Boolean).join(' ');
}

function quoted(v: string): string {
  return `"${clip(v, 70)}"`;
}

function verdictText(v: CodeVerdict): string {
  const where = v.at ? ` (${v.at.path}:${v.at.line}: ${v.at.text})` : '';
  if (v.code === 'returns')
    return v.agrees ? `; the code returns it${where}` : `; but the code still returns it${where}`;
  return v.agrees ? '; the code does not return it' : '; but the code never returns it';
}

/** One change as one line: `+ error EFAULT: Bad address`, `~ param len type: uint -> int`. */
export function changeLine(c: ReportedChange): string {
  const what = [c.area === 'spec' ? '' : c.area, c.key].filter(Boolean).join(' ');
  const v = c.verdict ? verdictText(c.verdict) : '';
  if (c.field === null) {
    const mark = c.op === 'added' ? '+' : '-';
    const summary = c.op === 'added' ? c.new : c.old;
    return `${mark} ${what}${summary && summary !== c.key ? `: ${clip(summary, 70)}` : ''}${v}`;
  }
  const head = `~ ${[what, c.field].filter(Boolean).join(' ')}`;
  if (c.old === null) return `${head}: added ${quoted(c.new ?? '')}${v}`;
  if (c.new === null) return `${head}: removed (was ${quoted(c.old)})${v}`;
  return `${head}: ${textChange(c.old, c.new)}${v}`;
}

function formOf(d: ReportedDelta): string {
  if (d.old && d.new && d.old.form !== d.new.form) return `, ${d.old.form} -> ${d.new.form}`;
  return `, ${(d.new ?? d.old)?.form}`;
}

function headLine(d: ReportedDelta): string {
  const at = d.new ?? d.old;
  const where = at ? `${at.path}:${at.line}` : '';
  const moved = d.old && d.new && d.old.path !== d.new.path ? `, moved from ${d.old.path}` : '';
  const partial = d.new?.partial || d.old?.partial ? ', only partly shown by the hunks' : '';
  switch (d.status) {
    case 'added':
      return `${d.name}: added (${where}${formOf(d)})`;
    case 'removed':
      return `${d.name}: removed (was ${where}${formOf(d)})`;
    default:
      return `${d.name} (${where}${formOf(d)}${moved}${partial}): ${d.changes.length} change${d.changes.length === 1 ? '' : 's'}`;
  }
}

/** Specs added or removed together in one file, as one line: `removed from fs/eventpoll.c (macro): a, b`. */
function groupLine(group: readonly ReportedDelta[]): string {
  const first = group[0] as ReportedDelta;
  const at = (first.new ?? first.old) as NonNullable<ReportedDelta['new']>;
  const how = first.status === 'added' ? 'added in' : 'removed from';
  return `${group.length} specs ${how} ${at.path} (${at.form}): ${group.map((d) => d.name).join(', ')}`;
}

/**
 * The diff as plain lines (no sanitising): a head line per changed spec, its changes indented;
 * specs added or removed one after the other in one file share a line.
 */
export function specDiffLines(deltas: readonly ReportedDelta[]): string[] {
  const out: string[] = [];
  const shown = deltas.filter((d) => d.status !== 'same');
  for (let i = 0; i < shown.length; i++) {
    const d = shown[i] as ReportedDelta;
    if (d.status === 'added' || d.status === 'removed') {
      const at = (x: ReportedDelta): string =>
        `${x.status}\u0000${(x.new ?? x.old)?.path}\u0000${(x.new ?? x.old)?.form}`;
      let j = i + 1;
      while (j < shown.length && at(shown[j] as ReportedDelta) === at(d)) j++;
      if (j - i > 1) {
        out.push(groupLine(shown.slice(i, j)));
        i = j - 1;
        continue;
      }
    }
    out.push(headLine(d));
    for (const c of d.changes) out.push(`  ${changeLine(c)}`);
  }
  const same = deltas.filter((d) => d.status === 'same').length;
  if (same > 0) out.push(`${same} spec${same === 1 ? '' : 's'} unchanged`);
  if (deltas.length === 0) out.push('no specs on either side');
  return out;
}

/** `kapi-review spec-diff --format text`. */
export function renderSpecDiffText(
  deltas: readonly ReportedDelta[],
  sides: { old: string; new: string },
): string {
  const head = `spec changes from ${sides.old} to ${sides.new}`;
  return `${[head, ...specDiffLines(deltas)].map((l) => sanitize(l, 'terminalLine')).join('\n')}\n`;
}

/** `kapi-review spec-diff --format json`: the deltas with their verdicts, unchanged specs included. */
export function specDiffToJson(
  deltas: readonly ReportedDelta[],
  sides: { old: string; new: string },
): unknown {
  return {
    old: sides.old,
    new: sides.new,
    specs: deltas.map((d) => ({
      name: d.name,
      status: d.status,
      old: d.old,
      new: d.new,
      changes: d.changes.map((c) => ({ ...c, line: c.line, text: changeLine(c) })),
    })),
  };
}

/**
 * The section of a mail reply: what changed in the specs since the previous revision, or nothing
 * when no spec changed (a reply says nothing it does not need to); at most `max` lines, the last
 * of them counting what was left out.
 */
export function specDiffMailSection(
  deltas: readonly ReportedDelta[],
  since: string,
  max = Number.POSITIVE_INFINITY,
): string[] {
  if (!deltas.some((d) => d.status !== 'same')) return [];
  let lines = specDiffLines(deltas).filter((l) => !/^\d+ specs? unchanged$/.test(l));
  if (lines.length > max) {
    const rest = lines.length - (max - 1);
    lines = [...lines.slice(0, max - 1), `${moreLines(rest)} (kapi-review spec-diff lists them all)`];
  }
  return [`Spec changes since ${since}:`, ...lines.map((l) => sanitize(`  ${l}`, 'mailBody'))];
}

/** The section of a GitHub review body: the PR's spec changes (base vs head) in a diff block. */
export function specDiffMarkdown(
  deltas: readonly ReportedDelta[],
  max = Number.POSITIVE_INFINITY,
): string | null {
  if (!deltas.some((d) => d.status !== 'same')) return null;
  const lines = specDiffLines(deltas)
    .filter((l) => !/^\d+ specs? unchanged$/.test(l))
    .map((l) => sanitize(l.startsWith('  ') ? l.slice(2).replace(/^~/, '!') : `@@ ${l} @@`, 'markdown'));
  const shown = lines.length > max ? lines.slice(0, Math.max(0, max - 1)) : lines;
  const rest = lines.length - shown.length;
  const more = rest > 0 ? `\n\n${moreLines(rest)} (\`kapi-review spec-diff\` lists them all).` : '';
  return `**Spec changes** (base -> head)\n\n${fenced(shown.join('\n'), 'diff')}${more}`;
}

/** `... and 3 more lines`: what a capped section left out. */
function moreLines(n: number): string {
  return `... and ${n} more line${n === 1 ? '' : 's'}`;
}
