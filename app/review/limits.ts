/**
 * Bounds on what one review may take. A hostile (or broken) patch must not stall the bot or the
 * App: review time grows with the size of a spec, the number of hunks and the size of the files
 * that carry specs, so each is counted before the checks run (counting is cheap: one linear pass
 * of the spec parsers), and a time budget bounds whatever counting cannot foresee.
 *
 * The defaults are far above any real series: in the KAPI postings of ../shared/corpus the largest
 * spec has 56 entries (RFC v2's sys_execveat) and the largest file 107 (RFC v2's binder.c, 12
 * ioctl specs), and RFC v2, the largest series, has 94 hunks in C files; the largest C file with a
 * SYSCALL_DEFINE in Linux 6.12 is 347 KB (kernel/events/core.c), and RFC v2 is reviewed in about
 * half a second. Files without a spec or a syscall are not limited by size: the amdgpu register
 * headers reach 24 MB and cost little, since nothing in them is parsed in earnest.
 *
 * Pure: no clock (the time budget is enforced by the caller), no I/O.
 */
import type { ReviewPatch } from '../../checks/review.js';
import { type FactMemo, isCFile, NO_MEMO, specsOf } from '../../checks/unit.js';
import type { ApiSpec } from '../../parsers/kapi/model.js';

export interface ReviewLimits {
  /** Entries of all specs in one file image: each spec, and each of its params, errors, locks, ... */
  specEntries: number;
  /** Hunks in C files, over the whole review (all patches). */
  hunks: number;
  /** Size of one image of a C file that carries a spec or a syscall, in bytes (UTF-8). */
  fileBytes: number;
  /** Wall time of one review, in milliseconds, from the moment it starts running. */
  timeMs: number;
}

export const DEFAULT_LIMITS: Readonly<ReviewLimits> = Object.freeze({
  specEntries: 5_000,
  hunks: 20_000,
  fileBytes: 4 * 1024 * 1024,
  timeMs: 60_000,
});

/** Which limit a review hit; `memory` when the worker ran out of heap. */
export type LimitName = 'spec-entries' | 'hunks' | 'file-size' | 'time' | 'memory';

/** A review that was not done because it hit a limit: what, and why, in words for people. */
export interface TooLarge {
  limit: LimitName;
  /** `kernel/frob.c has 6001 spec entries ... over the limit of 5000 (limits.spec-entries)`. */
  reason: string;
}

/** The prefix every report of a review that hit a limit starts with. */
export const TOO_LARGE = 'too large to review';

export function tooLargeText(t: TooLarge): string {
  return `${TOO_LARGE}: ${t.reason}`;
}

/** A spec's entries: the spec itself and every item it lists (struct fields included). */
function specEntries(s: ApiSpec): number {
  let n =
    1 +
    s.contexts.length +
    s.params.length +
    s.errors.length +
    s.locks.length +
    s.signals.length +
    s.signalMasks.length +
    s.sideEffects.length +
    s.stateTransitions.length +
    s.capabilities.length +
    s.constraints.length +
    s.unknown.length;
  for (const st of s.structs) n += 1 + st.fields.length;
  return n;
}

/**
 * Whether a text can carry a spec or a syscall at all (the same needles as the tree index's byte
 * prefilter, app/index/walk.ts): only such files are parsed in earnest by a review.
 */
export function mayCarryKapi(text: string): boolean {
  return text.includes('SYSCALL_DEFINE') || mayCarrySpec(text);
}

/** Whether a text can carry a spec at all: mayCarryKapi's needles less the syscall's. */
export function mayCarrySpec(text: string): boolean {
  return text.includes('KAPI_') || text.includes('contexts:') || text.includes('context-flags:');
}

/** UTF-8 length of a string, without encoding it. */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** Whether `s` is longer than `max` bytes in UTF-8 (counts only when the length cannot tell). */
function overBytes(s: string, max: number): number | null {
  if (s.length > max) return utf8Length(s);
  if (s.length * 3 <= max) return null;
  const n = utf8Length(s);
  return n > max ? n : null;
}

