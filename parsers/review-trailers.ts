/**
 * The review trailers a person gives in a reply to a patch (`Reviewed-by:`, `Acked-by:`,
 * `Tested-by:`, ...), read from the reply's body the way b4 collects follow-up trailers: a line of
 * its own, not quoted, before the signature, naming one person with an address. Pure; never
 * throws on input.
 *
 * What is left out on purpose (precision over recall):
 * - quoted lines (`> Reviewed-by: ...`: the patch's own trailers, quoted back);
 * - everything after the `-- ` signature separator, and after the start of a diff (a reply that
 *   proposes a patch carries that patch's trailers, not a review);
 * - trailers that say who wrote or carried code (Signed-off-by, Co-developed-by): in a reply they
 *   come with a proposed change, not with a review;
 * - a trailer without exactly one address (`Acked-by: me`), reported as an issue.
 *
 * As b4 does, a trailer wrapped before its address (`Reviewed-by: A Long Name` then `<a@b.org>`
 * on the next line) is joined, and a trailing `# comment` after the address is dropped.
 *
 * Issue code: `trailer-no-address` (a review trailer whose value is not one address).
 */
import { parseAddressList } from './headers.js';
import { type Issue, issue, type Parsed } from './types.js';

/** The trailers a reviewer gives, in their usual spelling. */
const REVIEW_TRAILER_KEYS = [
  'Reviewed-by',
  'Acked-by',
  'Tested-by',
  'Nacked-by',
  'Reported-by',
  'Suggested-by',
] as const;

export type ReviewTrailerKey = (typeof REVIEW_TRAILER_KEYS)[number];

export interface ReviewTrailer {
  /** In its usual spelling, whatever case the reply used. */
  key: ReviewTrailerKey;
  /** The person's name as written ('' when only the address was given). */
  name: string;
  address: string;
  /** 1-based line of the trailer in the body. */
  line: number;
}

const BY_LOWER = new Map<string, ReviewTrailerKey>(REVIEW_TRAILER_KEYS.map((k) => [k.toLowerCase(), k]));
const TRAILER_LINE = /^\s*([A-Za-z][A-Za-z-]{0,40}):[ \t]*(.*)$/;
const ADDRESS_ONLY = /^\s*<[^<>\s]+@[^<>\s]+>\s*$/;
const MAX_LINES = 20_000;

/** Whether a line starts a diff (`diff --git`, or a `--- ` / `+++ ` pair of a plain diff). */
function diffStarts(lines: readonly string[], i: number): boolean {
  const l = lines[i] as string;
  return l.startsWith('diff --git ') || (l.startsWith('--- ') && (lines[i + 1] ?? '').startsWith('+++ '));
}

/** One person from a trailer's value, or null when it is not exactly one address. */
function person(value: string): { name: string; address: string } | null {
  const text = value.replace(/(\S)\s+#[^#]*$/, '$1').trim();
  if (text === '') return null;
  const found = parseAddressList(text);
  if (found.length !== 1) return null;
  const a = found[0] as { name: string; address: string };
  if (!/^[^@\s]+@[^@\s]+$/.test(a.address)) return null;
  return { name: a.name.trim(), address: a.address };
}

/** The review trailers of a reply's body, in order, each (key, address) once. */
export function parseReviewTrailers(body: string): Parsed<ReviewTrailer[]> {
  const trailers: ReviewTrailer[] = [];
  const issues: Issue[] = [];
  if (typeof body !== 'string' || body === '') return { value: trailers, issues };
  const lines = body.replace(/\r\n?/g, '\n').split('\n', MAX_LINES);
  const seen = new Set<string>();
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line === '-- ' || diffStarts(lines, i)) break;
    if (/^\s*>/.test(line)) continue;
    const m = TRAILER_LINE.exec(line);
    const key = m ? BY_LOWER.get((m[1] as string).toLowerCase()) : undefined;
    if (!m || !key) continue;
    const at = i + 1;
    let value = m[2] as string;
    const next = lines[i + 1];
    if (!value.includes('@') && next !== undefined && ADDRESS_ONLY.test(next)) {
      value = `${value} ${next.trim()}`;
      i++;
    }
    const who = person(value);
    if (!who) {
      issues.push(
        issue('trailer-no-address', 'warning', `${key}: is not followed by one name and address`, at),
      );
      continue;
    }
    const id = `${key}\u0000${who.address.toLowerCase()}`;
    if (seen.has(id)) continue;
    seen.add(id);
    trailers.push({ key, ...who, line: at });
  }
  return { value: trailers, issues };
}
