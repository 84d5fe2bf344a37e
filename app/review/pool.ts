/**
 * A pool of worker threads that run reviews (app/review/job.ts), so that a slow review never holds
 * up the main thread: the App's webhooks and dashboard, the bot's IMAP and lore loops and its other
 * series go on while it runs.
 *
 * - Sized to the cores (os.availableParallelism(), at least 1). Workers start when jobs need them,
 *   each loads its own tree-sitter C parser once, and an idle worker does not keep the process
 *   alive. Jobs wait their turn in arrival order when every worker is busy.
 * - Each job has its time budget (the config's limits.seconds), counted from the moment a worker
 *   starts it. A worker still busy at the end of it is terminated and replaced (a new one starts
 *   when a job needs it), and the job comes back as too large to review (limit 'time'). The worker
 *   also checks the budget itself between files, so most reviews over it end on their own.
 * - A worker that dies on a job (out of memory: too large, limit 'memory'; any other crash:
 *   ReviewFailed) is replaced the same way; the job is not retried. A worker that dies before it
 *   is ready fails the oldest waiting job, so a broken installation cannot spin.
 * - An error the review itself throws (a tree that cannot be read) comes back as an Error with its
 *   message, as it would from a review on this thread.
 *
 * The worker is dist/app/review/worker.js: under vitest, which runs this file from source, the
 * build of the same tree (test/setup/build.ts builds it before the tests).
 */
import { availableParallelism, cpus } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { JobOutcome, ReviewJob } from './job.js';
import { overTime, type TooLarge, tooLargeText } from './limits.js';
import { emptyReview } from './run.js';

export interface ReviewPool {
  /** How many workers may run at once. */
  readonly size: number;
  run(job: ReviewJob): Promise<JobOutcome>;
  /** Fails the jobs still waiting and terminates every worker. */
  close(): Promise<void>;
  /** For logs and tests: workers alive, busy, jobs waiting, workers terminated or lost so far. */
  stats(): { workers: number; busy: number; queued: number; replaced: number };
}

/** A review whose worker died (not for being too large): reported, never retried. */
export class ReviewFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReviewFailed';
  }
}

export function defaultPoolSize(): number {
  const n = typeof availableParallelism === 'function' ? availableParallelism() : cpus().length;
  return Math.max(1, n);
}

export interface PoolOptions {
  /** Workers at most; default defaultPoolSize(). */
  size?: number;
  /** The worker script; default the build's app/review/worker.js. */
  workerUrl?: URL;
  /** V8 heap limit of each worker, in MB; default Node's own. */
  maxHeapMb?: number;
}

function defaultWorkerUrl(): URL {
  const here = import.meta.url;
  // '../review/': this code also runs from a chunk of the CLI's bundle, dist/app/bundle/
  return here.endsWith('.ts')
    ? new URL('../../dist/app/review/worker.js', here)
    : new URL('../review/worker.js', here);
}

interface Pending {
  job: ReviewJob;
  resolve: (o: JobOutcome) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  pending: Pending | null;
  timer: NodeJS.Timeout | null;
  /** Set once the slot is out of the pool (terminated, died). */
  gone: boolean;
  lastError: Error | null;
}

type FromWorker =
  | { type: 'ready' }
  | { type: 'done'; outcome: JobOutcome }
  | { type: 'error'; message: string };

function outcomeOf(t: TooLarge): JobOutcome {
  return { review: emptyReview(), ignored: [], notes: [tooLargeText(t)], tooLarge: t };
}

