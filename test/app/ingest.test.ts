import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { FileError } from '../../app/io/files.js';
import { type IngestOptions, type IngestResult, ingestMboxFile } from '../../app/io/ingest.js';
import { syntheticMessages } from '../../bench/synth.js';
import { type IngestedMail, type IngestStats, MboxIngest } from '../../parsers/ingest.js';
import { lastMessageStart, type MboxOptions } from '../../parsers/mbox.js';

/**
 * Issue 17: the bulk ingest over worker threads (app/io/ingest.ts) gives what MboxIngest gives on
 * one thread, message by message, however the file is cut into parts and whatever becomes of the
 * workers.
 */
const root = join(import.meta.dirname, '..', '..');
const scratches: string[] = [];
afterAll(() => {
  for (const d of scratches) rmSync(d, { recursive: true, force: true });
});
function scratch(): string {
  const d = mkdtempSync(join(tmpdir(), 'kapi-ingest-'));
  scratches.push(d);
  return d;
}
function file(data: Buffer | string, name = 'in.mbox'): string {
  const p = join(scratch(), name);
  writeFileSync(p, data);
  return p;
}

/** What one thread makes of the file: its counters and every message's record. */
function sequential(path: string, options: MboxOptions = {}): { stats: IngestStats; mails: IngestedMail[] } {
  const mails: IngestedMail[] = [];
  const ing = new MboxIngest((m) => mails.push(m), options);
  ing.push(readFileSync(path));
  return { stats: ing.end(), mails };
}

async function parallel(
  path: string,
  options: IngestOptions = {},
): Promise<{ result: IngestResult; mails: IngestedMail[] }> {
  const mails: IngestedMail[] = [];
  const result = await ingestMboxFile(path, { ...options, onMail: (m) => mails.push(m) });
  return { result, mails };
}

async function expectSame(path: string, options: IngestOptions = {}): Promise<IngestResult> {
  const want = sequential(path, { format: options.format, maxMessageBytes: options.maxMessageBytes });
  const got = await parallel(path, options);
  expect(got.result.stats).toEqual(want.stats);
  expect(got.mails).toEqual(want.mails);
  return got.result;
}

const synthetic = Buffer.from([...syntheticMessages(1200, 0.08, 17)].join(''));
/** The whole messages in the first `n` bytes of the synthetic mbox. */
const head = (n: number): Buffer => synthetic.subarray(0, lastMessageStart(synthetic, 0, n));

describe('ingestMboxFile on generated list mail', () => {
  const path = file(synthetic);

  it('gives the records and counters of the one-thread ingest, however the file is cut', async () => {
    for (const partBytes of [100, 4096, 65_536, 1 << 20]) {
      const r = await expectSame(path, { workers: 2, partBytes });
      expect(r.workers).toBe(2);
      expect(r.warnings).toEqual([]);
      expect(r.localParts).toBe(0);
      if (partBytes <= 65_536) expect(r.parts).toBeGreaterThan(10);
    }
  });

  it('gives them on this thread too, and with one worker', async () => {
    const alone = await expectSame(path, { workers: 0, partBytes: 30_000 });
    expect(alone.localParts).toBe(alone.parts);
    const one = await expectSame(path, { workers: 1, partBytes: 30_000 });
    expect(one.localParts).toBe(0);
  });

  it('counts without records, and drops the parsed mail when asked', async () => {
    const want = sequential(path);
    const counted = await ingestMboxFile(path, { workers: 2, partBytes: 50_000 });
    expect(counted.stats).toEqual(want.stats);
    const lean = await parallel(path, { workers: 2, partBytes: 50_000, parsedMail: false });
    expect(lean.mails).toEqual(want.mails.map((m) => ({ ...m, mail: null })));
  });
});

