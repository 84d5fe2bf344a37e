/**
 * Bulk ingest: a synthetic lore-sized, LKML-like mbox (bench/synth.ts) split, classified and
 * parsed as a stream, against a raw byte scan of the same file measured in the same run, at 1x,
 * 4x and 16x input so that linear growth shows. Each stage of each run is a fresh process, so its
 * peak RSS is its own (issue 8: within 3x of the raw scan, at most 200 MB whatever the size).
 *
 *   npm run bench:ingest [-- --size-mb 1024] [-- --scale 1,4,16] [-- --runs 3] [-- --dir DIR]
 *                        [-- --file some.mbox] [-- --quick]
 *
 * The synthetic files are written once to --dir (default /var/tmp/kapi-review-bench, never the
 * repository) and reused; the smaller sizes are prefixes of the largest one.
 */
import { execFile } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type IngestStats, MboxIngest } from '../parsers/ingest.js';
import { parseMailSync } from '../parsers/mail.js';
import { MboxSplitter } from '../parsers/mbox.js';
import { arg, flag, machine, median, recordResults } from './common.js';
import { SYNTH_VERSION, type SynthInfo, writeSyntheticMboxes } from './synth.js';

const run = promisify(execFile);
const CHUNK = 1 << 20;
const SEED = 1;
const PATCH_SHARE = 0.05;

type Stage = 'raw' | 'split' | 'ingest' | 'full';

interface ChildResult {
  ms: number;
  cpuMs: number;
  peakRssMb: number;
  count: number;
  stats?: IngestStats;
}

/** The floor any parser pays: read the file and find every line end. */
async function rawScan(path: string): Promise<number> {
  let lines = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: CHUNK }) as AsyncIterable<Buffer>) {
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
  }
  return lines;
}

/** Every message cut out and unescaped, as splitMbox hands them out (copied). */
async function split(path: string): Promise<number> {
  const splitter = new MboxSplitter();
  let n = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: CHUNK }) as AsyncIterable<Buffer>)
    n += splitter.push(chunk).length;
  return n + splitter.end().length;
}

async function ingest(path: string): Promise<IngestStats> {
  const ing = new MboxIngest();
  for await (const chunk of createReadStream(path, { highWaterMark: CHUNK }) as AsyncIterable<Buffer>)
    ing.push(chunk);
  return ing.end();
}

/** The ingest without its prefilter: every message parsed in full (what the prefilter saves). */
async function fullParse(path: string): Promise<number> {
  const splitter = new MboxSplitter({ copy: false });
  let n = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: CHUNK }) as AsyncIterable<Buffer>)
    for (const msg of splitter.push(chunk)) {
      parseMailSync(msg.raw);
      n++;
    }
  for (const msg of splitter.end()) {
    parseMailSync(msg.raw);
    n++;
  }
  return n;
}