export function createReviewPool(opts: PoolOptions = {}): ReviewPool {
  const size = Math.max(1, Math.floor(opts.size ?? defaultPoolSize()));
  const url = opts.workerUrl ?? defaultWorkerUrl();
  const slots: Slot[] = [];
  const queue: Pending[] = [];
  let replaced = 0;
  let closed = false;

  function remove(slot: Slot): void {
    if (slot.gone) return;
    slot.gone = true;
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = null;
    const i = slots.indexOf(slot);
    if (i >= 0) slots.splice(i, 1);
    replaced++;
  }

  function settle(slot: Slot, f: (p: Pending) => void): void {
    const p = slot.pending;
    slot.pending = null;
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = null;
    if (p) f(p);
  }

  function spawn(): void {
    const worker = new Worker(url, {
      ...(opts.maxHeapMb ? { resourceLimits: { maxOldGenerationSizeMb: opts.maxHeapMb } } : {}),
    });
    const slot: Slot = { worker, ready: false, pending: null, timer: null, gone: false, lastError: null };
    slots.push(slot);
    worker.on('message', (m: FromWorker) => {
      if (slot.gone) return;
      if (m.type === 'ready') {
        slot.ready = true;
        worker.unref();
      } else if (m.type === 'done') {
        settle(slot, (p) => p.resolve(m.outcome));
        worker.unref();
      } else if (m.type === 'error') {
        settle(slot, (p) => p.reject(new Error(m.message)));
        worker.unref();
      }
      pump();
    });
    worker.on('error', (e) => {
      slot.lastError = e;
    });
    worker.on('exit', (code) => {
      if (slot.gone) return;
      const wasReady = slot.ready;
      remove(slot);
      const e = slot.lastError;
      const why = e ? e.message : `exit code ${code}`;
      if (slot.pending) {
        if ((e as NodeJS.ErrnoException | null)?.code === 'ERR_WORKER_OUT_OF_MEMORY')
          settle(slot, (p) =>
            p.resolve(outcomeOf({ limit: 'memory', reason: 'the review ran out of memory' })),
          );
        else settle(slot, (p) => p.reject(new ReviewFailed(`the review worker died: ${why}`)));
      } else if (!wasReady && !closed) {
        // it never became ready: fail one waiting job rather than start workers forever
        queue.shift()?.reject(new ReviewFailed(`the review worker did not start: ${why}`));
      }
      pump();
    });
  }

  function start(slot: Slot, p: Pending): void {
    slot.pending = p;
    slot.worker.ref();
    const limits = p.job.config.limits;
    slot.timer = setTimeout(() => {
      // over its budget: the job is answered now, the worker is ended and replaced
      remove(slot);
      settle(slot, (q) => q.resolve(outcomeOf(overTime(limits))));
      void slot.worker.terminate();
      pump();
    }, limits.timeMs);
    slot.worker.postMessage({ job: p.job, startedAt: Date.now() });
  }

  function pump(): void {
    if (closed) return;
    while (queue.length > 0) {
      const idle = slots.find((s) => s.ready && s.pending === null);
      if (!idle) break;
      start(idle, queue.shift() as Pending);
    }
    const starting = slots.filter((s) => !s.ready).length;
    let want = Math.min(queue.length - starting, size - slots.length);
    while (want-- > 0) spawn();
  }

  return {
    size,
    run(job) {
      if (closed) return Promise.reject(new Error('the review pool is closed'));
      return new Promise<JobOutcome>((resolve, reject) => {
        queue.push({ job, resolve, reject });
        pump();
      });
    },
    async close() {
      closed = true;
      for (const p of queue.splice(0)) p.reject(new Error('the review pool is closed'));
      const all = slots.splice(0);
      for (const s of all) {
        s.gone = true;
        settle(s, (p) => p.reject(new Error('the review pool is closed')));
      }
      await Promise.all(all.map((s) => s.worker.terminate()));
    },
    stats() {
      return {
        workers: slots.length,
        busy: slots.filter((s) => s.pending !== null).length,
        queued: queue.length,
        replaced,
      };
    },
  };
}

let shared: ReviewPool | null = null;

/** The process's pool, sized to the cores, made on first use (the App and the bot share it). */
export function sharedReviewPool(): ReviewPool {
  shared ??= createReviewPool();
  return shared;
}
