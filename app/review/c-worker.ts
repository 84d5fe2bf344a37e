/**
 * The C worker of a review on this thread (app/review/c-prefetch.ts): loads its own C parser and
 * answers each request with the facts parsers/c's syscallFacts gives for that text, keeping
 * each syscall's facts in the same cache folder as the review, or with the lines a patch added
 * (app/context's changedLines of two images). An error goes back as a message.
 */
import { parentPort } from 'node:worker_threads';
import { syscallFacts } from '../../parsers/c/index.js';
import { loadCParser } from '../c/language.js';
import { type CacheOptions, factCache } from '../cache/facts.js';
import { changedLines } from '../context/postimage.js';

export type CRequest =
  | { kind: 'facts'; id: number; path: string; text: string; specNames: string[]; cache: CacheOptions | null }
  | { kind: 'changed'; id: number; pre: string; post: string };

const port = parentPort;
if (!port) throw new Error('app/review/c-worker.js runs in a worker thread');

const parser = loadCParser();

port.on('message', (m: CRequest) => {
  if (m.kind === 'changed') {
    port.postMessage({ id: m.id, changed: changedLines(m.pre, m.post) });
    return;
  }
  parser.then(
    (p) => {
      const cache = factCache(m.cache);
      const facts = syscallFacts(p, m.path, m.text, m.specNames, (key, make) =>
        cache.get('c-reach', m.path, key, make),
      );
      port.postMessage({ id: m.id, facts });
    },
    (e: unknown) => port.postMessage({ id: m.id, error: e instanceof Error ? e.message : String(e) }),
  );
});
