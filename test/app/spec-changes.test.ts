/**
 * The spec changes of a revision since the one before, as the bot's cover-letter reply shows
 * them: the previous revision rebuilt from the raw mail the store kept (fixtures/mail frob v1 and
 * v2), read from the hunks or on fixtures/tree-frob; nothing claimed when the previous revision
 * is not known whole; and the section the reply carries, wrapped and capped. Then the App's:
 * base vs head images of a pull request (fixtures/kapi, fixtures/spec-diff, fixtures/github).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Parser } from 'web-tree-sitter';
import { ingest } from '../../app/bot/ingest.js';
import { recordRevision } from '../../app/bot/revisions.js';
import { previousSeries, specChangesOf } from '../../app/bot/spec-changes.js';
import { botState } from '../../app/bot/state.js';
import { loadCParser } from '../../app/c/language.js';
import { seriesSpecDiff } from '../../app/context/spec-sides.js';
import type { PrImage } from '../../app/github/pr.js';
import { pullSpecChanges } from '../../app/github/spec-changes.js';
import { Store } from '../../app/store/store.js';
import { parseMailSync } from '../../parsers/mail.js';
import { splitMboxBuffer } from '../../parsers/mbox.js';
import { buildSeries, type Series } from '../../parsers/series.js';
import { buildReplies, DEFAULT_SILENCE_HINT } from '../../reporters/email.js';
import { buildReview } from '../../reporters/github.js';
import { specDiffLines, specDiffMailSection, specDiffMarkdown } from '../../reporters/spec-diff.js';
import { botDeps, memoryLog } from '../helpers/bot.js';

const raws = (f: string) => splitMboxBuffer(readFileSync(join('fixtures/mail', f))).map((m) => m.raw);
const seriesOf = (f: string): Series => {
  const s = buildSeries(raws(f).map((r) => parseMailSync(r).value)).value.series[0];
  if (!s) throw new Error(`no series in ${f}`);
  return s;
};

const open: { dir: string; store: Store }[] = [];
afterEach(() => {
  for (const o of open.splice(0)) {
    o.store.close();
    rmSync(o.dir, { recursive: true, force: true });
  }
});

function fresh(tree: string | null, parser: Parser | null) {
  const dir = mkdtempSync(join(tmpdir(), 'kapi-spec-changes-'));
  const now = () => new Date('2026-03-02T12:00:00Z');
  const store = Store.open({ path: join(dir, 'state.db'), now });
  open.push({ dir, store });
  const log = memoryLog();
  const deps = botDeps({ store, log, now, dryRunDir: join(dir, 'eml'), pool: null });
  deps.tree = tree;
  deps.parser = parser;
  return { st: botState(deps), store, log };
}

describe('spec changes between two revisions of a series', () => {
  let parser: Parser;
  let v1: Series;
  let v2: Series;
  beforeAll(async () => {
    parser = await loadCParser();
    v1 = seriesOf('base-frob-v1.mbox');
    v2 = seriesOf('revision-frob-v2.mbox');
  });

  it('from the hunks alone: the error v2 adds, and no verdict without the whole file', async () => {
    const { deltas, notes } = await seriesSpecDiff(v1, v2, null, parser);
    expect(notes).toEqual([]);
    // the whole spec is in the hunks of 2/3, the new error in those of 3/3
    expect(specDiffLines(deltas)).toEqual([
      expect.stringMatching(/^sys_frob \(kernel\/frob\.c:\d+, macro\): 1 change$/),
      '  + error EPERM: caller lacks CAP_SYS_ADMIN',
    ]);
  });

  it('from the hunks alone, claims no spec gone that may just be in the base', async () => {
    // patch 1/3 of v1 alone leaves kernel/frob.c without the spec 2/3 adds; without a tree
    // nothing says the base lacks it, so nothing is claimed; on the tree it is known gone
    const first = buildSeries([parseMailSync(raws('base-frob-v1.mbox')[1] as Buffer).value]).value.series[0];
    if (!first) throw new Error('no series');
    expect((await seriesSpecDiff(v1, first, null, null)).deltas).toEqual([]);
    const onTree = await seriesSpecDiff(v1, first, 'fixtures/tree-frob', null);
    expect(onTree.deltas.map((d) => [d.name, d.status])).toEqual([['sys_frob', 'removed']]);
  });

  it('on the tree: the same change, and the code agrees', async () => {
    const { deltas } = await seriesSpecDiff(v1, v2, 'fixtures/tree-frob', parser);
    const lines = specDiffLines(deltas);
    expect(lines[0]).toMatch(/^sys_frob \(kernel\/frob\.c:\d+, macro\): 1 change$/);
    expect(lines[1]).toMatch(
      /^ {2}\+ error EPERM: caller lacks CAP_SYS_ADMIN; the code returns it \(kernel\/frob\.c:\d+: return -EPERM;\)$/,
    );
    expect(lines).toHaveLength(2);
  });

  it('the bot rebuilds v1 from the raw mail it kept, and says nothing when it cannot', async () => {
    const { st, store } = fresh('fixtures/tree-frob', parser);
    // v2 alone: no earlier revision known
    for (const r of raws('revision-frob-v2.mbox')) await ingest(st, r, 'test');
    const only = recordRevision(st, v2, undefined);
    expect(await specChangesOf(st, v2, only)).toBeNull();

    for (const r of raws('base-frob-v1.mbox')) await ingest(st, r, 'test');
    recordRevision(st, v1, undefined);
    const rev2 = recordRevision(st, v2, undefined);
    expect(previousSeries(store, rev2)?.revision).toBe(1);
    const changes = await specChangesOf(st, v2, rev2);
    expect(changes?.since).toBe(1);
    expect(changes?.deltas.map((d) => [d.name, d.changes.map((c) => [c.op, c.key])])).toEqual([
      ['sys_frob', [['added', 'EPERM']]],
    ]);
    // v1 against itself: nothing changed, nothing said
    const rev1 = store.series.revisions(rev2.seriesId).find((r) => r.revision === 1);
    expect(rev1 && (await specChangesOf(st, v1, { ...rev1, revision: 2 }))).toBeNull();
  });

  it('says nothing when the earlier revision was not complete', async () => {
    const { st } = fresh(null, parser);
    const [cover, p1, p2] = raws('base-frob-v1.mbox');
    for (const r of [cover, p1, p2]) await ingest(st, r as Buffer, 'test');
    const partial = buildSeries([cover, p1, p2].map((r) => parseMailSync(r as Buffer).value)).value.series[0];
    if (!partial) throw new Error('no partial series');
    expect(partial.state.kind).toBe('incomplete');
    recordRevision(st, partial, undefined);
    for (const r of raws('revision-frob-v2.mbox')) await ingest(st, r, 'test');
    const rev2 = recordRevision(st, v2, undefined);
    expect(await specChangesOf(st, v2, rev2)).toBeNull();
  });

  it("goes in the cover letter's reply, wrapped at 72 columns, and is capped", async () => {
    const { deltas } = await seriesSpecDiff(v1, v2, 'fixtures/tree-frob', parser);
    const finding = {
      check: 'kapi-deprecated-form',
      severity: 'warning' as const,
      message: 'old form',
      at: { path: 'kernel/frob.c', line: 21, messageId: v2.patches[1]?.mail.messageId ?? '' },
      spec: 'sys_frob',
      evidence: [],
      fingerprint: 'f00d',
      scope: 'added' as const,
      patch: 1,
    };
    const policy = {
      from: 'kapi-review <bot@example.net>',
      lists: [],
      cc: 'none' as const,
      base: { kind: 'hunks' as const, baseCommit: null },
      silenceHint: DEFAULT_SILENCE_HINT,
    };
    const messageIdFor = (k: string) => `${k}@example.net`;
    const mails = buildReplies({
      series: v2,
      findings: [finding],
      specChanges: { since: 1, deltas },
      policy,
      messageIdFor,
    });
    const summary = mails.find((m) => m.inReplyTo === v2.cover?.messageId);
    const body = summary?.text ?? '';
    expect(body).toContain('\nSpec changes since v1:\n  sys_frob (kernel/frob.c:');
    expect(body).toMatch(
      /\n {4}\+ error EPERM: caller lacks CAP_SYS_ADMIN; the code returns it\n {8}\(kernel/,
    );
    for (const l of body.split('\n')) expect(l.length).toBeLessThanOrEqual(72);
    // the reply to the patch does not repeat it; without changes there is no section
    expect(mails.filter((m) => m.text.includes('Spec changes'))).toHaveLength(1);
    const plain = buildReplies({ series: v2, findings: [finding], policy, messageIdFor });
    expect(plain.some((m) => m.text.includes('Spec changes'))).toBe(false);

    expect(specDiffMailSection(deltas, 'v1', 2)).toHaveLength(3);
    expect(specDiffMailSection(deltas, 'v1', 1)).toEqual([
      'Spec changes since v1:',
      '  ... and 2 more lines (kapi-review spec-diff lists them all)',
    ]);
  });
});

describe("a pull request's spec changes in its review body", () => {
  const read = (p: string): string => readFileSync(p, 'utf8');
  const image = (filename: string, pre: string | null, post: string): PrImage => ({
    file: { filename, status: pre === null ? 'added' : 'modified' },
    pre,
    post,
  });
  const v1 = read('fixtures/kapi/frob.macro.c');
  const v2 = read('fixtures/spec-diff/frob-v2.kd3.c');

  it('compares base and head by meaning across forms, with the verdicts of the head code', async () => {
    let asked = 0;
    const parser = async () => {
      asked++;
      return loadCParser();
    };
    const deltas = await pullSpecChanges([image('kernel/frob.c', v1, v2)], parser);
    expect(asked).toBe(1);
    const md = specDiffMarkdown(deltas) ?? '';
    expect(md).toMatch(/\n@@ sys_frob \(kernel\/frob\.c:14, macro -> kerneldoc-3\): 11 changes @@\n/);
    expect(md).toContain('\n+ error EFAULT: the range is not user memory; the code returns it');
    // the same spec in two forms that say the same: nothing to show, and no grammar loaded
    const same = await pullSpecChanges(
      [image('kernel/frob.c', read('fixtures/kapi/frob.kd1.c'), read('fixtures/kapi/frob.kd2.c'))],
      parser,
    );
    expect(asked).toBe(1);
    expect(specDiffMarkdown(same)).toBeNull();
  });

  it('leaves out a spec its parser could not read, and caps the block', async () => {
    const gizmo = read('fixtures/github/gizmo-unterminated.c');
    const deltas = await pullSpecChanges(
      [image('kernel/gizmo.c', null, gizmo), image('kernel/frob.c', v1, v2)],
      undefined,
    );
    expect(deltas.map((d) => d.name)).toEqual(['sys_frob']);
    const review = buildReview({
      findings: [],
      commitId: 'c0ffee',
      diffLines: () => new Set(),
      previous: new Set(),
      fixed: [],
      specChanges: deltas,
    });
    expect(review.body).toContain('\n\n**Spec changes** (base -> head)\n\n```diff\n@@ sys_frob');
    // without the grammar, no claim about the code
    expect(review.body).not.toContain('the code');
    expect(specDiffMarkdown(deltas, 3)).toMatch(
      /\n```\n\n\.\.\. and 10 more lines \(`kapi-review spec-diff` lists them all\)\.$/,
    );
  });
});
