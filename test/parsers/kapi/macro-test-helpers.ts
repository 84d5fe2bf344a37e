/** Helpers the macro test files share. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { parseMacroSpecs } from '../../../parsers/kapi/macro.js';
import type { ApiSpec } from '../../../parsers/kapi/model.js';

const fixtures = join(import.meta.dirname, '..', '..', '..', 'fixtures', 'kapi');
export const fixture = (name: string): string => readFileSync(join(fixtures, name), 'utf8');

export function at<T>(items: readonly T[], index: number): T {
  const item = items[index];
  if (item === undefined) throw new Error(`no element ${index} (length ${items.length})`);
  return item;
}

/** The only spec of `src`, which must parse without issues. */
export function only(src: string): ApiSpec {
  const r = parseMacroSpecs(src, 'x.c');
  expect(r.issues).toEqual([]);
  expect(r.value).toHaveLength(1);
  return at(r.value, 0);
}

/** A spec around `body`. */
export const spec = (body: string, name = 'sys_t'): string =>
  `DEFINE_KERNEL_API_SPEC(${name})\n${body}\nKAPI_END_SPEC;\n`;

export const assigned = (s: ApiSpec, block: string, field?: string) =>
  s.assignments.filter((a) => a.block === block && (field === undefined || a.field === field));
