/**
 * The C analysis of a review run beside it: `check --tree` has a second core while it builds
 * post-images, parses specs and renumbers hunks, so each text that carries a spec is sent to a
 * worker thread (app/review/c-worker.ts) as soon as its specs are known, and the review finds the
 * facts ready; the images a hunk landed in with fuzz are diffed there too. The worker starts before the post-images are built, so loading its grammar costs
 * this thread nothing. A worker that fails or dies leaves the texts to the review, which analyses
 * them here as before: the facts are the same either way (one function makes them).
 *
 * The bot and the App run reviews in a pool of workers already sized to the cores; they do not
 * use this.
 */
import { Worker } from 'node:worker_threads';
import { type FactMemo, isCFile, specsOf } from '../../checks/unit.js';
import type { CFacts } from '../../parsers/c/model.js';
import type { CacheOptions } from '../cache/facts.js';
import type { changedLines } from '../context/postimage.js';
import type { CRequest } from './c-worker.js';

function workerUrl(): URL {
  const here = import.meta.url;
  return here.endsWith('.ts')
    ? new URL('../../dist/app/review/c-worker.js', here)
    : new URL('./c-worker.js', here);
}

/** What changedLines gives: the lines a patch added and its hunks' ranges. */
type Changed = ReturnType<typeof changedLines>;

interface Waiting {
  resolve: (answer: { facts?: CFacts; changed?: Changed } | null) => void;
}

export class CPrefetch {
  private readonly worker: Worker | null;
  private readonly waiting = new Map<number, Waiting>();
  private readonly asked = new Map<string, Promise<CFacts | null>>();
  private next = 0;
  private dead = false;

  constructor(
    private readonly cache: CacheOptions | null,
    url: URL = workerUrl(),
  ) {
    let w: Worker | null = null;
    try {
      w = new Worker(url);
    } catch {
      this.dead = true;
    }
    this.worker = w;
    if (!w) return;
    w.unref();
    w.on('message', (m: { id: number; facts?: CFacts; changed?: Changed; error?: string }) => {
      const x = this.waiting.get(m.id);
      this.waiting.delete(m.id);
      x?.resolve(m);
    });
    const fail = (): void => {
      this.dead = true;
      for (const x of this.waiting.values()) x.resolve(null);
      this.waiting.clear();
    };
    w.on('error', fail);
    w.on('exit', fail);
  }

  /**
   * Asks for the facts of each full C text of the patches that carries a spec (the specs through
   * `memo`, where the review will find them again), at most once per path and text.
   */
  askFor(files: Iterable<{ path: string; text: string | null }>, memo: FactMemo): void {
    for (const { path, text } of files) {
      if (text === null || !isCFile(path)) continue;
      const key = `${path}\u0000${text}`;
      if (this.asked.has(key)) continue;
      const { specs } = memo.get('specs', path, text, () => specsOf(text, path, memo));
      if (specs.length === 0) continue;
      this.asked.set(
        key,
        this.request(
          path,
          text,
          specs.map((s) => s.name),
        ),
      );
    }
  }

  /** A memo that answers 'c' from the worker's facts, once they are all in. */
  async primed(memo: FactMemo): Promise<FactMemo> {
    const ready = new Map<string, CFacts>();
    await Promise.all(
      [...this.asked].map(async ([key, p]) => {
        const facts = await p;
        if (facts) ready.set(key, facts);
      }),
    );
    return {
      get<T>(kind: Parameters<FactMemo['get']>[0], path: string, text: string, make: () => T): T {
        if (kind !== 'c') return memo.get(kind, path, text, make);
        const facts = ready.get(`${path}\u0000${text}`);
        return memo.get(kind, path, text, facts ? () => facts as T : make);
      },
    };
  }

  /** changedLines(pre, post) from the worker, or null when it cannot answer. */
  async changed(pre: string, post: string): Promise<Changed | null> {
    return (await this.ask({ kind: 'changed', id: 0, pre, post }))?.changed ?? null;
  }

  close(): void {
    void this.worker?.terminate();
  }

  private async request(path: string, text: string, specNames: string[]): Promise<CFacts | null> {
    const m: CRequest = { kind: 'facts', id: 0, path, text, specNames, cache: this.cache };
    return (await this.ask(m))?.facts ?? null;
  }

  private ask(m: CRequest): Promise<{ facts?: CFacts; changed?: Changed } | null> {
    if (this.dead || !this.worker) return Promise.resolve(null);
    const id = this.next++;
    const worker = this.worker;
    return new Promise((resolve) => {
      this.waiting.set(id, { resolve });
      worker.postMessage({ ...m, id });
    });
  }
}
