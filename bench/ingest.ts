/**
 * Bulk ingest: a synthetic lore-sized, LKML-like mbox (bench/synth.ts) split, classified and
 * parsed, against a raw byte scan of the same file measured in the same run, at 1x, 4x and 16x
 * input so that linear growth shows. The ingest is app/io/ingest.ts over worker threads (one per
 * core unless --workers says otherwise); the same ingest on one thread (parsers/ingest.ts
 * MboxIngest over a read stream) runs beside it, and both must give the same counts. Each stage
 * of each run is a fresh process, so its peak RSS is its own (issue 8: within 3x of the raw scan,
 * at most 200 MB whatever the size; issue 17: worker threads allowed, the cores used reported).
 *
 *   npm run bench:ingest [-- --size-mb 1024] [-- --scale 1,4,16] [-- --runs 3] [-- --dir DIR]
 *                        [-- --file some.mbox] [-- --workers N] [-- --quick]
 *
 * The synthetic files are written once to --dir (default /var/tmp/kapi-review-bench, never the
 * repository) and reused; the smaller sizes are prefixes of the largest one.
 */
import { execFile } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { defaultIngestWorkers, ingestMboxFile } from '../app/io/ingest.js';
import { type IngestStats, MboxIngest } from '../parsers/ingest.js';
import { parseMailSync } from '../parsers/mail.js';
import { MboxSplitter } from '../parsers/mbox.js';
import { arg, flag, machine, median, recordResults } from './common.js';
import { SYNTH_VERSION, type SynthInfo, writeSyntheticMboxes } from './synth.js';

const run = promisify(execFile);
const CHUNK = 1 << 20;
const SEED = 1;
const PATCH_SHARE = 0.05;

type Stage = 'raw' | 'split' | 'ingest' | 'ingest1' | 'full';