/** Child mode: one stage on one file, timed inside the process; prints one JSON line. */
async function child(stage: Stage, path: string): Promise<void> {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  let count = 0;
  let stats: IngestStats | undefined;
  if (stage === 'raw') count = await rawScan(path);
  else if (stage === 'split') count = await split(path);
  else if (stage === 'full') count = await fullParse(path);
  else {
    stats = await ingest(path);
    count = stats.messages;
  }
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const cpu = process.cpuUsage(c0);
  const out: ChildResult = {
    ms,
    cpuMs: (cpu.user + cpu.system) / 1000,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    count,
    stats,
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

const self = fileURLToPath(import.meta.url);

async function inChild(stage: Stage, path: string): Promise<ChildResult> {
  const { stdout } = await run(process.execPath, [self, '--child', stage, '--file', path], {
    maxBuffer: 16 * 1024 * 1024,
  });
  return JSON.parse(stdout) as ChildResult;
}

/** The synthetic files for the sizes asked for, generated once (in one pass) and reused. */
async function syntheticFiles(dir: string, sizesMb: number[]): Promise<{ path: string; info: SynthInfo }[]> {
  mkdirSync(dir, { recursive: true });
  const name = (mb: number) => join(dir, `lkml-synth-v${SYNTH_VERSION}-seed${SEED}-${mb}mb.mbox`);
  const missing = sizesMb.filter((mb) => !existsSync(`${name(mb)}.json`) || !existsSync(name(mb)));
  if (missing.length > 0) {
    console.log(
      `generating ${missing.map((mb) => `${mb} MB`).join(', ')} of synthetic list mail in ${dir} ...`,
    );
    const infos = await writeSyntheticMboxes(
      missing.map((mb) => ({ path: name(mb), bytes: mb * 1048576 })),
      PATCH_SHARE,
      SEED,
    );
    missing.forEach((mb, i) => {
      writeFileSync(`${name(mb)}.json`, `${JSON.stringify(infos[i])}\n`);
    });
  }
  return sizesMb.map((mb) => ({
    path: name(mb),
    info: JSON.parse(readFileSync(`${name(mb)}.json`, 'utf8')),
  }));
}

const fmt = (n: number, d = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

async function main(): Promise<void> {
  const stage = arg('child', '');
  if (stage) return child(stage as Stage, arg('file', ''));

  const quick = flag('quick');
  const runs = Number(arg('runs', quick ? '1' : '3'));
  const sizeMb = Number(arg('size-mb', quick ? '64' : '1024'));
  const scale = arg('scale', '1,4,16')
    .split(',')
    .map(Number)
    .filter((k) => k > 0);
  const top = Math.max(...scale);
  const dir = arg('dir', process.env.KAPI_BENCH_DIR ?? '/var/tmp/kapi-review-bench');
  const given = arg('file', '');

  let inputs: { path: string; info: SynthInfo | null; scale: number }[];
  if (given) inputs = [{ path: given, info: null, scale: 1 }];
  else {
    const sizes = scale.map((k) => Math.max(1, Math.round((sizeMb * k) / top)));
    const files = await syntheticFiles(dir, sizes);
    inputs = files.map((f, i) => ({ ...f, scale: scale[i] as number }));
  }

  // page cache: no stage pays the first read alone
  for (const inp of inputs) await inChild('raw', inp.path);

  const m = machine();
  console.log(
    `bulk ingest, median of ${runs} run${runs > 1 ? 's' : ''}, each stage a fresh process; ${m.cpus} x ${m.cpu}, node ${m.node}`,
  );
  console.log(
    [
      'measured:',
      '  raw scan = read the file and find every line end (the floor any parser pays)',
      '  split    = the mbox splitter: every message cut out and unescaped (mboxrd), copied out',
      '  ingest   = split + classify every message: may it be a patch or a cover letter (prefilter on',
      '             the raw bytes; the MIME walk for encoded or multipart mail) + full parse of those that',
      '             may (headers, addresses, MIME, commit message, trailers, diff) + what it is to a series',
      '             (patch, cover letter, other) and which series (revision) it belongs to',
    ].join('\n'),
  );
  const rows: Record<string, unknown>[] = [];
  for (const inp of inputs) {
    const bytes = statSync(inp.path).size;
    const mb = bytes / 1048576;
    const times: Record<Stage, ChildResult[]> = { raw: [], split: [], ingest: [], full: [] };
    // the full parse of every message, for comparison, only on the first (smallest) input
    const withFull = inp === inputs[0] && !flag('no-full');
    const stages: Stage[] = withFull ? ['raw', 'split', 'ingest', 'full'] : ['raw', 'split', 'ingest'];
    for (let r = 0; r < runs; r++) for (const s of stages) times[s].push(await inChild(s, inp.path));
    const med = (s: Stage) => median(times[s].map((t) => t.ms));
    const stats = times.ingest[0]?.stats as IngestStats;
    const raw = med('raw');
    const sp = med('split');
    const ing = med('ingest');
    const rss = Math.max(...times.ingest.map((t) => t.peakRssMb));
    const info = inp.info;
    console.log(
      `\n${fmt(mb)} MB (${inp.scale}x): ${fmt(stats.messages)} messages` +
        (info
          ? `, ${fmt(info.patches)} with a diff (${((100 * info.patchBytes) / info.bytes).toFixed(1)}% of the bytes), ${fmt(info.covers)} cover letters, ${fmt(info.encoded)} encoded or multipart`
          : ''),
    );
    for (const [name, ms, extra] of [
      ['raw scan', raw, ''],
      ['split', sp, `  ${fmt(stats.messages / (sp / 1000))} messages/s`],
      ['ingest', ing, `  ${fmt(stats.messages / (ing / 1000))} messages/s, peak RSS ${fmt(rss)} MB`],
      ...(withFull
        ? ([['full parse', med('full'), '  every message parsed, no prefilter (for comparison)']] as [
            string,
            number,
            string,
          ][])
        : []),
    ] as [string, number, string][])
      console.log(
        `  ${name.padEnd(9)} ${fmt(ms).padStart(7)} ms  ${fmt(mb / (ms / 1000)).padStart(6)} MB/s  ${(ms / raw).toFixed(2)}x raw scan  ${(ms / mb).toFixed(2)} ms/MB${extra}`,
      );
    console.log(
      `  classified: ${fmt(stats.reasons.none)} ruled out by the prefilter (${fmt(stats.decoded)} of all needed the MIME walk), ` +
        `${fmt(stats.parsed)} parsed: ${fmt(stats.patches)} patches, ${fmt(stats.covers)} cover letters, ${fmt(stats.parsedOther)} other; ` +
        `${fmt(stats.withDiff)} with a diff; ${fmt(stats.series)} series`,
    );
    rows.push({
      scale: inp.scale,
      megabytes: Math.round(mb),
      messages: stats.messages,
      withDiff: stats.withDiff,
      patches: stats.patches,
      covers: stats.covers,
      series: stats.series,
      parsed: stats.parsed,
      ruledOut: stats.reasons.none,
      decodedByPrefilter: stats.decoded,
      patchBytesShare: info ? Number((info.patchBytes / info.bytes).toFixed(3)) : null,
      rawMs: Math.round(raw),
      splitMs: Math.round(sp),
      ingestMs: Math.round(ing),
      ratioToRaw: Number((ing / raw).toFixed(2)),
      rawMsPerMb: Number((raw / mb).toFixed(3)),
      ingestMsPerMb: Number((ing / mb).toFixed(3)),
      ingestCpuMs: Math.round(median(times.ingest.map((t) => t.cpuMs))),
      ...(withFull
        ? {
            fullParseMs: Math.round(med('full')),
            fullParseRatioToRaw: Number((med('full') / raw).toFixed(2)),
          }
        : {}),
      peakRssMb: Math.round(rss),
    });
  }
  if (rows.length > 1) {
    // per-unit cost, and the marginal cost between sizes (a fresh process pays its JIT warm-up once)
    type Row = { scale: number; megabytes: number; ingestMs: number; rawMs: number; ingestMsPerMb: number };
    const rs = rows as unknown as Row[];
    const parts = rs.map((r, i) => {
      const prev = rs[i - 1];
      const marginal = prev
        ? ` (marginal ${((r.ingestMs - prev.ingestMs) / (r.megabytes - prev.megabytes)).toFixed(2)})`
        : '';
      return `${r.scale}x ${r.ingestMsPerMb.toFixed(2)}${marginal}`;
    });
    console.log(`
scaling, ingest ms/MB: ${parts.join(', ')}`);
  }
  const biggest = rows[rows.length - 1] as { ratioToRaw: number; peakRssMb: number; megabytes: number };
  const peak = Math.max(...rows.map((r) => r.peakRssMb as number));
  console.log(
    `goal: within 3x of the raw scan: ${biggest.ratioToRaw <= 3 ? 'met' : 'NOT met'} (${biggest.ratioToRaw}x at ${biggest.megabytes} MB); ` +
      `at most 200 MB of memory: ${peak <= 200 ? 'met' : 'NOT met'} (peak RSS ${peak} MB)`,
  );
  recordResults('ingest', {
    generator: given ? { file: given } : { kind: 'bench/synth.ts', seed: SEED, patchShare: PATCH_SHARE },
    runs,
    sizes: rows,
    goal: { ratioToRaw: 3, peakRssMb: 200 },
  });
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
