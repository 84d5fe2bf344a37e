/**
 * A worker thread of the review pool (app/review/pool.ts): loads its own C parser, says it is
 * ready, then runs one job at a time (app/review/job.ts) and posts the outcome back. An error the
 * review throws goes back as a message; anything worse ends the thread, and the pool replaces it.
 */
import { parentPort } from 'node:worker_threads';
import { loadCParser } from '../c/language.js';
import { type ReviewJob, runJob } from './job.js';

const port = parentPort;
if (!port) throw new Error('app/review/worker.js runs in a worker thread of the review pool');

const parser = await loadCParser();

port.on('message', (m: { job: ReviewJob; startedAt: number }) => {
  runJob(m.job, { parser, startedAt: m.startedAt }).then(
    (outcome) => port.postMessage({ type: 'done', outcome }),
    (e: unknown) => port.postMessage({ type: 'error', message: e instanceof Error ? e.message : String(e) }),
  );
});
port.postMessage({ type: 'ready' });
