import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../app/cli/main.js';
import { kernelTarballPresent, kernelTree } from '../../app/context/kernel-source.js';
import { parseMail } from '../../parsers/mail.js';
import { EXPECTED, type Table } from './check-corpus.expected.js';

/**
 * `kapi-review check` on every posting in ../shared/corpus, with the default configuration, once on
 * the hunks alone and once on the Debian 6.12 tree. Every finding is in the table (written down and
 * reviewed one by one: a real problem of the spec, or a defect that was fixed), and nothing else.
 * UPDATE_CORPUS_TABLE=1 writes the table the bot produces now to test-output/, to review by hand.
 */
const corpus = join(import.meta.dirname, '..', '..', '..', 'shared', 'corpus');
const present = existsSync(corpus);
if (!present) console.warn(`check-corpus test skipped: ${corpus} is absent`);
const withTree = present && (kernelTarballPresent() || Boolean(process.env.KAPI_KERNEL_TREE));
if (present && !withTree) console.warn('check-corpus --tree half skipped: linux-source-6.12 is absent');

const POSTINGS = ['rfc-v2', 'rfc-v3', 'patch-v4'];

interface JsonFinding {
  check: string;
  severity: string;
  path: string;
  line: number;
  messageId: string | null;
  spec: string | null;
  subject: string | null;
  evidence: unknown[];
}

async function table(posting: string, tree: string | null): Promise<Table[string]> {
  const dir = join(corpus, posting);
  const byId = new Map<string, string>();
  for (const f of readdirSync(dir).sort()) {
    const m = (await parseMail(readFileSync(join(dir, f)))).value;
    if (m.messageId) byId.set(m.messageId, f);
  }
  let out = '';
  const argv = ['node', 'kapi-review', 'check', '--filter', 'none', '--format', 'json'];
  if (tree) argv.push('--tree', tree);
  await main([...argv, dir], { out: (s) => (out += s), err: () => {} });
  const report = JSON.parse(out) as { findings: JsonFinding[]; outside: JsonFinding[]; errors: unknown[] };
  expect(report.errors).toEqual([]);
  const rows: Table[string] = {};
  for (const f of [...report.findings, ...report.outside]) {
    expect(f.evidence.length).toBeGreaterThan(0);
    const file = (f.messageId && byId.get(f.messageId)) ?? '(no mail)';
    rows[file] ??= [];
    rows[file].push(`${f.path}:${f.line} ${f.severity} ${f.check} ${f.spec ?? '-'} ${f.subject ?? '-'}`);
  }
  for (const k of Object.keys(rows)) rows[k]?.sort();
  return rows;
}

function dump(key: string, rows: Table[string]): void {
  if (!process.env.UPDATE_CORPUS_TABLE) return;
  const dir = join(import.meta.dirname, '..', '..', 'test-output');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, `corpus-table-${key.replace('/', '-')}.json`),
    JSON.stringify({ [key]: rows }, null, 2),
  );
}

describe.skipIf(!present)('kapi-review check on the corpus: exactly the findings in the table', () => {
  for (const posting of POSTINGS) {
    it(`${posting}, hunks only`, async () => {
      const got = await table(posting, null);
      dump(`${posting}/hunks`, got);
      expect(got).toEqual(EXPECTED[`${posting}/hunks`]);
    });
    it.skipIf(!withTree)(`${posting}, on the Debian 6.12 tree`, async () => {
      const t = await kernelTree();
      const got = await table(posting, t.dir);
      dump(`${posting}/tree`, got);
      expect(got).toEqual(EXPECTED[`${posting}/tree`]);
    });
  }
});
