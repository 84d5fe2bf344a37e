/**
 * A worker thread of the bulk ingest (app/io/ingest.ts): reads the parts of the mbox file it is
 * given itself (positional reads on the ingest's open descriptor), ingests each with
 * app/io/ingest-part.ts, and posts what it came to. An error comes back as a message naming the
 * part; the ingest then does that part on its own thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { IngestPartOptions } from '../../parsers/ingest.js';
import { readPart } from './ingest-part.js';

const port = parentPort;
if (!port) throw new Error('app/io/ingest-worker.js runs in a worker thread of the bulk ingest');

/** What the ingest starts a worker with. */
export interface WorkerSetup {
  fd: number;
  options: IngestPartOptions;
}

/** A part: bytes [start, end) of the file, and its place in the input. */
export interface PartJob {
  seq: number;
  start: number;
  end: number;
}

const { fd, options } = workerData as WorkerSetup;

port.on('message', (job: PartJob) => {
  try {
    port.postMessage({ seq: job.seq, part: readPart(fd, job.start, job.end, options) });
  } catch (e) {
    port.postMessage({ seq: job.seq, error: e instanceof Error ? e.message : String(e) });
  }
});
