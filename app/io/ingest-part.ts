/**
 * One part of an mbox file read and ingested: what a worker of the bulk ingest does with the part
 * it is given (app/io/ingest-worker.ts), and what the ingest does itself with a part whose worker
 * failed (app/io/ingest.ts).
 */
import { readSync } from 'node:fs';
import { type IngestPart, type IngestPartOptions, PartIngest } from '../../parsers/ingest.js';

/** The most bytes read at once: a part larger than this (one huge message) streams through. */
const READ_MAX = 4 << 20;
/**
 * Read buffers kept for the next part (a part is nearly always one read): fresh ones would be
 * garbage that only a full collection frees. The splitter reads them in place, and nothing of
 * them is left once a part has ended (the results are counters and strings).
 */
const spare: Buffer[] = [];
const SPARE_MAX = 2;

/**
 * Reads bytes [start, end) of the open file `fd` (up to its end when `end` is past it) and
 * ingests them as one part (parsers/ingest.ts PartIngest).
 */
export function readPart(fd: number, start: number, end: number, options: IngestPartOptions): IngestPart {
  const part = new PartIngest(options);
  let used = 0;
  for (let pos = start; pos < end; ) {
    const want = Math.min(READ_MAX, end - pos);
    // every read of one part needs a buffer of its own: a message may span two of them
    let buf = used < SPARE_MAX ? spare[used] : undefined;
    if (buf === undefined) {
      buf = Buffer.allocUnsafeSlow(READ_MAX);
      if (used < SPARE_MAX) spare[used] = buf;
    }
    used++;
    let n = 0;
    while (n < want) {
      const got = readSync(fd, buf, n, want - n, pos + n);
      if (got === 0) break;
      n += got;
    }
    if (n > 0) part.push(buf.subarray(0, n));
    if (n < want) break;
    pos += n;
  }
  return part.end();
}