describe('ingestMboxFile on fixture mail and odd files', () => {
  const mboxes: string[] = [];
  for (const dir of ['fixtures/mail', 'fixtures/lore', 'fixtures/email'])
    for (const f of readdirSync(join(root, dir)))
      if (/\.(mbox|eml|patch|txt)$/.test(f)) mboxes.push(join(root, dir, f));

  it('gives the one-thread result on every fixture', async () => {
    expect(mboxes.length).toBeGreaterThan(10);
    for (const f of mboxes)
      for (const partBytes of [64, 2000]) await expectSame(f, { workers: 2, partBytes });
  });

  it('reads a file that is no mbox as one message, and an empty file as none', async () => {
    const eml = file('Subject: [PATCH] x\n\nFrom here on\n\nFrom me Mon Sep 17 00:00:00 2001\n', 'one.eml');
    expect((await expectSame(eml, { partBytes: 10 })).parts).toBe(1);
    const empty = await expectSame(file('', 'empty.mbox'), { partBytes: 10 });
    expect(empty.stats.messages).toBe(0);
  });

  it('keeps CRLF mail, a last message without a newline, and a message larger than many parts', async () => {
    const crlf = synthetic.subarray(0, 200_000).toString('latin1').replace(/\n/g, '\r\n');
    await expectSame(file(crlf, 'crlf.mbox'), { workers: 2, partBytes: 3000 });
    await expectSame(file(synthetic.subarray(0, synthetic.length - 1), 'cut.mbox'), { partBytes: 5000 });
    const big = `From x@y Mon Sep 17 00:00:00 2001\nSubject: big\n\n${'a line of text\n'.repeat(20_000)}\n`;
    const withBig = Buffer.concat([head(100_000), Buffer.from(big), synthetic.subarray(0, 50_000)]);
    const r = await expectSame(file(withBig, 'big.mbox'), {
      workers: 2,
      partBytes: 2000,
      maxMessageBytes: 100_000,
    });
    expect(r.stats.bytes).toBeLessThan(withBig.length - 100_000);
    await expectSame(file(withBig, 'big.mbox'), { workers: 2, partBytes: 2000, format: 'mboxo' });
  });

  it('streams a message of more than one read through a worker', async () => {
    // a patch whose Subject is in its first read and whose diff is in its last
    const diff = 'diff --git a/x.c b/x.c\n--- a/x.c\n+++ b/x.c\n@@ -1 +1 @@\n-a\n+b\n';
    const huge = `From x@y Mon Sep 17 00:00:00 2001\nMessage-ID: <huge@x>\nSubject: [PATCH] huge\n\n${'0123456789abcdef\n'.repeat(600_000)}---\n${diff}\n`;
    const data = Buffer.concat([head(300_000), Buffer.from(huge), head(300_000)]);
    const path = file(data, 'huge.mbox');
    const r = await expectSame(path, { workers: 2, partBytes: 100_000 });
    expect(r.stats.withDiff).toBe(sequential(file(head(300_000))).stats.withDiff * 2 + 1);
    await expectSame(path, { workers: 2, partBytes: 100_000, maxMessageBytes: 5_000_000 });
    // and as the last part, read to the end of the file
    await expectSame(file(Buffer.from(huge), 'alone.mbox'), { workers: 1 });
  });

  it('throws a FileError for what cannot be read', async () => {
    await expect(ingestMboxFile(join(scratch(), 'missing.mbox'))).rejects.toBeInstanceOf(FileError);
    const dir = join(scratch(), 'a-folder');
    mkdirSync(dir);
    await expect(ingestMboxFile(dir)).rejects.toBeInstanceOf(FileError);
  });
});

describe('when a worker fails', () => {
  const path = file(synthetic);
  const real = pathToFileURL(join(root, 'dist', 'app', 'io', 'ingest-worker.js')).href;
  /** A worker script in the scratch folder: `body` runs first, then (maybe) the real worker. */
  const worker = (body: string): URL => {
    const p = join(scratch(), 'worker.mjs');
    writeFileSync(p, body);
    return pathToFileURL(p);
  };

  it('ingests the parts of a worker that dies on this thread, and says so', async () => {
    const dies = worker(
      `import { parentPort } from 'node:worker_threads';\nlet n = 0;\nparentPort.on('message', () => { if (++n === 3) process.exit(7); });\nawait import(${JSON.stringify(real)});\n`,
    );
    const r = await expectSame(path, { workers: 2, partBytes: 20_000, workerUrl: dies });
    expect(r.localParts).toBeGreaterThan(0);
    expect(r.warnings.length).toBeGreaterThan(0);
    expect(r.warnings[0]).toMatch(/an ingest worker was dropped \(it exited with code 7\)/);
  });

  it('ingests everything here when no worker can start', async () => {
    const missing = pathToFileURL(join(scratch(), 'no-such-worker.mjs'));
    const r = await expectSame(path, { workers: 2, partBytes: 50_000, workerUrl: missing });
    expect(r.localParts).toBe(r.parts);
    expect(r.warnings).toHaveLength(2);
  });

  it('ingests here a part the worker answers with an error', async () => {
    const refuses = worker(
      `import { parentPort } from 'node:worker_threads';\nparentPort.on('message', (job) => parentPort.postMessage({ seq: job.seq, error: 'no' }));\n`,
    );
    const r = await expectSame(path, { workers: 1, partBytes: 50_000, workerUrl: refuses });
    expect(r.localParts).toBe(r.parts);
    expect(r.warnings).toEqual([expect.stringMatching(/it failed on part \d+: no/)]);
  });

  it('hands on what onMail throws', async () => {
    let n = 0;
    const onMail = () => {
      if (++n === 500) throw new Error('enough');
    };
    await expect(ingestMboxFile(path, { workers: 2, partBytes: 20_000, onMail })).rejects.toThrow('enough');
  });
});
