/**
 * Cache entries written to disk by a worker thread, for a command that computes while they are
 * written (`kapi-review check`): a cold review of RFC v2 writes about 115 entry files, and making
 * a file on ext4 costs about 0.1 ms of system time, which the review's own thread then need not
 * wait for. Each write is what the cache does itself (the folder made once, the bytes to a
 * temporary name, then renamed over the entry), so a reader never sees half an entry.
 *
 * The worker is started on the first write, and only on a machine with more than one core (on
 * one, it would only add its start). Writes wait in a list until it says it has started; a
 * flush() that comes first writes them on the calling thread (a short command is done before a
 * thread is up). It does not keep the process alive on its own; flush() waits until everything
 * posted before it is on disk. A worker that cannot start, or fails,
 * leaves the writes to the caller (write() says false); a write the disk refuses makes
 * diskFailed(its cache folder) true, as a refused write on the caller's thread turns that cache's
 * disk off; other folders' writes go on.
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

/** The worker's code: plain CommonJS, run from this string, so it needs no file of the build. */
const SOURCE = `
const { parentPort } = require('node:worker_threads');
const { mkdirSync, renameSync, rmSync, writeFileSync } = require('node:fs');
const made = new Set();
const failed = new Set();
parentPort.on('message', (m) => {
  if (m.flush !== undefined) return parentPort.postMessage({ flushed: m.flush });
  if (failed.has(m.root)) return;
  try {
    if (!made.has(m.dir)) mkdirSync(m.dir, { recursive: true });
    try {
      writeFileSync(m.tmp, m.bytes);
    } catch {
      mkdirSync(m.dir, { recursive: true });
      writeFileSync(m.tmp, m.bytes);
    }
    made.add(m.dir);
    renameSync(m.tmp, m.file);
  } catch {
    failed.add(m.root);
    try { rmSync(m.tmp, { force: true }); } catch {}
    parentPort.postMessage({ failed: m.root });
  }
});
parentPort.postMessage({ ready: true });
`;

export interface EntryWrite {
  /** The cache folder the entry belongs to: a refused write stops that folder's writes only. */
  root: string;
  /** The entry's folder, its file, and the temporary name the bytes go to first. */
  dir: string;
  file: string;
  tmp: string;
  bytes: Uint8Array;
}

/**
 * Writes an entry here, on the caller's thread, as the worker does (the folder made once per
 * `folders`, the bytes to the temporary name, then renamed over the entry): the cache's own
 * writes, and those a flush() finds still waiting for the worker to start. False when the disk
 * refused it (the temporary file is removed).
 */
export function writeEntry(w: Omit<EntryWrite, 'root'>, folders: Set<string>): boolean {
  try {
    // each folder is made once (a write into one that went meanwhile makes it again)
    if (!folders.has(w.dir)) mkdirSync(w.dir, { recursive: true });
    try {
      writeFileSync(w.tmp, w.bytes);
    } catch {
      mkdirSync(w.dir, { recursive: true });
      writeFileSync(w.tmp, w.bytes);
    }
    folders.add(w.dir);
    renameSync(w.tmp, w.file);
    return true;
  } catch {
    try {
      rmSync(w.tmp, { force: true });
    } catch {
      // the folder is not there either
    }
    return false;
  }
}

/** Bytes handed to the worker and not known to be written, at most (a slow or stalled disk). */
const MAX_IN_FLIGHT = 64 * 1024 * 1024;
/** Every so many bytes handed over, the worker is asked to say how far it has written. */
const MARK_EVERY = 8 * 1024 * 1024;

export class BackgroundWriter {
  /** Cache folders a write failed in (read-only, full): their caches should stop writing. */
  private readonly failedRoots = new Set<string>();
  private dead = false;
  private nextFlush = 0;
  private readonly waiting = new Map<number, () => void>();
  /** Bytes handed over, bytes known written, and how many had been handed over at each mark. */
  private posted = 0;
  private written = 0;
  private lastMark = 0;
  private readonly marks = new Map<number, number>();
  /**
   * Whether the worker has started (said so). Until then writes wait here: a short command is
   * done before the worker is up (a thread takes 30 to 60 ms to start), and its flush() then
   * writes them itself rather than wait for the start.
   */
  private ready = false;
  private early: EntryWrite[] = [];
  private startedNow: () => void = () => undefined;
  private readonly startedOrGone = new Promise<void>((resolve) => {
    this.startedNow = resolve;
  });
  /** Folders the writes made on this thread made. */
  private readonly folders = new Set<string>();

