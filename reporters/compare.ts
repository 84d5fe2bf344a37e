/**
 * The one revision comparison: given the findings of a chain of revisions (oldest first, the last
 * one the revision under review), says of each fingerprint of the last revision whether it is new
 * in it or still present (and since which revision), and which fingerprints of the revision before
 * it are gone (fixed). Findings are keyed by their fingerprint, which is stable across revisions
 * and line moves; several findings may share one (the same problem in several places).
 *
 * The mail replies, the dashboard and the digest compare a series' reviewed revisions (the store
 * fetches them: app/store/findings.ts `history`); the GitHub review compares a push with what our
 * earlier reviews left open (app/github/pr.ts `againstPast`). Each renders the result its own way.
 * Pure: no I/O.
 */

/** One revision of a chain: its number and its findings, in the order they were reported. */
export interface ChainLink<T> {
  revision: number;
  findings: readonly T[];
}

/** A fingerprint of the last revision. */
export interface CompareEntry<T> {
  fingerprint: string;
  /** 'new': not in the revision before; 'still': in it too. */
  status: 'new' | 'still';
  /** Present without a break since this revision (the last one when 'new'). */
  since: number;
  /** The earliest revision of the chain it was ever in (before `since` when it came back). */
  firstSeen: number;
  /** The last revision's findings with this fingerprint, in their order. */
  findings: T[];
}

/** A fingerprint of the revision before the last that the last one no longer has. */
export interface CompareFixed<T> {
  fingerprint: string;
  /** It was present without a break from `since` up to the revision before the last. */
  since: number;
  /** Its first finding in the revision before the last (as last reported). */
  finding: T;
}

export interface Comparison<T> {
  /** The last revision's number. */
  revision: number;
  /** The number of the revision compared against, or null when the chain has one revision. */
  previous: number | null;
  /** The last revision's fingerprints, in the order of their first finding. */
  entries: CompareEntry<T>[];
  /** The fingerprints it fixed, in the order of their first finding in the revision before. */
  fixed: CompareFixed<T>[];
}

/**
 * Compares the last revision of `chain` with the ones before it. Throws a RangeError on an empty
 * chain (there is nothing to compare; callers always have the revision under review).
 */
export function compare<T>(chain: readonly ChainLink<T>[], fingerprintOf: (f: T) => string): Comparison<T> {
  const current = chain.at(-1);
  if (!current) throw new RangeError('compare: the chain of revisions is empty');
  const sets = chain.map((link) => new Set(link.findings.map(fingerprintOf)));
  const has = (i: number, fp: string): boolean => (sets[i] as Set<string>).has(fp);
  const numberOf = (i: number): number => (chain[i] as ChainLink<T>).revision;
  /** The first revision of the unbroken run of `fp` that ends at chain[i]. */
  const runStart = (i: number, fp: string): number => {
    let j = i;
    while (j > 0 && has(j - 1, fp)) j--;
    return numberOf(j);
  };
  const firstSeen = (fp: string): number => {
    for (let j = 0; j < chain.length; j++) if (has(j, fp)) return numberOf(j);
    return current.revision;
  };
  const last = chain.length - 1;
  const byFp = groupByFingerprint(current.findings, fingerprintOf);
  const entries = [...byFp].map(([fp, findings]): CompareEntry<T> => {
    const still = last > 0 && has(last - 1, fp);
    return {
      fingerprint: fp,
      status: still ? 'still' : 'new',
      since: still ? runStart(last, fp) : current.revision,
      firstSeen: firstSeen(fp),
      findings,
    };
  });
  const before = last > 0 ? (chain[last - 1] as ChainLink<T>) : null;
  const fixed: CompareFixed<T>[] = [];
  if (before)
    for (const [fp, findings] of groupByFingerprint(before.findings, fingerprintOf))
      if (!byFp.has(fp))
        fixed.push({ fingerprint: fp, since: runStart(last - 1, fp), finding: findings[0] as T });
  return { revision: current.revision, previous: before?.revision ?? null, entries, fixed };
}

function groupByFingerprint<T>(findings: readonly T[], fingerprintOf: (f: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const f of findings) {
    const fp = fingerprintOf(f);
    const list = out.get(fp);
    if (list) list.push(f);
    else out.set(fp, [f]);
  }
  return out;
}
