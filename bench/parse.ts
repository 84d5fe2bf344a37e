/**
 * Parse throughput: a raw byte scan of an mbox (the floor any parser pays: read the file and find
 * every line end) against the mbox split and the full parse (split + MIME + patch anatomy + series),
 * measured in the same run on the same file. Prints medians and ratios to the raw scan.
 *
 *   npm run bench:parse [-- --size-mb 64] [-- --file some.mbox] [-- --runs 3]
 */
import { createReadStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type PatchMail, parseMail } from '../parsers/mail.js';
import { splitMbox } from '../parsers/mbox.js';
import { buildSeries } from '../parsers/series.js';
import { arg, median, time } from './common.js';
import { writeSyntheticMbox } from './synth.js';

async function rawScan(path: string): Promise<number> {
  let lines = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    let i = chunk.indexOf(10);
    while (i !== -1) {
      lines++;
      i = chunk.indexOf(10, i + 1);
    }
  }
  return lines;
}

async function split(path: string): Promise<number> {
  let n = 0;
  for await (const _ of splitMbox(createReadStream(path, { highWaterMark: 1 << 20 }))) n++;
  return n;
}

async function fullParse(path: string): Promise<number> {
  let n = 0;
  const patches: PatchMail[] = [];
  for await (const msg of splitMbox(createReadStream(path, { highWaterMark: 1 << 20 }))) {
    const m = (await parseMail(msg.raw)).value;
    if (m.files.length > 0) patches.push(m);
    n++;
  }
  buildSeries(patches);
  return n;
}

async function main(): Promise<void> {
  const runs = Number(arg('runs', '3'));
  let file = arg('file', '');
  let tmp: string | null = null;
  if (!file) {
    tmp = mkdtempSync(join(tmpdir(), 'kapi-bench-'));
    file = join(tmp, 'synthetic.mbox');
    const sizeMb = Number(arg('size-mb', '64'));
    const info = await writeSyntheticMbox(file, sizeMb * 1024 * 1024);
    console.log(
      `synthetic mbox: ${(info.bytes / 1048576).toFixed(1)} MB, ${info.messages} messages, ${info.patches} patches`,
    );
  }
  const mb = statSync(file).size / 1048576;
  const stages: [string, (p: string) => Promise<number>][] = [
    ['raw byte scan', rawScan],
    ['mbox split', split],
    ['full parse', fullParse],
  ];
  const rows: { stage: string; ms: number; count: number }[] = [];
  for (const [stage, fn] of stages) {
    const times: number[] = [];
    let count = 0;
    for (let i = 0; i < runs; i++) {
      const { ms, result } = await time(() => fn(file));
      times.push(ms);
      count = result;
    }
    rows.push({ stage, ms: median(times), count });
  }
  const base = rows[0]?.ms ?? 1;
  const messages = rows[1]?.count ?? 0;
  console.log(`file: ${file} (${mb.toFixed(1)} MB), median of ${runs} runs, node ${process.version}`);
  for (const r of rows) {
    const mbs = mb / (r.ms / 1000);
    const msgs = r.stage === 'raw byte scan' ? '' : `, ${Math.round(messages / (r.ms / 1000))} messages/s`;
    console.log(
      `${r.stage.padEnd(14)} ${r.ms.toFixed(0).padStart(7)} ms  ${mbs.toFixed(1).padStart(7)} MB/s${msgs}  ratio to raw scan ${(r.ms / base).toFixed(2)}x`,
    );
  }
  if (tmp) rmSync(tmp, { recursive: true, force: true });
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
