/**
 * Bulk ingest of a large mbox file (a list archive) over worker threads: every message split,
 * prefiltered, parsed in full when it may be a patch or a cover letter, and placed in its series,
 * as parsers/ingest.ts MboxIngest does on one thread, with the same results in the same order.
 *
 * - This thread only finds where to cut: it reads a small window near every `partBytes` (4 MiB)
 *   and cuts at a position where a message certainly starts (parsers/mbox.ts lastMessageStart),
 *   so every part splits on its own. A worker (app/io/ingest-worker.ts) reads its part from the
 *   file itself, ingests it, and sends back its counters and series keys (and each message's
 *   record when `onMail` wants them); the parts are added up here in file order, each message's
 *   index and offset moved by what came before. No bytes of the mail cross between threads.
 * - Memory is bounded: at most `workers x 3` parts are out at once, and a worker holds one part
 *   (a huge message streams through it as through MboxIngest). An input that is not an mbox (its
 *   first line is no From_ line) is one part.
 * - No mail is lost to a worker: a part is only counted when its answer comes. A worker that fails
 *   (cannot start, crashes, runs out of memory, or throws on a part) is dropped, the parts it had
 *   are read and ingested on this thread, and the result says so (`localParts`, `warnings`); with
 *   no worker left everything goes on here.
 *
 * The worker is dist/app/io/ingest-worker.js: under vitest, which runs this file from source, the
 * build of the same tree (test/setup/build.ts builds it before the tests).
 */
import type { FileHandle } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import {
  addIngestStats,
  emptyIngestStats,
  type IngestedMail,
  type IngestPart,
  type IngestPartOptions,
  type IngestStats,
} from '../../parsers/ingest.js';
import { isFromLine, lastMessageStart, type MboxOptions } from '../../parsers/mbox.js';
import { openRegular, toFileError } from './files.js';
import { readPart } from './ingest-part.js';
import type { PartJob, WorkerSetup } from './ingest-worker.js';

export interface IngestOptions extends MboxOptions {
  /** Worker threads; default one per core (os.availableParallelism()); 0: all on this thread. */
  workers?: number;
  /** Each message's record, in mbox order (as MboxIngest's onMail). */
  onMail?: (m: IngestedMail) => void;
  /** With onMail: the parsed mail in the records (default true); false: `mail` is null, cheaper. */
  parsedMail?: boolean;
  /**
   * About how many bytes a part has (default 4 MiB: fewer parts cost less to hand out and add
   * up, and each worker still gets dozens of them from a big file).
   */
  partBytes?: number;
  /** The worker script; default the build's app/io/ingest-worker.js. */
  workerUrl?: URL;
}

export interface IngestResult {
  stats: IngestStats;
  /** Worker threads started (0: everything on this thread). */
  workers: number;
  /** Parts ingested in all. */
  parts: number;
  /** Parts ingested on this thread: all of them without workers, else those of a failed worker. */
  localParts: number;
  /** What went wrong with a worker, one line each; its parts were ingested here instead. */
  warnings: string[];
}

export function defaultIngestWorkers(): number {
  return Math.max(1, availableParallelism());
}

function defaultWorkerUrl(): URL {
  const here = import.meta.url;
  return here.endsWith('.ts')
    ? new URL('../../dist/app/io/ingest-worker.js', here)
    : new URL('../io/ingest-worker.js', here);
}

const PART_BYTES = 4 << 20;
/** Parts out per worker: one being ingested, two waiting, so a worker never waits for this thread. */
const PER_WORKER = 3;
/** Bytes read to find a cut; a window that has none is followed by the next one. */
const WINDOW = 8 << 10;
/** Consecutive windows overlap by more than a blank line and the longest From_ line. */
const OVERLAP = 2048;
/** `end` of the last part: up to the end of the file, however long it has become. */
const TO_END = Number.MAX_SAFE_INTEGER;
const LF = 0x0a;
/**
 * A worker's young generation, in MB: V8's default (about 48) makes each worker's heap grow to
 * that much garbage between collections; 16 keeps two workers well under the 200 MB budget at
 * the same speed (measured).
 */
