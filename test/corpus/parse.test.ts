import { describe, expect, it } from 'vitest';
import { type PatchMail, parseMail } from '../../parsers/mail.js';
import { buildSeries, type Series } from '../../parsers/series.js';
import { corpusFiles, corpusPresent } from '../helpers/corpus.js';

/**
 * Every real mail under ../shared/corpus: what can be known from the file names and headers.
 * File names: <posting>-<NN>-<topic>.txt for patches (NN = 00 for the cover letter) and
 * <date>-<who>-re-<posting>-<NN>-<hash>.eml.txt for review replies.
 */
const POSTINGS: Record<string, { rfc: boolean; revision: number; expected: number }> = {
  'rfc-v2': { rfc: true, revision: 2, expected: 22 },
  'rfc-v3': { rfc: true, revision: 3, expected: 4 },
  'patch-v4': { rfc: false, revision: 4, expected: 11 },
};

function factsOf(name: string): { posting: string; counter: number; reply: boolean } | null {
  const m = /(?:^|-re-)(rfc-v2|rfc-v3|patch-v4)-(\d\d)-/.exec(name.split('/')[1] ?? '');
  if (!m) return null;
  return { posting: m[1] as string, counter: Number(m[2]), reply: name.startsWith('reviews/') };
}

async function parseAll(names?: (n: string) => boolean): Promise<PatchMail[]> {
  const files = corpusFiles().filter((f) => !names || names(f.name));
  return Promise.all(files.map(async (f) => (await parseMail(f.bytes)).value));
}

function shuffle<T>(xs: T[], seed: number): T[] {
  const a = [...xs];
  let s = seed;
  for (let i = a.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const j = s % (i + 1);
    [a[i], a[j]] = [a[j] as T, a[i] as T];
  }
  return a;
}

function summary(series: Series[]): unknown {
  return series.map((s) => ({
    id: s.id,
    title: s.title,
    revision: s.revision,
    state: s.state,
    cover: s.cover?.messageId ?? null,
    patches: s.patches.map((p) => [p.counter, p.mail.messageId]),
    followUps: s.followUps.map((m) => m.messageId).sort(),
    previous: s.previousRevision,
  }));
}

describe.skipIf(!corpusPresent)('corpus: every mail parses', () => {
  const files = corpusFiles();
  it('finds the corpus', () => {
    expect(files.length).toBeGreaterThanOrEqual(50);
  });
  for (const f of files) {
    it(`${f.name} parses without issues and matches its file name`, async () => {
      const { value: m, issues } = await parseMail(f.bytes);
      expect(issues).toEqual([]);
      expect(m.messageId).toMatch(/@/);
      expect(m.from?.address).toMatch(/@/);
      expect(m.date).not.toBeNull();
      const facts = factsOf(f.name);
      expect(facts).not.toBeNull();
      if (!facts) return;
      const posting = POSTINGS[facts.posting];
      expect(posting).toBeDefined();
      if (!posting) return;
      expect(m.subjectInfo.reply).toBe(facts.reply);
      expect(m.subjectInfo.rfc).toBe(posting.rfc);
      expect(m.subjectInfo.revision).toBe(posting.revision);
      expect(m.subjectInfo.counter).toBe(facts.counter);
      expect(m.subjectInfo.expected).toBe(posting.expected);
      if (!facts.reply && facts.counter > 0) {
        // a patch: a commit message with a sign-off, a diff with files, and git's signature
        expect(m.files.length).toBeGreaterThan(0);
        expect(m.diff).not.toBeNull();
        expect(m.trailers.some((t) => t.key.toLowerCase() === 'signed-off-by')).toBe(true);
        expect(m.footer.signature).toMatch(/^2\.\d+/);
        for (const file of m.files) for (const h of file.hunks) expect(h.truncated).toBe(false);
        // git's own diffstat summary must agree with what the diff parser found
        const stat = /(\d+) files? changed(?:, (\d+) insertions?\(\+\))?(?:, (\d+) deletions?\(-\))?/.exec(
          m.notes,
        );
        expect(stat).not.toBeNull();
        const lines = m.files.flatMap((file) => file.hunks.flatMap((h) => h.lines));
        expect([
          m.files.length,
          lines.filter((l) => l.kind === 'add').length,
          lines.filter((l) => l.kind === 'del').length,
        ]).toEqual([Number(stat?.[1]), Number(stat?.[2] ?? 0), Number(stat?.[3] ?? 0)]);
      }
      if (facts.counter === 0 && !facts.reply) expect(m.files).toEqual([]);
    });
  }
});

describe.skipIf(!corpusPresent)('corpus: series assembly', () => {
  it('assembles RFC v2 into one complete 22-patch series with its cover letter', async () => {
    const mails = await parseAll((n) => n.startsWith('rfc-v2/'));
    const { value, issues } = buildSeries(mails);
    expect(issues).toEqual([]);
    expect(value.series).toHaveLength(1);
    const s = value.series[0] as Series;
    expect(s.state).toEqual({ kind: 'complete' });
    expect(s.revision).toBe(2);
    expect(s.rfc).toBe(true);
    expect(s.cover?.subjectInfo.counter).toBe(0);
    expect(s.patches.map((p) => p.counter)).toEqual(Array.from({ length: 22 }, (_, i) => i + 1));
    expect(s.title).toBe('Kernel API specification framework');
    expect(value.unattached).toEqual([]);
  });

  it('gives the same series for shuffled and duplicated input', async () => {
    const mails = await parseAll();
    const reference = summary(buildSeries(mails).value.series);
    for (const seed of [1, 7, 42]) {
      const again = shuffle([...mails, ...shuffle(mails, seed).slice(0, 9)], seed);
      const built = buildSeries(again);
      expect(summary(built.value.series)).toEqual(reference);
      expect(built.value.series.flatMap((s) => s.duplicates)).toHaveLength(9);
    }
  });

  it('assembles the whole corpus: three postings, reviews as follow-ups, v2 -> v4 linked by title', async () => {
    const { value } = buildSeries(await parseAll());
    const byRev = new Map(value.series.map((s) => [s.revision, s]));
    expect([...byRev.keys()].sort()).toEqual([2, 3, 4]);
    for (const s of value.series) expect(s.state).toEqual({ kind: 'complete' });
    expect(byRev.get(2)?.followUps).toHaveLength(10);
    expect(byRev.get(3)?.followUps).toHaveLength(5);
    expect(byRev.get(4)?.followUps).toHaveLength(0);
    // v3 changed its cover title and no posting carries a change-id: it is not guessed into the lineage
    expect(byRev.get(4)?.previousRevision).toBe(byRev.get(2)?.id);
    expect(byRev.get(3)?.previousRevision).toBeNull();
    expect(value.unattached).toEqual([]);
  });

  it('reports a series with missing patches as incomplete, naming them', async () => {
    const mails = await parseAll((n) => n.startsWith('rfc-v2/') && !/-(07|15)-/.test(n));
    const { value } = buildSeries(mails);
    expect(value.series).toHaveLength(1);
    expect(value.series[0]?.state).toEqual({ kind: 'incomplete', missing: [7, 15] });
  });
});
