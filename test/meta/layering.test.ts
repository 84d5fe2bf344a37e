import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The dependency rule (docs/architecture.md, "Rooms"): parsers/ and checks/ (and reporters/) are pure. They may not
 * import node's I/O modules, network clients, mail senders or anything from app/.
 */
const root = join(import.meta.dirname, '..', '..');

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...tsFiles(p));
    else if (name.endsWith('.ts')) out.push(p);
  }
  return out;
}

const FORBIDDEN = [
  /^(node:)?(fs|fs\/promises|net|http|https|http2|tls|dgram|dns|child_process|worker_threads|cluster|os|process|readline)$/,
  /octokit/,
  /^probot/,
  /^nodemailer/,
  /^imapflow/,
  /^better-sqlite3/,
  /^smtp-server/,
];

function importsOf(source: string): string[] {
  const specs: string[] = [];
  const re =
    /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g;
  for (const m of source.matchAll(re)) specs.push((m[1] ?? m[2] ?? m[3]) as string);
  return specs;
}

function violations(file: string, source: string): string[] {
  const bad: string[] = [];
  for (const spec of importsOf(source)) {
    if (FORBIDDEN.some((re) => re.test(spec))) bad.push(`${file} imports ${spec}`);
    if (spec.startsWith('.') && /(^|\/)app\//.test(join(file, '..', spec).replaceAll('\\', '/')))
      bad.push(`${file} imports from app/: ${spec}`);
  }
  // process.env / Date.now() are I/O of another kind: the environment and the clock
  if (/\bprocess\.(env|argv|stdin|stdout|cwd)\b/.test(source))
    bad.push(`${file} reads the process environment`);
  if (/\bDate\.now\(\)|new Date\(\)/.test(source)) bad.push(`${file} reads the clock`);
  return bad;
}

/**
 * Rules never import rules (as ESLint's rules do not): what two rules share lives in checks/lib/,
 * so a rule's file is the rule alone.
 */
function ruleImports(file: string, source: string): string[] {
  return importsOf(source)
    .filter((spec) => spec.startsWith('.'))
    .filter((spec) => join(file, '..', spec).replaceAll('\\', '/').startsWith('checks/rules/'))
    .map((spec) => `${file} imports the rule ${spec}`);
}

describe('layering', () => {
  for (const layer of ['parsers', 'checks', 'reporters']) {
    it(`${layer}/ stays pure`, () => {
      let dir: string;
      try {
        dir = join(root, layer);
        statSync(dir);
      } catch {
        return;
      }
      const files = tsFiles(dir);
      const bad = files.flatMap((f) => violations(relative(root, f), readFileSync(f, 'utf8')));
      expect(bad).toEqual([]);
    });
  }

  it('rules never import rules (nor does checks/lib/, which they share)', () => {
    const files = [...tsFiles(join(root, 'checks', 'rules')), ...tsFiles(join(root, 'checks', 'lib'))];
    const bad = files.flatMap((f) =>
      ruleImports(relative(root, f).replaceAll('\\', '/'), readFileSync(f, 'utf8')),
    );
    expect(bad).toEqual([]);
  });

  it('catches a rule importing a rule, and lets it import the engine and lib/', () => {
    const rule = 'checks/rules/kapi-a.ts';
    expect(ruleImports(rule, "import { x } from './kapi-b.js';")).toHaveLength(1);
    expect(ruleImports(rule, "import type { X } from '../rules/kapi-b.js';")).toHaveLength(1);
    expect(ruleImports(rule, "export { x } from '../../checks/rules/kapi-b.js';")).toHaveLength(1);
    expect(ruleImports(rule, "import { x } from '../lib/errno.js';")).toEqual([]);
    expect(ruleImports(rule, "import { defineCheck } from '../define.js';")).toEqual([]);
    expect(ruleImports(rule, "import { z } from 'zod';")).toEqual([]);
  });

  it('catches the imports it is meant to catch', () => {
    expect(violations('parsers/x.ts', "import { readFile } from 'node:fs';")).toHaveLength(1);
    expect(violations('parsers/x.ts', "import fs from 'fs/promises';")).toHaveLength(1);
    expect(violations('checks/x.ts', "import { Octokit } from '@octokit/rest';")).toHaveLength(1);
    expect(violations('checks/x.ts', "import nodemailer from 'nodemailer';")).toHaveLength(1);
    expect(violations('checks/x.ts', "import { run } from '../app/cli/main.js';")).toHaveLength(1);
    expect(violations('parsers/kapi/x.ts', "export { x } from '../../app/io/inputs.js';")).toHaveLength(1);
    expect(violations('parsers/x.ts', "const m = await import('node:net');")).toHaveLength(1);
    expect(violations('parsers/x.ts', 'const t = Date.now();')).toHaveLength(1);
    expect(violations('parsers/x.ts', "import { parseDiff } from './diff.js';")).toEqual([]);
  });
});