  private constructor(
    private readonly worker: Worker,
    private readonly maxInFlight: number,
  ) {
    worker.on('message', (m: { flushed?: number; failed?: string; ready?: true }) => {
      if (m.ready) {
        this.ready = true;
        const early = this.early;
        this.early = [];
        for (const w of early) this.worker.postMessage(w);
        // a mark after them: without its answer, writes held back by the cap would stay refused
        if (early.length > 0) this.mark();
        this.startedNow();
        return;
      }
      if (m.failed !== undefined) this.failedRoots.add(m.failed);
      if (m.flushed !== undefined) {
        this.written = Math.max(this.written, this.marks.get(m.flushed) ?? 0);
        this.marks.delete(m.flushed);
        this.release(m.flushed);
      }
    });
    const stop = (): void => {
      this.dead = true;
      this.writeEarly();
      this.startedNow();
      for (const id of [...this.waiting.keys()]) this.release(id);
    };
    worker.on('error', stop);
    worker.on('exit', stop);
    // after the listeners: in Node 20, a 'message' listener added to an unref'd worker refs it
    // again, and the process would wait for the writer forever
    worker.unref();
  }

  /**
   * A writer on a machine with more than one core; null on one core or when no worker starts.
   * `maxInFlight`: the bytes handed over and not yet known written, beyond which write() says
   * false (the caller then writes itself, at the disk's pace).
   */
  static start(cores = availableParallelism(), maxInFlight = MAX_IN_FLIGHT): BackgroundWriter | null {
    if (cores < 2) return null;
    try {
      return new BackgroundWriter(new Worker(SOURCE, { eval: true }), maxInFlight);
    } catch {
      return null;
    }
  }

  /** Whether a write into the cache folder `root` failed on the disk. */
  diskFailed(root: string): boolean {
    return this.failedRoots.has(root);
  }

  /**
   * Hands a write to the worker; false when it is gone or too far behind (the caller writes it
   * then).
   */
  write(w: EntryWrite): boolean {
    if (this.dead || this.posted - this.written > this.maxInFlight) return false;
    if (this.ready) this.worker.postMessage(w);
    else this.early.push(w);
    this.posted += w.bytes.length;
    if (this.ready && this.posted - this.lastMark >= MARK_EVERY) this.mark();
    return true;
  }

  /** A mark: its answer tells how far the worker has come (a flush() waits for one). */
  private mark(): number {
    const id = this.nextFlush++;
    this.marks.set(id, this.posted);
    this.lastMark = this.posted;
    this.worker.postMessage({ flush: id });
    return id;
  }

  /** Whether the worker has started: writes go to it now, not to the list flush() writes itself. */
  get started(): boolean {
    return this.ready;
  }

  /**
   * Resolves once the worker has started (or is gone). Nothing holds the process for it (the
   * worker is unref'd): a caller that only awaits this may see the process end first.
   */
  whenStarted(): Promise<void> {
    return this.startedOrGone;
  }

  /** Writes here what waits for the worker to start. */
  private writeEarly(): void {
    const early = this.early;
    this.early = [];
    for (const w of early) {
      if (!this.failedRoots.has(w.root) && !writeEntry(w, this.folders)) this.failedRoots.add(w.root);
      this.written += w.bytes.length;
    }
  }

  /** Resolves once every write posted before it is on disk (or the worker has gone). */
  flush(): Promise<void> {
    // the worker not started yet: nothing was posted to it, and what waits is written here
    if (!this.ready) this.writeEarly();
    if (this.dead || !this.ready) return Promise.resolve();
    return new Promise<void>((resolve) => {
      // the answer comes on a later turn, by which the waiter is in place
      this.waiting.set(this.mark(), resolve);
      // waiting for the answer keeps the process alive; nothing else does
      this.worker.ref();
    });
  }

  private release(id: number): void {
    const done = this.waiting.get(id);
    this.waiting.delete(id);
    if (this.waiting.size === 0 && !this.dead) this.worker.unref();
    done?.();
  }
}