const YOUNG_MB = 16;

interface Slot {
  worker: Worker;
  /** Sequence numbers of its parts not answered yet. */
  out: Set<number>;
  dead: boolean;
}

/** A part not yet added up. */
interface Pending {
  start: number;
  end: number;
  slot: Slot | null;
  result: IngestPart | null;
}

class Ingest {
  private readonly pending = new Map<number, Pending>();
  private readonly slots: Slot[] = [];
  private readonly keys = new Set<string>();
  private readonly stats = emptyIngestStats();
  private readonly partOptions: IngestPartOptions;
  private readonly warnings: string[] = [];
  private nextSeq = 0;
  private nextMerge = 0;
  private localParts = 0;
  private wake: (() => void) | null = null;
  /** What went wrong here while answering a worker (onMail threw, a read failed): rethrown. */
  private failure: { error: unknown } | null = null;

  constructor(
    private readonly opts: IngestOptions,
    private readonly fd: number,
    private readonly path: string,
  ) {
    this.partOptions = {
      format: opts.format,
      maxMessageBytes: opts.maxMessageBytes,
      records: opts.onMail !== undefined,
      parsedMail: opts.parsedMail,
    };
  }

  startWorkers(n: number, url: URL): void {
    const workerData: WorkerSetup = { fd: this.fd, options: this.partOptions };
    for (let i = 0; i < n; i++) {
      const worker = new Worker(url, { workerData, resourceLimits: { maxYoungGenerationSizeMb: YOUNG_MB } });
      const slot: Slot = { worker, out: new Set(), dead: false };
      slot.worker.on('message', (m: { seq: number; part?: IngestPart; error?: string }) =>
        this.guard(() => {
          if (m.part) this.done(m.seq, m.part);
          else this.fail(slot, `it failed on part ${m.seq}: ${m.error}`);
        }),
      );
      slot.worker.on('error', (e) => this.guard(() => this.fail(slot, e.message)));
      slot.worker.on('exit', (code) => this.guard(() => this.fail(slot, `it exited with code ${code}`)));
      this.slots.push(slot);
    }
  }

  /** Runs an event handler's work; what it throws is kept for the caller of the ingest. */
  private guard(f: () => void): void {
    if (this.failure) return;
    try {
      f();
    } catch (error) {
      this.failure = { error };
      this.wakeUp();
    }
  }

  private check(): void {
    if (this.failure) throw this.failure.error;
  }

  /** Hands bytes [start, end) to the least busy worker, or ingests them here when none is left. */
  async dispatch(start: number, end: number): Promise<void> {
    this.check();
    const seq = this.nextSeq++;
    const p: Pending = { start, end, slot: null, result: null };
    this.pending.set(seq, p);
    let slot: Slot | null = null;
    for (const s of this.slots) if (!s.dead && (slot === null || s.out.size < slot.out.size)) slot = s;
    if (slot === null) {
      this.local(p);
      return;
    }
    p.slot = slot;
    slot.out.add(seq);
    const job: PartJob = { seq, start, end };
    slot.worker.postMessage(job);
    // backpressure: wait while every live worker has its share out
    while (!this.failure && this.live() > 0 && this.outstanding() >= this.live() * PER_WORKER)
      await this.answer();
    this.check();
  }