interface ChildResult {
  ms: number;
  cpuMs: number;
  peakRssMb: number;
  count: number;
  stats?: IngestStats;
  /** Worker threads of the ingest, and parts it did on its own thread (a worker failed). */
  workers?: number;
  localParts?: number;
  warnings?: string[];
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

/** The same ingest on one thread: what the workers share out. */
async function ingestOneThread(path: string): Promise<IngestStats> {
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
async function child(stage: Stage, path: string, workers: number): Promise<void> {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  let count = 0;
  let stats: IngestStats | undefined;
  let extra: Partial<ChildResult> = {};
  if (stage === 'raw') count = await rawScan(path);
  else if (stage === 'split') count = await split(path);
  else if (stage === 'full') count = await fullParse(path);
  else if (stage === 'ingest1') stats = await ingestOneThread(path);
  else {
    const r = await ingestMboxFile(path, { workers });
    stats = r.stats;
    extra = { workers: r.workers, localParts: r.localParts, warnings: r.warnings };
  }
  if (stats) count = stats.messages;
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const cpu = process.cpuUsage(c0);
  const out: ChildResult = {
    ms,
    cpuMs: (cpu.user + cpu.system) / 1000,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    count,
    stats,
    ...extra,
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

const self = fileURLToPath(import.meta.url);

async function inChild(stage: Stage, path: string, workers = 0): Promise<ChildResult> {
  const args = [self, '--child', stage, '--file', path, '--workers', String(workers)];
  const { stdout } = await run(process.execPath, args, { maxBuffer: 16 * 1024 * 1024 });
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

const sameCounts = (a: IngestStats, b: IngestStats): boolean => JSON.stringify(a) === JSON.stringify(b);

interface Input {
  path: string;
  info: SynthInfo | null;
  scale: number;
}

/** Every stage on one input, interleaved run by run; prints its lines and returns its row. */
async function measure(inp: Input, runs: number, workers: number, withFull: boolean) {
  const mb = statSync(inp.path).size / 1048576;
  const times: Record<Stage, ChildResult[]> = { raw: [], split: [], ingest: [], ingest1: [], full: [] };
  const stages: Stage[] = ['raw', 'split', 'ingest1', 'ingest', ...(withFull ? (['full'] as Stage[]) : [])];
  for (let r = 0; r < runs; r++)
    for (const s of stages) times[s].push(await inChild(s, inp.path, s === 'ingest' ? workers : 0));
  const med = (s: Stage) => median(times[s].map((t) => t.ms));
  const first = times.ingest[0] as ChildResult;
  const stats = first.stats as IngestStats;
  const same = [...times.ingest, ...times.ingest1].every((t) => t.stats && sameCounts(t.stats, stats));
  const warnings = times.ingest.flatMap((t) => t.warnings ?? []);
  const raw = med('raw');
  const sp = med('split');
  const ing = med('ingest');
  const one = med('ingest1');
  const rss = Math.max(...times.ingest.map((t) => t.peakRssMb));
  const info = inp.info;
  console.log(
    `\n${fmt(mb)} MB (${inp.scale}x): ${fmt(stats.messages)} messages` +
      (info
        ? `, ${fmt(info.patches)} with a diff (${((100 * info.patchBytes) / info.bytes).toFixed(1)}% of the bytes), ${fmt(info.covers)} cover letters, ${fmt(info.encoded)} encoded or multipart`
        : ''),
  );
  const lines: [string, number, string][] = [
    ['raw scan', raw, ''],
    ['split', sp, `  ${fmt(stats.messages / (sp / 1000))} messages/s`],
    ['ingest1', one, `  one thread, peak RSS ${fmt(Math.max(...times.ingest1.map((t) => t.peakRssMb)))} MB`],
    [
      'ingest',
      ing,
      `  ${first.workers} worker threads, ${fmt(stats.messages / (ing / 1000))} messages/s, peak RSS ${fmt(rss)} MB`,
    ],
  ];
  if (withFull)
    lines.push(['full parse', med('full'), '  every message parsed, no prefilter (for comparison)']);
  for (const [name, ms, extra] of lines)
    console.log(
      `  ${name.padEnd(10)} ${fmt(ms).padStart(7)} ms  ${fmt(mb / (ms / 1000)).padStart(6)} MB/s  ${(ms / raw).toFixed(2)}x raw scan  ${(ms / mb).toFixed(2)} ms/MB${extra}`,
    );
  console.log(
    `  classified: ${fmt(stats.reasons.none)} ruled out by the prefilter (${fmt(stats.decoded)} of all needed the MIME walk), ` +
      `${fmt(stats.parsed)} parsed: ${fmt(stats.patches)} patches, ${fmt(stats.covers)} cover letters, ${fmt(stats.parsedOther)} other; ` +
      `${fmt(stats.withDiff)} with a diff; ${fmt(stats.series)} series`,
  );
  console.log(
    `  the worker threads and the one thread give the same counts: ${same ? 'yes' : 'NO'}` +
      (warnings.length > 0 ? `; worker trouble: ${[...new Set(warnings)].join('; ')}` : ''),
  );
  if (!same) process.exitCode = 1;
  return {
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
    workers: first.workers,
    sameCountsAsOneThread: same,
    oneThreadMs: Math.round(one),
    oneThreadRatioToRaw: Number((one / raw).toFixed(2)),
    rawMsPerMb: Number((raw / mb).toFixed(3)),
    ingestMsPerMb: Number((ing / mb).toFixed(3)),
    ingestCpuMs: Math.round(median(times.ingest.map((t) => t.cpuMs))),
    ...(withFull
      ? { fullParseMs: Math.round(med('full')), fullParseRatioToRaw: Number((med('full') / raw).toFixed(2)) }
      : {}),
    peakRssMb: Math.round(rss),
  };
}

async function main(): Promise<void> {
  const workers = Number(arg('workers', String(defaultIngestWorkers())));
  const stage = arg('child', '');
  if (stage) return child(stage as Stage, arg('file', ''), workers);

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

  let inputs: Input[];
  if (given) inputs = [{ path: given, info: null, scale: 1 }];
  else {
    const sizes = scale.map((k) => Math.max(1, Math.round((sizeMb * k) / top)));
    const files = await syntheticFiles(dir, sizes);
    inputs = files.map((f, i) => ({ ...f, scale: scale[i] as number }));
  }

  // page cache: no stage pays the first read alone
  for (const inp of inputs) await inChild('raw', inp.path);

  const m = machine();
  const load = () => loadavg().map((l) => l.toFixed(2));
  const loadBefore = load();
  console.log(
    `bulk ingest, median of ${runs} run${runs > 1 ? 's' : ''}, each stage a fresh process; ${m.cpus} x ${m.cpu}, node ${m.node}; ` +
      `load average ${loadBefore.join(' ')}`,
  );
  console.log(
    [
      'measured:',
      '  raw scan = read the file and find every line end (the floor any parser pays)',
      '  split    = the mbox splitter: every message cut out and unescaped (mboxrd), copied out',
      '  ingest   = split + classify every message: may it be a patch or a cover letter (prefilter on',
      '             the raw bytes; the MIME walk for encoded or multipart mail) + an outline of those',
      '             that may (the header fields and MIME walk of the full parse, and whether a diff starts;',
      "             what the full parse gives for these, without the diff's hunks) + what it is to a",
      '             series (patch, cover letter, other) and which series (revision) it belongs to;',
      `             app/io/ingest.ts over ${workers} worker thread${workers === 1 ? '' : 's'} (this thread only cuts the file into parts)`,
      '  ingest1  = the same on one thread (parsers/ingest.ts MboxIngest over a read stream)',
    ].join('\n'),
  );
  const rows: Awaited<ReturnType<typeof measure>>[] = [];
  // the full parse of every message, for comparison, only on the first (smallest) input
  for (const inp of inputs)
    rows.push(await measure(inp, runs, workers, inp === inputs[0] && !flag('no-full')));
  if (rows.length > 1) {
    // per-unit cost, and the marginal cost between sizes (a fresh process pays its JIT warm-up once)
    const parts = rows.map((r, i) => {
      const prev = rows[i - 1];
      const marginal = prev
        ? ` (marginal ${((r.ingestMs - prev.ingestMs) / (r.megabytes - prev.megabytes)).toFixed(2)})`
        : '';
      return `${r.scale}x ${r.ingestMsPerMb.toFixed(2)}${marginal}`;
    });
    console.log(`\nscaling, ingest ms/MB: ${parts.join(', ')}`);
  }
  const biggest = rows[rows.length - 1] as (typeof rows)[number];
  const peak = Math.max(...rows.map((r) => r.peakRssMb));
  const loadAfter = load();
  console.log(
    `goal: within 3x of the raw scan: ${biggest.ratioToRaw <= 3 ? 'met' : 'NOT met'} (${biggest.ratioToRaw}x at ${biggest.megabytes} MB, ${biggest.workers} worker threads on ${m.cpus} cores); ` +
      `at most 200 MB of memory: ${peak <= 200 ? 'met' : 'NOT met'} (peak RSS ${peak} MB); load average after ${loadAfter.join(' ')}`,
  );
  recordResults('ingest', {
    generator: given ? { file: given } : { kind: 'bench/synth.ts', seed: SEED, patchShare: PATCH_SHARE },
    runs,
    workers,
    // strings, not arrays: biome would print a short array of numbers on one line
    loadAverage: { before: loadBefore.join(' '), after: loadAfter.join(' ') },
    sizes: rows,
    goal: { ratioToRaw: 3, peakRssMb: 200 },
  });
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
