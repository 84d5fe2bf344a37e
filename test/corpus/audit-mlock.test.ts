import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { kernelFile, kernelTarballPresent, kernelTree } from '../../app/context/kernel-source.js';
import { RFC_V2_TREE, treeWithPosting, treeWithSeries } from '../../app/context/series-tree.js';
import { type PatchMail, parseMail } from '../../parsers/mail.js';
import type { FindingJson, ReviewJson } from '../../reporters/json.js';
import { runCli } from '../helpers/cli.js';
import { corpusDir } from '../helpers/corpus.js';
import { gitDiff } from '../helpers/mailgen.js';

/**
 * Issue 18's first Done-when: on the 6.12 tree with the RFC v2 mlock-family specs applied (patches
 * 10-14 of ../shared/corpus/rfc-v2 on 6.12's mm/mlock.c, as check-munlockall.test.ts builds it),
 * `audit` finds what `check` finds on the series, minus what the series itself fixed, with the
 * same fingerprints (a follow-up patch of ours fixes one finding of the family, so that there is
 * something the series fixed). And the same for the whole of RFC v2 on the whole 6.12 tree.
 */
const rfcV2 = join(corpusDir, 'rfc-v2');
const present = existsSync(rfcV2) && (kernelTarballPresent() || Boolean(process.env.KAPI_KERNEL_TREE));
if (!present) console.warn('audit-mlock corpus test skipped: needs ../shared/corpus and linux-source-6.12');

const FAMILY = ['10-mlock', '11-mlock2', '12-mlockall', '13-munlock', '14-munlockall'].map((n) =>
  join(rfcV2, `rfc-v2-${n}.patch.txt`),
);

/**
 * What a finding is, whoever found it. Its line may differ (a later patch of the series moves
 * it), and so may a line a message points at (`set twice (first on line 937)`): those are masked.
 */
const key = (f: FindingJson): string =>
  [
    f.fingerprint,
    f.check,
    f.severity,
    f.spec,
    f.subject,
    f.path,
    f.message.replace(/\bline \d+/g, 'line #'),
  ].join(' | ');

async function checked(tree: string, inputs: string[]): Promise<FindingJson[]> {
  const r = await runCli(['check', '--tree', tree, '--filter', 'none', '--format', 'json', ...inputs]);
  const report = JSON.parse(r.out) as ReviewJson;
  expect(report.errors).toEqual([]);
  return [...report.findings, ...report.outside];
}

async function audited(tree: string): Promise<FindingJson[]> {
  const r = await runCli(['audit', tree, '--format', 'json']);
  const report = JSON.parse(r.out) as ReviewJson;
  expect(report.errors).toEqual([]);
  expect(report.outside).toEqual([]);
  return report.findings;
}

/**
 * One more patch of the same series (ours, not the corpus's: slot 15 of RFC v2, in the thread of
 * `like`, from its sender) that drops the first of munlockall's two lock[1] descriptions.
 */
function fixMail(withSpecs: string, like: PatchMail): string {
  const first = '\t\tKAPI_LOCK_DESC("Per-memcg LRU list lock")\n';
  const rest =
    '\t\tKAPI_LOCK_ACQUIRED\n\t\tKAPI_LOCK_RELEASED\n\t\tKAPI_LOCK_DESC("Taken when moving all pages from unevictable to normal LRU lists")\n';
  expect(withSpecs.split(first + rest)).toHaveLength(2);
  const diff = gitDiff('mm/mlock.c', withSpecs, withSpecs.replace(first + rest, rest));
  const prefix = /^\[[^\]]*\]/.exec(like.subject)?.[0] ?? '';
  expect(prefix).toMatch(/ 14\/22\]$/);
  const root = like.references[0] ?? like.inReplyTo;
  return [
    `From: ${like.from?.name ?? ''} <${like.from?.address ?? ''}>`,
    `Date: ${new Date(like.date ?? 0).toUTCString()}`,
    `Subject: ${prefix.replace('14/22', '15/22')} mm/mlock: describe the lru_lock of munlockall once`,
    'Message-ID: <audit-test-15@example.org>',
    `In-Reply-To: <${root}>`,
    `References: <${root}>`,
    '',
    'The first of the two descriptions was lost anyway.',
    '',
    '---',
    'diff --git a/mm/mlock.c b/mm/mlock.c',
    diff.trimEnd(),
    '',
  ].join('\n');
}