  private answer(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.wake = resolve;
    });
  }

  private outstanding(): number {
    let n = 0;
    for (const s of this.slots) n += s.out.size;
    return n;
  }

  private live(): number {
    let n = 0;
    for (const s of this.slots) if (!s.dead) n++;
    return n;
  }

  private done(seq: number, part: IngestPart): void {
    const p = this.pending.get(seq);
    if (!p || p.result !== null) return;
    p.slot?.out.delete(seq);
    p.slot = null;
    p.result = part;
    this.merge();
    this.wakeUp();
  }

  private local(p: Pending): void {
    this.localParts++;
    p.slot = null;
    try {
      p.result = readPart(this.fd, p.start, p.end, this.partOptions);
    } catch (e) {
      throw toFileError(e, this.path);
    }
    this.merge();
  }

  /** A worker failed: dropped, and every part it had is read and ingested here. */
  private fail(slot: Slot, why: string): void {
    if (slot.dead) return;
    slot.dead = true;
    const mine = [...slot.out].sort((a, b) => a - b);
    slot.out.clear();
    const n = mine.length;
    this.warnings.push(
      `an ingest worker was dropped (${why}); ${n === 1 ? 'the part it had was' : `the ${n} parts it had were`} ingested on the main thread`,
    );
    void slot.worker.terminate();
    for (const seq of mine) {
      const p = this.pending.get(seq);
      if (p && p.result === null) this.local(p);
    }
    this.wakeUp();
  }

  private wakeUp(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  /** Adds up the parts answered so far, in file order. */
  private merge(): void {
    for (let p = this.pending.get(this.nextMerge); p?.result; p = this.pending.get(this.nextMerge)) {
      const part = p.result;
      this.pending.delete(this.nextMerge++);
      const before = this.stats.messages;
      addIngestStats(this.stats, part.stats);
      for (const k of part.seriesKeys) this.keys.add(k);
      const onMail = this.opts.onMail;
      if (part.mails && onMail)
        for (const m of part.mails) onMail({ ...m, index: m.index + before, offset: m.offset + p.start });
    }
  }

  /** Waits for every part, ends the workers, and returns the sum. */
  async finish(workers: number): Promise<IngestResult> {
    while (!this.failure && this.nextMerge < this.nextSeq && this.outstanding() > 0) await this.answer();
    this.check();
    await this.close();
    this.stats.series = this.keys.size;
    return {
      stats: this.stats,
      workers,
      parts: this.nextSeq,
      localParts: this.localParts,
      warnings: this.warnings,
    };
  }

  async close(): Promise<void> {
    for (const s of this.slots) s.dead = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}

/** Up to `len` bytes of the file from `pos` (fewer at its end). */
async function readAt(fh: FileHandle, pos: number, len: number, path: string): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(len);
  let n = 0;
  while (n < len) {
    let got: number;
    try {
      got = (await fh.read(buf, n, len - n, pos + n)).bytesRead;
    } catch (e) {
      throw toFileError(e, path);
    }
    if (got === 0) break;
    n += got;
  }
  return buf.subarray(0, n);
}

/**
 * The next cut after `start`: the last message start in the first window at or after
 * start + size that has one; -1 when the file ends first (the rest is the last part).
 */
async function nextCut(fh: FileHandle, start: number, size: number, path: string): Promise<number> {
  for (let at = Math.max(start, start + size - WINDOW); ; at += WINDOW) {
    const w = await readAt(fh, at, WINDOW + OVERLAP, path);
    if (w.length < WINDOW + OVERLAP) return -1;
    const p = lastMessageStart(w, 0, w.length);
    if (p > 0) return at + p;
  }
}

/**
 * Ingests an mbox file over `workers` threads; see the top of this file. The result's stats are
 * MboxIngest's over the same file. A file that cannot be read throws a FileError.
 */
export async function ingestMboxFile(path: string, options: IngestOptions = {}): Promise<IngestResult> {
  const size = Math.max(1, Math.floor(options.partBytes ?? PART_BYTES));
  const workers = Math.max(0, Math.floor(options.workers ?? defaultIngestWorkers()));
  const { fh } = await openRegular(path);
  const ing = new Ingest(options, fh.fd, path);
  try {
    if (workers > 0) ing.startWorkers(workers, options.workerUrl ?? defaultWorkerUrl());
    // only an mbox can be cut: its first line is a From_ line (else the file is one message)
    const head = await readAt(fh, 0, OVERLAP, path);
    const lf = head.indexOf(LF);
    const mbox = lf !== -1 && isFromLine(head.subarray(0, lf + 1));
    let start = 0;
    for (let cut = mbox ? await nextCut(fh, 0, size, path) : -1; cut !== -1; ) {
      await ing.dispatch(start, cut);
      start = cut;
      cut = await nextCut(fh, start, size, path);
    }
    if (head.length > 0) await ing.dispatch(start, TO_END);
    return await ing.finish(workers);
  } finally {
    await ing.close();
    await fh.close();
  }
}
