/**
 * Table tests for checks (eslint's valid/invalid style): a case is a C file's post-image, either
 * wholly added (a new file) or with a pre-image it was changed from; the check runs on it alone.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTwoFilesPatch } from 'diff';
import { describe, expect, it } from 'vitest';
import type { Parser } from 'web-tree-sitter';
import { z } from 'zod';
import { loadCParser } from '../../app/c/language.js';
import { optionsSchema, readOptions } from '../../checks/define.js';
import { checkById } from '../../checks/index.js';
import { runChecks } from '../../checks/runner.js';
import type { Finding, Severity } from '../../checks/types.js';
import { buildUnit } from '../../checks/unit.js';
import { addedFileDiff, type FileDiff, parseDiff } from '../../parsers/diff.js';
import {
  type Framework,
  type FrameworkFile,
  learnFramework,
  wholeFile,
} from '../../parsers/kapi/framework.js';
import { parseMailSync } from '../../parsers/mail.js';

const root = join(import.meta.dirname, '..', '..');

/** A file under fixtures/. */
export function fixture(rel: string): string {
  return readFileSync(join(root, 'fixtures', rel), 'utf8');
}

/** `text` with `from` replaced by `to`; fails loudly when `from` is not there exactly once. */
export function edit(text: string, from: string, to: string): string {
  const at = text.indexOf(from);
  if (at < 0 || text.indexOf(from, at + 1) >= 0)
    throw new Error(`edit: ${JSON.stringify(from)} must occur once`);
  return text.slice(0, at) + to + text.slice(at + from.length);
}

/** The 1-based number of the first line of `text` that contains `needle`; fails loudly when none does. */
export function line(text: string, needle: string): number {
  const n = text.split('\n').findIndex((l) => l.includes(needle)) + 1;
  if (n === 0) throw new Error(`line: ${JSON.stringify(needle)} is on no line`);
  return n;
}

/** The diff from `pre` to `post`, through our own diff parser. */
export function changeDiff(path: string, pre: string, post: string): FileDiff {
  const d = parseDiff(createTwoFilesPatch(`a/${path}`, `b/${path}`, pre, post)).value.files[0];
  if (!d) throw new Error('no difference between pre and post');
  return d;
}

let parser: Parser | undefined;

export interface CaseInput {
  /** The post-image. */
  text: string;
  path?: string;
  /** When given, only the lines changed from it count as added. */
  pre?: string;
  options?: Record<string, unknown>;
  /** Check the hunks only, as without a tree (default: the whole post-image). */
  hunksOnly?: boolean;
  /** The framework to judge by (default: the latest known posting's). */
  framework?: Framework;
}

export async function findingsOf(id: string, input: CaseInput): Promise<Finding[]> {
  const check = checkById(id);
  if (!check) throw new Error(`no check ${id} in the registry`);
  parser ??= await loadCParser();
  const path = input.path ?? 'kernel/example.c';
  const diff =
    input.pre === undefined ? addedFileDiff(path, input.text) : changeDiff(path, input.pre, input.text);
  const fragments = diff.hunks.map((h) => ({
    startLine: h.newStart,
    lines: h.lines.filter((l) => l.kind !== 'del').map((l) => l.text),
  }));
  const unit = buildUnit(
    { path, mode: input.hunksOnly ? 'hunks' : 'full', post: input.text, fragments, diff },
    parser,
  );
  const r = runChecks(
    unit,
    [check],
    // read one by one, as an API caller's options are (the config loader refuses bad ones)
    input.options ? { options: { [id]: readOptions(optionsSchema(check, z), input.options) } } : {},
    null,
    input.framework,
  );
  if (r.crashes.length > 0) throw new Error(`${id} crashed: ${r.crashes[0]?.error}`);
  return r.findings;
}

export interface Expected {
  line?: number;
  subject?: string;
  spec?: string;
  severity?: Severity;
  message?: RegExp;
  suggestion?: string | RegExp;
  /** Each must appear in the evidence texts, in order. */
  evidence?: string[];
}

export interface ValidCase extends CaseInput {
  name: string;
}

export interface InvalidCase extends CaseInput {
  name: string;
  errors: Expected[];
}

/** Runs the table: valid cases report nothing, invalid cases report exactly the expected findings, by line. */
export function tableTest(id: string, table: { valid: ValidCase[]; invalid: InvalidCase[] }): void {
  describe(`${id}: table`, () => {
    it('has at least one valid and one invalid case', () => {
      expect(table.valid.length).toBeGreaterThan(0);
      expect(table.invalid.length).toBeGreaterThan(0);
    });
    for (const c of table.valid)
      it(`valid: ${c.name}`, async () => {
        const found = await findingsOf(id, c);
        expect(found.map((f) => `${f.at.line}: ${f.message}`)).toEqual([]);
      });
    for (const c of table.invalid)
      it(`invalid: ${c.name}`, async () => {
        const found = (await findingsOf(id, c)).sort((a, b) => a.at.line - b.at.line);
        expect(found.map((f) => `${f.at.line}: ${f.message}`)).toHaveLength(c.errors.length);
        for (const [i, e] of c.errors.entries()) {
          const f = found[i] as Finding;
          if (e.line !== undefined) expect(f.at.line, f.message).toBe(e.line);
          if (e.subject !== undefined) expect(f.subject).toBe(e.subject);
          if (e.spec !== undefined) expect(f.spec).toBe(e.spec);
          if (e.severity !== undefined) expect(f.severity).toBe(e.severity);
          if (e.message !== undefined) expect(f.message).toMatch(e.message);
          if (typeof e.suggestion === 'string') expect(f.suggestion).toBe(e.suggestion);
          else if (e.suggestion) expect(f.suggestion).toMatch(e.suggestion);
          if (e.evidence) {
            const texts = f.evidence.map((x) => x.text);
            for (const want of e.evidence)
              expect(
                texts.some((t) => t.includes(want)),
                `${want} in ${texts}`,
              ).toBe(true);
          }
          expect(f.evidence.length, 'every finding carries evidence').toBeGreaterThan(0);
          expect(f.fingerprint).toMatch(/^[0-9a-f]{16}(-\d+)?$/);
        }
      });
  });
}

/**
 * The made-up frob framework of fixtures/framework/ (make-frob-framework.sh): v1 as the series
 * that adds it carries it (its new files, read from patch 1/2), v2 as the tree has it.
 */
export function frobFramework(version: 1 | 2): Framework {
  if (version === 2) {
    const paths = [
      'include/linux/kernel_api_spec.h',
      'tools/lib/python/kdoc/kdoc_parser.py',
      'tools/lib/python/kdoc/kdoc_apispec.py',
      'scripts/Makefile.build',
    ];
    return learnFramework(
      paths.map((p) => wholeFile(p, fixture(`framework/tree-v2/${p}`))),
      'the tree',
      'tree',
    );
  }
  const first = fixture('framework/frob-fw-v1.mbox').split(/\n(?=From 0{40} )/)[0] as string;
  const files: FrameworkFile[] = parseMailSync(first).value.files.map((f) => ({
    path: f.path,
    lines: f.hunks.flatMap((h) =>
      h.lines.filter((l) => l.kind === 'add').map((l) => ({ n: l.newLine as number, text: l.text })),
    ),
    whole: f.status === 'added',
  }));
  return learnFramework(files, 'this series', 'series');
}
