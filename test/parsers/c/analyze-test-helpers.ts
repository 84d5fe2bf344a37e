/** Helpers the analyze test files share. */
import { join } from 'node:path';
import { beforeAll } from 'vitest';
import type { Parser } from 'web-tree-sitter';
import { loadCParser } from '../../../app/c/language.js';
import { analyzeC, type CFacts, type FunctionErrors } from '../../../parsers/c/index.js';

export const FIXTURE = join(import.meta.dirname, '..', '..', '..', 'fixtures', 'c', 'mlock-shapes.c');

export let parser: Parser;
beforeAll(async () => {
  parser = await loadCParser();
});

export function facts(src: string): CFacts {
  return analyzeC(parser, src).value;
}

export function errorsOf(v: CFacts, fn: string): FunctionErrors {
  const e = v.errors[fn];
  if (!e) throw new Error(`no error facts for ${fn}; have ${Object.keys(v.errors).join(', ')}`);
  return e;
}

/** [errnos, complete, unknownCalls] of one function, for compact exact assertions. */
export function summary(src: string, fn: string): [string[], boolean, string[]] {
  const e = errorsOf(facts(src), fn);
  return [e.errnos.map((x) => x.errno), e.complete, e.unknownCalls];
}

/** 1-based line of the first line of `src` containing `needle`. */
export function lineOf(src: string, needle: string, from = 1): number {
  const lines = src.split('\n');
  for (let i = from - 1; i < lines.length; i++) if (lines[i]?.includes(needle)) return i + 1;
  throw new Error(`${needle} not found`);
}