/** Total entries of the specs in a text (the parse goes through `memo`, which the review reuses). */
export function countSpecEntries(text: string, path: string, memo: FactMemo = NO_MEMO): number {
  let n = 0;
  for (const s of memo.peek('specs', path, text, () => specsOf(text, path, memo)).specs) n += specEntries(s);
  return n;
}

function mb(bytes: number): string {
  const v = bytes / (1024 * 1024);
  return `${v >= 10 ? Math.round(v) : Math.round(v * 10) / 10} MB`;
}

function fmt(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** Hunks in C files over all patches (the diff as mailed or as GitHub shows it). */
export function countHunks(
  patches: readonly { files: readonly { path: string; hunks?: unknown[] }[] }[],
): number {
  let n = 0;
  for (const p of patches) for (const f of p.files) if (isCFile(f.path)) n += f.hunks?.length ?? 0;
  return n;
}

export function overHunks(hunks: number, limits: ReviewLimits): TooLarge | null {
  if (hunks <= limits.hunks) return null;
  return {
    limit: 'hunks',
    reason: `${fmt(hunks)} hunks in C files, over the limit of ${fmt(limits.hunks)} (limits.hunks)`,
  };
}

/** The images of a review, as the limits see them: every text a check would parse, with its label. */
function imagesOf(patches: readonly ReviewPatch[]): { path: string; where: string; text: string }[] {
  const out: { path: string; where: string; text: string }[] = [];
  for (const p of patches)
    for (const f of p.files) {
      if (!isCFile(f.path) || f.mode === 'deleted') continue;
      const n = /^\[(\d+\/\d+)\]/.exec(p.label)?.[1];
      const after = patches.length > 1 || n ? ` after ${n ? `patch ${n}` : p.label}` : '';
      if (f.pre !== null) out.push({ path: f.path, where: ' before the change', text: f.pre });
      if (f.mode === 'full' && f.post !== null) out.push({ path: f.path, where: after, text: f.post });
      else
        for (const fr of f.fragments)
          out.push({ path: f.path, where: `${after} (hunks)`, text: fr.lines.join('\n') });
    }
  return out;
}

/**
 * The first limit the review of these patches would exceed, counted before any check runs: the
 * hunks, then each file's size, then each file's spec entries. Null when it is within all of them.
 */
export function measureReview(
  patches: readonly ReviewPatch[],
  limits: ReviewLimits,
  memo: FactMemo = NO_MEMO,
): TooLarge | null {
  const hunks = overHunks(
    countHunks(
      patches.map((p) => ({ files: p.files.map((f) => ({ path: f.path, hunks: f.diff?.hunks ?? [] })) })),
    ),
    limits,
  );
  if (hunks) return hunks;
  const images = imagesOf(patches).filter((i) => mayCarryKapi(i.text));
  for (const i of images) {
    const bytes = overBytes(i.text, limits.fileBytes);
    if (bytes !== null)
      return {
        limit: 'file-size',
        reason: `${i.path}${i.where} is ${mb(bytes)} with a spec or a syscall in it, over the limit of ${mb(limits.fileBytes)} (limits.file-mb)`,
      };
  }
  const seen = new Set<string>();
  for (const i of images) {
    // the same text twice (one patch's post-image is the next one's pre-image) is counted once
    if (seen.has(i.text)) continue;
    seen.add(i.text);
    const n = countSpecEntries(i.text, i.path, memo);
    if (n > limits.specEntries)
      return {
        limit: 'spec-entries',
        reason: `${i.path}${i.where} has ${fmt(n)} spec entries (specs, params, errors, locks, signals, ...), over the limit of ${fmt(limits.specEntries)} (limits.spec-entries)`,
      };
  }
  return null;
}

export function overTime(limits: ReviewLimits): TooLarge {
  const s = limits.timeMs / 1000;
  return {
    limit: 'time',
    reason: `the review took longer than its time budget of ${s} s (limits.seconds)`,
  };
}
