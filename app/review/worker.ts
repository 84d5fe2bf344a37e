/**
 * A worker thread of the review pool (app/review/pool.ts): loads its own C parser, says it is
 * ready, then runs one job at a time (app/review/job.ts) and posts the outcome back. An error the
 * review throws goes back as a message; anything worse ends the thread, and the pool replaces it.
 */
import { parentPort } from 'node:worker_threads';
import { loadCParser } from '../c/language.js';
import { factCache } from '../cache/facts.js';
import { type ReviewJob, runJob } from './job.js';

const port = parentPort;
if (!port) throw new Error('app/review/worker.js runs in a worker thread of the review pool');

const parser = await loadCParser();

port.on('message', (m: { job: ReviewJob; startedAt: number }) => {
  // the cache's entries go to disk from a writer thread while the review goes on (app/cache/
  // writer.ts); the outcome goes back first, and the cap is kept once they are written
  const cache = m.job.cache?.dir ? { ...m.job.cache, background: true } : m.job.cache;
  const job = cache === m.job.cache ? m.job : { ...m.job, cache };
  runJob(job, { parser, startedAt: m.startedAt }).then(
    (outcome) => {
      port.postMessage({ type: 'done', outcome });
      if (cache?.dir)
        factCache(cache)
          .flush()
          .catch(() => undefined);
    },
    (e: unknown) => port.postMessage({ type: 'error', message: e instanceof Error ? e.message : String(e) }),
  );
});
port.postMessage({ type: 'ready' });
