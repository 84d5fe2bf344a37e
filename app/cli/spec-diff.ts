/**
 * `kapi-review spec-diff OLD NEW`: what changed in each spec between two revisions of a series
 * (or two trees), in the spec's own terms. Each side is mail (a file, a folder of patches, a lore
 * URL or Message-ID) or a tree (a directory that is a git checkout or holds C files). For mail,
 * the specs are those of the series' post-image: applied to --tree when given, else read from the
 * hunks. The comparison itself is pure (parsers/kapi/spec-diff.ts, reporters/spec-diff.ts).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Parser } from 'web-tree-sitter';
import { isCFile } from '../../checks/unit.js';
import type { ApiSpec } from '../../parsers/kapi/model.js';
import { DEFAULT_LORE_URL, looksLikeLoreRef } from '../../parsers/lore-refs.js';
import { buildSeries, type Series } from '../../parsers/series.js';
import { sanitize } from '../../parsers/text/controls.js';
import { renderSpecDiffText, specDiffToJson } from '../../reporters/spec-diff.js';
import { specsOfText } from '../../reporters/spec-sides.js';
import { loadCParser } from '../c/language.js';
import { fillFromTree, reportSpecDiff, type SideSpecs, seriesSpecs } from '../context/spec-sides.js';
import { listSourceFiles, scanFiles } from '../index/walk.js';
import { FileError } from '../io/files.js';
import { collectMails, type InputMail } from '../io/inputs.js';
import { fetchThreadMails, LoreError } from '../sources/lore.js';
import { UsageError } from './usage.js';

export interface SpecDiffOptions {
  format: string;
  tree?: string;
  loreUrl?: string;
}

interface SideIo {
  err: (s: string) => unknown;
  stdin?: AsyncIterable<Uint8Array>;
}

/** A directory is a tree (not a folder of patches) when it is a git checkout or has C files near the top. */
function isTreeDir(dir: string): boolean {
  if (existsSync(join(dir, '.git'))) return true;
  const look = (d: string, depth: number): boolean => {
    let entries: import('node:fs').Dirent[];
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return false;
    }
    if (entries.some((e) => e.isFile() && isCFile(e.name))) return true;
    return (
      depth > 0 &&
      entries.some((e) => e.isDirectory() && !e.name.startsWith('.') && look(join(d, e.name), depth - 1))
    );
  };
  return look(dir, 2);
}

/** The series to compare: the newest revision, then the one with the most patches. */
function pickSeries(all: readonly Series[]): Series | null {
  let best: Series | null = null;
  for (const s of all)
    if (
      !best ||
      s.revision > best.revision ||
      (s.revision === best.revision && s.patches.length > best.patches.length)
    )
      best = s;
  return best;
}

async function readLore(input: string, opts: SpecDiffOptions): Promise<InputMail[] | null> {
  if (!looksLikeLoreRef(input, existsSync)) return null;
  try {
    return await fetchThreadMails(input, {
      baseUrl: opts.loreUrl || process.env.KAPI_LORE_URL || DEFAULT_LORE_URL,
    });
  } catch (e) {
    if (e instanceof LoreError) throw new UsageError(e.message);
    throw e;
  }
}

/** The specs of a series' post-image (on the tree when given). */
async function mailSide(input: string, opts: SpecDiffOptions, io: SideIo): Promise<SideSpecs> {
  const fetched = await readLore(input, opts);
  let read: Awaited<ReturnType<typeof collectMails>>;
  try {
    read = await collectMails(fetched ? [] : [input], io.stdin, async () => fetched ?? []);
  } catch (e) {
    if (e instanceof FileError) throw new UsageError(e.message);
    throw e;
  }
  const set = buildSeries(read.mails, read.dropped).value;
  const series = pickSeries(set.series);
  if (!series) throw new UsageError(`no patch series in ${input}`);
  const side = await seriesSpecs(series, opts.tree ?? null);
  if (set.series.length > 1)
    side.notes.unshift(
      `${input}: ${set.series.length} series; comparing "${series.title}" v${series.revision}`,
    );
  return side;
}

/** The specs of every C file of a tree that may hold one. */
async function treeSide(dir: string): Promise<SideSpecs> {
  const files = await listSourceFiles([dir]);
  const texts = new Map<string, string>();
  scanFiles(files, (path, buf) => {
    texts.set(relative(dir, path) || path, buf.toString('utf8'));
  });
  const specs: ApiSpec[] = [];
  for (const [path, text] of texts) specs.push(...specsOfText(text, path));
  return { label: dir, specs, paths: new Set(texts.keys()), full: texts, tree: null, notes: [] };
}

async function side(input: string, opts: SpecDiffOptions, io: SideIo): Promise<SideSpecs> {
  if (input !== '-' && !looksLikeLoreRef(input, existsSync)) {
    let dir = false;
    try {
      dir = statSync(input).isDirectory();
    } catch {
      throw new UsageError(`cannot read ${input}`);
    }
    if (dir && isTreeDir(input)) return treeSide(input);
  }
  return mailSide(input, opts, io);
}

export async function specDiffCommand(
  oldInput: string,
  newInput: string,
  opts: SpecDiffOptions,
  io: SideIo & { out: (s: string) => unknown },
): Promise<number> {
  if (opts.tree) {
    let ok = false;
    try {
      ok = statSync(opts.tree).isDirectory();
    } catch {}
    if (!ok) throw new UsageError(`--tree ${opts.tree}: not a directory`);
  }
  const a = await side(oldInput, opts, io);
  const b = await side(newInput, opts, io);
  await fillFromTree(a, b);
  // the C analysis only where the new side's files are known whole
  const parser: Parser | null = b.full.size > 0 ? await loadCParser().catch(() => null) : null;
  const reported = reportSpecDiff(a, b, parser);
  for (const n of [...a.notes, ...b.notes]) io.err(`kapi-review: ${sanitize(n, 'terminalLine')}\n`);
  if (b.full.size === 0 && reported.some((d) => d.changes.some((c) => c.area === 'error')))
    io.err(
      'kapi-review: the new side was read from the hunks only: pass --tree to check errors against the code\n',
    );
  const sides = { old: a.label, new: b.label };
  if (opts.format === 'json') io.out(`${JSON.stringify(specDiffToJson(reported, sides), null, 2)}\n`);
  else io.out(renderSpecDiffText(reported, sides));
  return 0;
}
