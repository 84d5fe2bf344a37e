import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCParser } from '../../app/c/language.js';
import { defaultConfig } from '../../app/config/index.js';
import { kernelTarballPresent, kernelTree } from '../../app/context/kernel-source.js';
import { reviewSeriesSet } from '../../app/review/run.js';
import { CHECKS } from '../../checks/index.js';
import { fnv64 } from '../../parsers/hash.js';
import { parseMail } from '../../parsers/mail.js';
import { toEml } from '../../parsers/mail-writer.js';
import { buildSeries } from '../../parsers/series.js';
import { buildReplies, DEFAULT_SILENCE_HINT, WIDTH } from '../../reporters/email.js';
import { corpusDir, corpusPresent } from '../helpers/corpus.js';

/**
 * The replies kapi-review writes to RFC v2's mlock family (patches 10-14, with the cover letter
 * they were posted under) when it reviews them on the Debian 6.12 tree, compared with the goldens
 * in fixtures/email/corpus-rfc-v2-mlock/. The goldens quote corpus hunks: they are derived output
 * of the tool, kept only there. UPDATE_GOLDEN=1 rewrites them; read them as the patch author would.
 */
const golden = join(import.meta.dirname, '..', '..', 'fixtures', 'email', 'corpus-rfc-v2-mlock');
const withTree = kernelTarballPresent() || Boolean(process.env.KAPI_KERNEL_TREE);
if (corpusPresent && !withTree) console.warn('email-mlock corpus test skipped: linux-source-6.12 is absent');
const DATE = new Date(Date.UTC(2025, 5, 25, 8, 0, 0));

describe.skipIf(!corpusPresent || !withTree)('the reply to RFC v2 mlock family (golden)', () => {
  it('matches fixtures/email/corpus-rfc-v2-mlock/*.eml', async () => {
    const tree = await kernelTree();
    if (!tree.dir) throw new Error(`the Debian 6.12 tree is unavailable: ${tree.reason}`);
    const dir = join(corpusDir, 'rfc-v2');
    const files = readdirSync(dir)
      .filter((f) => /^rfc-v2-(00-cover-letter\.txt|1[0-4]-.*\.patch\.txt)$/.test(f))
      .sort();
    expect(files).toHaveLength(6);
    const mails = [];
    for (const f of files) mails.push((await parseMail(readFileSync(join(dir, f)))).value);
    const set = buildSeries(mails).value;
    expect(set.series).toHaveLength(1);
    const [reviewed] = await reviewSeriesSet(set, {
      checks: CHECKS,
      config: defaultConfig(),
      parser: await loadCParser(),
      tree: tree.dir,
    });
    if (!reviewed) throw new Error('no series reviewed');
    const { series } = reviewed;
    const replies = buildReplies({
      series,
      findings: reviewed.review.findings,
      policy: {
        from: 'kapi-review <kapi-review@example.net>',
        lists: ['linux-api@vger.kernel.org'],
        cc: 'list',
        // the Debian tarball has no git history: the reply names its release
        base: { kind: 'release', release: '6.12', baseCommit: series.baseCommit },
        silenceHint: DEFAULT_SILENCE_HINT,
      },
      messageIdFor: (key) => `${fnv64(key)}.kapi-review@example.net`,
    });

    // one reply per patch with findings (all five have some), and the summary to the cover letter
    expect(replies).toHaveLength(6);
    expect(replies.at(-1)?.inReplyTo).toBe(series.cover?.messageId);
    for (const m of replies) {
      for (const line of m.text.split('\n'))
        if (!line.startsWith('>') && !/^ {2}(spec: |code: |mm\/)/.test(line) && !line.startsWith('\t'))
          expect(line.length <= WIDTH || !line.trim().includes(' '), line).toBe(true);
    }
    // the reader sees the hunk, the problem and the fix: mlockall's doubled lock description
    const mlockall = replies.find((m) => m.subject.includes('mlockall'))?.text ?? '';
    expect(mlockall).toMatch(/^> \+\t\tKAPI_LOCK_DESC\("Process memory map write lock"\)$/m);
    expect(mlockall).toContain('[kapi-field-override] error: sys_mlockall: lock[0].description is set');
    expect(mlockall).toContain('Keep one of the two lines, or merge their text into one.');
    expect(mlockall).toMatch(/^> \+\tKAPI_ERROR\(4, -EAGAIN, "EAGAIN"/m);

    const named = new Map<string, string>();
    for (const m of replies) {
      const p = series.patches.find((x) => x.mail.messageId === m.inReplyTo);
      named.set(p ? `patch-${p.counter}.eml` : 'summary.eml', toEml(m, DATE));
    }
    if (process.env.UPDATE_GOLDEN) {
      rmSync(golden, { recursive: true, force: true });
      mkdirSync(golden, { recursive: true });
      for (const [f, text] of named) writeFileSync(join(golden, f), text);
    }
    expect(existsSync(golden), `${golden} is missing: run with UPDATE_GOLDEN=1 and review it`).toBe(true);
    expect(readdirSync(golden).sort()).toEqual([...named.keys()].sort());
    for (const [f, text] of named) expect(text, f).toBe(readFileSync(join(golden, f), 'utf8'));
  });
});
