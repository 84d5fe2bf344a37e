/**
 * Shared bench plumbing: arguments, timing, medians, and bench/results.json (each bench writes its
 * own section, keeping the others).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { INSTALL_HINT, kernelTree } from '../app/context/kernel-source.js';

export function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

export function flag(name: string): boolean {
  return process.argv.includes(`--${name}`);
}

export async function time<T>(fn: () => Promise<T> | T): Promise<{ ms: number; result: T }> {
  const t0 = process.hrtime.bigint();
  const result = await fn();
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, result };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

export function machine(): { node: string; cpus: number; cpu: string } {
  const c = cpus();
  return { node: process.version, cpus: c.length, cpu: c[0]?.model ?? 'unknown' };
}

/**
 * bench/results.json (the sources' copy, next to the benches). A --quick run (small inputs, one
 * run) writes to the temp folder instead, so it never replaces the real figures.
 */
export const RESULTS: URL = flag('quick')
  ? pathToFileURL(join(tmpdir(), 'kapi-review-bench-results.quick.json'))
  : new URL('../../bench/results.json', import.meta.url);

/** Merges `section` into RESULTS. */
export function recordResults(section: string, figures: unknown): void {
  let all: Record<string, unknown> = {};
  if (existsSync(RESULTS)) {
    try {
      all = JSON.parse(readFileSync(RESULTS, 'utf8')) as Record<string, unknown>;
    } catch {
      all = {};
    }
  }
  all[section] = { date: new Date().toISOString(), machine: machine(), ...(figures as object) };
  writeFileSync(RESULTS, `${JSON.stringify(all, null, 2)}\n`);
}

/**
 * The kernel tree a bench runs on: --tree, else Debian's linux-source (extracted once). Null, with
 * the reason on stderr and exit status 2, when there is none.
 */
export async function benchTree(bench: string, what: string): Promise<string | null> {
  const given = arg('tree', '');
  if (given) return given;
  const t = await kernelTree();
  if (t.dir) return t.dir;
  console.error(`${bench} needs ${what}: ${t.reason ?? INSTALL_HINT}`);
  process.exitCode = 2;
  return null;
}
