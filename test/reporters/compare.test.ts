import { describe, expect, it } from 'vitest';
import { type ChainLink, compare } from '../../reporters/compare.js';

/** A finding for the table: its fingerprint and where it is, so grouped findings can be told apart. */
interface F {
  fp: string;
  at: number;
}

/** `{ 1: 'A B', 2: 'A' }`: revision numbers to the fingerprints of their findings, in order. */
function chain(revisions: Record<number, string>): ChainLink<F>[] {
  return Object.entries(revisions).map(([n, fps]) => ({
    revision: Number(n),
    findings: fps
      .split(/\s+/)
      .filter(Boolean)
      .map((fp, at) => ({ fp, at })),
  }));
}

const run = (revisions: Record<number, string>) => compare(chain(revisions), (f) => f.fp);

describe('compare: each fingerprint of the last revision against the chain before it', () => {
  const table: {
    name: string;
    chain: Record<number, string>;
    previous: number | null;
    /** [fingerprint, status, since, firstSeen, how many findings] */
    entries: [string, 'new' | 'still', number, number, number][];
    /** [fingerprint, since] */
    fixed: [string, number][];
  }[] = [
    {
      name: 'one revision: everything is new',
      chain: { 1: 'A B' },
      previous: null,
      entries: [
        ['A', 'new', 1, 1, 1],
        ['B', 'new', 1, 1, 1],
      ],
      fixed: [],
    },
    {
      name: 'still present, new, and fixed against the revision before',
      chain: { 1: 'A C', 2: 'A B' },
      previous: 1,
      entries: [
        ['A', 'still', 1, 1, 1],
        ['B', 'new', 2, 2, 1],
      ],
      fixed: [['C', 1]],
    },
    {
      name: 'a fingerprint that comes back is new again, first seen earlier',
      chain: { 1: 'F A', 2: 'A', 3: 'A F' },
      previous: 2,
      entries: [
        ['A', 'still', 1, 1, 1],
        ['F', 'new', 3, 1, 1],
      ],
      fixed: [],
    },
    {
      name: 'still present since the start of its unbroken run, not its first sighting',
      chain: { 1: 'F', 2: '', 3: 'F', 4: 'F' },
      previous: 3,
      entries: [['F', 'still', 3, 1, 1]],
      fixed: [],
    },
    {
      name: 'a fixed fingerprint is present since the start of its run up to the revision before',
      chain: { 1: 'D', 2: 'B D', 3: 'B' },
      previous: 2,
      entries: [['B', 'still', 2, 2, 1]],
      fixed: [['D', 1]],
    },
    {
      name: 'a revision without findings fixes everything before it',
      chain: { 1: 'A B', 2: '' },
      previous: 1,
      entries: [],
      fixed: [
        ['A', 1],
        ['B', 1],
      ],
    },
    {
      name: 'the chain numbers are the revisions compared (a superseded v2 and v4 are not in it)',
      chain: { 1: 'X', 3: 'X Y', 5: 'X Y' },
      previous: 3,
      entries: [
        ['X', 'still', 1, 1, 1],
        ['Y', 'still', 3, 3, 1],
      ],
      fixed: [],
    },
    {
      name: 'findings sharing a fingerprint are one entry, in the order of their first finding',
      chain: { 1: 'D A D', 2: 'B A B B' },
      previous: 1,
      entries: [
        ['B', 'new', 2, 2, 3],
        ['A', 'still', 1, 1, 1],
      ],
      fixed: [['D', 1]],
    },
  ];

  for (const t of table)
    it(t.name, () => {
      const c = run(t.chain);
      const numbers = Object.keys(t.chain).map(Number);
      expect(c.revision).toBe(numbers.at(-1));
      expect(c.previous).toBe(t.previous);
      expect(
        c.entries.map((e) => [e.fingerprint, e.status, e.since, e.firstSeen, e.findings.length]),
      ).toEqual(t.entries);
      expect(c.fixed.map((f) => [f.fingerprint, f.since])).toEqual(t.fixed);
    });

  it('keeps the findings themselves: all of an entry, the first of a fixed fingerprint', () => {
    const c = run({ 1: 'D A D', 2: 'B A B' });
    expect(c.entries[0]?.findings).toEqual([
      { fp: 'B', at: 0 },
      { fp: 'B', at: 2 },
    ]);
    expect(c.fixed[0]?.finding).toEqual({ fp: 'D', at: 0 });
  });

  it('refuses an empty chain', () => {
    expect(() => compare<F>([], (f) => f.fp)).toThrow(RangeError);
  });
});
