import { readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { root, sourceFiles } from './files.js';

/**
 * The dependency rule (docs/architecture.md, "Rooms"): parsers/ and checks/ (and reporters/) are pure. They may not
 * import node's I/O modules, network clients, mail senders or anything from app/.
 */
const tsFiles = (dir: string): string[] => sourceFiles(dir);

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

/** The rooms table of docs/architecture.md: each room's folder and the rooms it may import. */
function roomsTable(md: string): Map<string, string[] | 'all'> {
  const rooms = new Map<string, string[] | 'all'>();
  const section = md.slice(md.indexOf('## Rooms'));
  for (const line of section.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    const name = /^`([\w/]+\/)`$/.exec(cells[1] ?? '')?.[1];
    if (!name || cells.length < 5) continue;
    const may = cells[3] ?? '';
    rooms.set(
      name,
      may === 'every room' ? 'all' : [...may.matchAll(/`([\w/]+\/)`/g)].map((m) => m[1] as string),
    );
  }
  return rooms;
}

/** The room of a path: the longest room folder it lies in. */
function roomOf(path: string, rooms: Iterable<string>): string | undefined {
  let best: string | undefined;
  for (const r of rooms) if (path.startsWith(r) && (best === undefined || r.length > best.length)) best = r;
  return best;
}

/** The imports of `file` (a path from the root) that leave its room for a room it may not use. */
function roomViolations(file: string, source: string, rooms: Map<string, string[] | 'all'>): string[] {
  const from = roomOf(file, rooms.keys());
  if (from === undefined) return [`${file} lies in no room of docs/architecture.md`];
  const may = rooms.get(from) ?? [];
  const bad: string[] = [];
  for (const spec of importsOf(source)) {
    if (!spec.startsWith('.')) continue;
    const target = join(file, '..', spec).replaceAll('\\', '/');
    const to = roomOf(target, rooms.keys());
    if (to === undefined) bad.push(`${file} imports ${spec}, which lies in no room`);
    else if (to !== from && may !== 'all' && !may.includes(to))
      bad.push(`${file} (${from}) imports ${spec} (${to})`);
  }
  return bad;
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
  it('every import stays within what docs/architecture.md lets its room import', () => {
    const rooms = roomsTable(readFileSync(join(root, 'docs', 'architecture.md'), 'utf8'));
    expect(rooms.size).toBeGreaterThan(15);
    const files = ['parsers', 'checks', 'reporters', 'app', 'bench'].flatMap((d) => tsFiles(join(root, d)));
    const bad = files.flatMap((f) => {
      const rel = relative(root, f).replaceAll('\\', '/');
      return roomViolations(rel, readFileSync(f, 'utf8'), rooms);
    });
    expect(bad).toEqual([]);
  });

  it('catches an import the rooms table does not allow', () => {
    const rooms = roomsTable(
      '## Rooms\n| room | job | may import |\n| --- | --- | --- |\n| `parsers/` | x | |\n| `app/store/` | x | `parsers/` |\n| `app/bot/` | x | `app/store/` |\n| `app/cli/` | x | every room |\n',
    );
    expect(roomViolations('app/store/a.ts', "import { x } from '../bot/b.js';", rooms)).toHaveLength(1);
    expect(roomViolations('app/store/a.ts', "import { x } from '../../parsers/p.js';", rooms)).toEqual([]);
    expect(roomViolations('app/store/a.ts', "import { x } from './b.js';", rooms)).toEqual([]);
    expect(
      roomViolations('app/bot/a.ts', "import type { X } from '../../parsers/p.js';", rooms),
    ).toHaveLength(1);
    expect(roomViolations('app/cli/a.ts', "import { x } from '../bot/b.js';", rooms)).toEqual([]);
    expect(roomViolations('app/other/a.ts', "import { x } from './b.js';", rooms)).toHaveLength(1);
  });
});