describe.skipIf(!present)('kapi-review audit on 6.12 with RFC v2 applied: what check finds', () => {
  let base = '';
  let after = '';
  /** The mlock family, then our fix of one of its findings. */
  let series: string[] = [];

  beforeAll(async () => {
    const mlock = await kernelFile('mm/mlock.c');
    if (mlock === null) throw new Error('mm/mlock.c not in the kernel tarball');
    base = mkdtempSync(join(tmpdir(), 'kapi-audit-base-'));
    mkdirSync(join(base, 'mm'));
    writeFileSync(join(base, 'mm', 'mlock.c'), mlock);
    const patches = async (paths: string[]) => {
      const out = [];
      for (const path of paths) {
        const m = (await parseMail(readFileSync(path))).value;
        out.push({ messageId: m.messageId, label: path, files: m.files });
      }
      return out;
    };
    const family = await treeWithSeries(base, await patches(FAMILY), `${base}-family`, 'family');
    expect(family.failed).toEqual([]);
    const fix = join(base, 'fix.mbox');
    const like = (await parseMail(readFileSync(FAMILY.at(-1) as string))).value;
    writeFileSync(fix, fixMail(readFileSync(join(family.dir, 'mm', 'mlock.c'), 'utf8'), like));
    series = [...FAMILY, fix];
    const t = await treeWithSeries(base, await patches(series), `${base}-after`, 'family+fix');
    expect(t.failed).toEqual([]);
    expect(t.written).toEqual(['mm/mlock.c']);
    after = t.dir;
  }, 120_000);

  it('the mlock family: the series findings minus what it fixed, with the same fingerprints', async () => {
    const reviewed = await checked(base, series);
    // what the series fixed: present after some prefix of it, gone after the whole
    const seen = new Map<string, FindingJson>();
    for (let k = 1; k < series.length; k++)
      for (const f of await checked(base, series.slice(0, k))) seen.set(f.fingerprint, f);
    const final = new Set(reviewed.map((f) => f.fingerprint));
    const fixed = [...seen.values()].filter((f) => !final.has(f.fingerprint));
    expect(fixed.map((f) => `${f.check} ${f.spec} ${f.subject}`)).toEqual([
      'kapi-field-override sys_munlockall lock[1].description',
    ]);

    const audit = await audited(after);
    expect(audit.map(key).sort()).toEqual(reviewed.map(key).sort());
    for (const f of fixed) expect(audit.map((a) => a.fingerprint)).not.toContain(f.fingerprint);
    // the two the checks issue names, and the overridden lock descriptions of all four but one
    const rows = audit.map((f) => `${f.check} ${f.spec} ${f.subject}`);
    expect(rows).toContain('kapi-error-unreachable sys_mlockall EAGAIN');
    expect(rows).toContain('kapi-error-unreachable sys_munlockall ENOMEM');
    expect(rows.filter((r) => r.startsWith('kapi-field-override'))).toHaveLength(7);
    // the audit's lines are the final tree's: each names a line of it with text on it
    const lines = readFileSync(join(after, 'mm', 'mlock.c'), 'utf8').split('\n');
    for (const f of audit) expect(lines[f.line - 1]?.trim().length).toBeGreaterThan(0);
  }, 120_000);

  it('the whole of RFC v2 on the whole tree: the same findings as check on the series', async () => {
    const kernel = await kernelTree();
    if (!kernel.dir) throw new Error(kernel.reason ?? 'no kernel tree');
    const cache = process.env.KAPI_KERNEL_CACHE ?? '/var/tmp/kapi-review';
    const tree = await treeWithPosting(kernel.dir, rfcV2, join(cache, RFC_V2_TREE));
    const series = await checked(kernel.dir, [rfcV2]);
    const audit = await audited(tree.dir);
    expect(series.length).toBeGreaterThan(10);
    expect(audit.map(key).sort()).toEqual(series.map(key).sort());
  }, 300_000);
});
