/**
 * `kapi-review draft <syscall> --tree DIR [--form F] [--file PATH]`: a spec drafted from the code
 * of one syscall, in a form the tree's framework reads (the latest known posting's without one),
 * printed on stdout to go right above its SYSCALL_DEFINE. Before printing, the draft is put there
 * and read back: it must parse with no issue, document the syscall, and draw no
 * kapi-error-undocumented or kapi-error-unreachable finding. A syscall not found, found in
 * several files, or whose body tree-sitter cannot parse is refused with the reason (exit 2).
 */
import { readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Parser } from 'web-tree-sitter';
import { checkById } from '../../checks/index.js';
import { KERNEL_INTERNAL, RESTARTS_AS_EINTR } from '../../checks/lib/errno.js';
import { runChecks } from '../../checks/runner.js';
import type { Check } from '../../checks/types.js';
import { buildUnit } from '../../checks/unit.js';
import { guardsAt } from '../../parsers/c/guards.js';
import { analyzeC, canonicalErrno, type FunctionErrors, type SyscallDef } from '../../parsers/c/index.js';
import { findSyscalls } from '../../parsers/c/preprocess.js';
import { type DRAFT_FORMS, type DraftError, type DraftForm, draftSpec } from '../../parsers/kapi/draft.js';
import { type Framework, formsOf, knowsWord } from '../../parsers/kapi/framework.js';
import { sanitize } from '../../parsers/text/controls.js';
import { loadCParser } from '../c/language.js';
import { directoryTree } from '../context/tree.js';
import { frameworkForTree } from '../framework/resolve.js';
import { listSourceFiles } from '../index/walk.js';
import type { CliIo } from './main.js';
import { UsageError } from './usage.js';

const DRAFTABLE: readonly DraftForm[] = ['macro', 'kerneldoc-2', 'kerneldoc-3'];

export interface DraftCliOptions {
  tree: string;
  form?: (typeof DRAFT_FORMS)[number];
  file?: string;
}

/** `sys_mlockall`, `mlockall` or `compat_sys_x` as the fnName a SYSCALL_DEFINE makes. */
function fnNameOf(arg: string): string {
  return /^(?:compat_)?sys_/.test(arg) ? arg : `sys_${arg}`;
}

/** The files of the tree (or the one given) that define `fnName`, with their text. */
async function definingFiles(
  tree: string,
  fnName: string,
  file?: string,
): Promise<{ path: string; text: string }[]> {
  const bare = fnName.replace(/^(?:compat_)?sys_/, '');
  const files = file ? [join(tree, file)] : (await listSourceFiles([tree])).filter((p) => p.endsWith('.c'));
  const needle = Buffer.from(bare);
  const out: { path: string; text: string }[] = [];
  for (const path of files) {
    let buf: Buffer;
    try {
      buf = readFileSync(path);
    } catch (e) {
      if (file) throw new UsageError(`--file ${file}: cannot read it (${(e as Error).message})`);
      continue;
    }
    if (buf.indexOf(needle) < 0 || buf.indexOf('SYSCALL_DEFINE') < 0) continue;
    const text = buf.toString('utf8');
    if (findSyscalls(text).syscalls.some((s) => s.fnName === fnName))
      out.push({ path: relative(tree, path), text });
  }
  return out;
}

/** The form to write: the one asked for when the framework reads it, else the newest it reads. */
function chooseForm(fw: Framework, asked: DraftCliOptions['form']): DraftForm {
  const reads = formsOf(fw).filter((f): f is DraftForm => (DRAFTABLE as readonly string[]).includes(f));
  const wanted = asked === 'kerneldoc' ? reads.filter((f) => f !== 'macro') : asked ? [asked] : reads;
  const form = [...wanted].reverse().find((f) => reads.includes(f));
  if (form) return form;
  const read = formsOf(fw).join(', ') || 'no spec form';
  throw new UsageError(
    `--form ${asked ?? '(default)'}: the KAPI framework of ${fw.name} reads ${read}; a draft can be written in ${reads.join(', ') || 'none of them'}`,
  );
}

/** The error entries and the TODO notes for a syscall's error set. */
function draftErrors(
  parser: Parser,
  text: string,
  facts: FunctionErrors,
  fnName: string,
): { errors: DraftError[]; todo: string[] } {
  const guards = guardsAt(
    parser,
    text,
    facts.errnos.flatMap((f) => (f.chain[0] ? [{ line: f.chain[0].line, written: f.written }] : [])),
  );
  const errors = new Map<string, DraftError>();
  const internal: string[] = [];
  for (const f of facts.errnos) {
    const first = f.chain[0];
    if (!first) continue;
    let errno = canonicalErrno(f.errno);
    let note: string | undefined;
    if (KERNEL_INTERNAL.has(errno)) {
      if (!RESTARTS_AS_EINTR.has(errno)) {
        internal.push(`-${errno} (${first.fn}(), line ${first.line})`);
        continue;
      }
      note = `The code returns -${errno}, which the caller sees as EINTR when a signal handler without SA_RESTART runs.`;
      errno = 'EINTR';
    }
    if (errors.has(errno)) continue;
    const condition = guards.get(first.line) ?? null;
    errors.set(errno, {
      errno,
      condition,
      conditionIn: condition !== null && first.fn !== fnName ? first.fn : null,
      evidence: f.chain,
      ...(note ? { note } : {}),
    });
  }
  const todo: string[] = [];
  if (!facts.complete) {
    const open = [...facts.unknownCalls.map((c) => `${c}()`), ...facts.unknownValues];
    todo.push(
      `TODO: the error list is a lower bound: ${open.length > 0 ? `what ${open.slice(0, 8).join(', ')}${open.length > 8 ? ', ...' : ''} return${open.length === 1 ? 's' : ''} can also reach the caller` : 'part of the code was not understood'}.`,
    );
  }
  if (internal.length > 0)
    todo.push(
      `TODO: the code returns kernel-internal ${internal.join(', ')}: not listed, since userspace must never see it.`,
    );
  return { errors: [...errors.values()].sort((a, b) => a.errno.localeCompare(b.errno)), todo };
}

/** What is wrong with the draft once it is put above the syscall, or null when nothing is. */
function verify(
  parser: Parser,
  path: string,
  text: string,
  sc: SyscallDef,
  draft: string,
  fw: Framework,
): string | null {
  const lines = text.split('\n');
  const draftLines = draft.split('\n').length;
  lines.splice(sc.line - 1, 0, ...draft.split('\n'));
  const unit = buildUnit({ path, mode: 'full', post: lines.join('\n'), fragments: [], diff: null }, parser);
  const own = (l: number | undefined): boolean => l !== undefined && l >= sc.line && l < sc.line + draftLines;
  const issues = unit.specIssues.filter((i) => own(i.line));
  if (issues.length > 0) return `it does not parse cleanly: ${issues.map((i) => i.message).join('; ')}`;
  const at = unit.syscalls.findIndex((s) => s.fnName === sc.fnName && s.line === sc.line + draftLines);
  const spec = at >= 0 ? unit.specOf[at] : null;
  if (!spec || !own(spec.line)) return `it does not document ${sc.fnName}`;
  const checks = ['kapi-error-undocumented', 'kapi-error-unreachable'].map((id) => checkById(id) as Check);
  const found = runChecks(unit, checks, {}, null, fw).findings.filter((f) => f.spec === sc.fnName);
  if (found.length > 0) return `the checks find: ${found.map((f) => `${f.check}: ${f.message}`).join('; ')}`;
  return null;
}

export async function draftCommand(syscall: string, opts: DraftCliOptions, io: CliIo): Promise<number> {
  let isDir = false;
  try {
    isDir = statSync(opts.tree).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) throw new UsageError(`--tree ${opts.tree}: not a directory`);
  const fnName = fnNameOf(syscall);
  const found = await definingFiles(opts.tree, fnName, opts.file);
  const where = opts.file ?? opts.tree;
  if (found.length === 0) throw new UsageError(`${fnName}: no SYSCALL_DEFINE of it in ${where}`);
  if (found.length > 1)
    throw new UsageError(
      `${fnName} is defined in ${found.length} files (${found.map((f) => f.path).join(', ')}); pick one with --file`,
    );
  const { path, text } = found[0] as { path: string; text: string };
  const parser = await loadCParser();
  const facts = analyzeC(parser, text, path).value;
  const sc = facts.syscalls.find((s) => s.fnName === fnName);
  const fn = facts.functions.find((f) => f.name === fnName && f.isSyscall);
  const errs = facts.errors[fnName];
  if (!sc || !fn || !errs)
    throw new UsageError(
      `${fnName} (${path}): tree-sitter found no body for it: not drafting a spec from it`,
    );
  if (fn.hasParseErrors)
    throw new UsageError(
      `${fnName} (${path}:${fn.line}): its body does not parse (tree-sitter reports errors in lines ${fn.line}-${fn.endLine}): not drafting a spec from code it cannot read`,
    );
  const choice = await frameworkForTree(directoryTree(opts.tree));
  const form = chooseForm(choice.framework, opts.form);
  const { errors, todo } = draftErrors(parser, text, errs, fnName);
  const fw = choice.framework;
  const draft = draftSpec({
    syscall: sc,
    path,
    form,
    errors,
    todo,
    knows: (kind, word) => knowsWord(fw, kind, word) !== null,
  });
  const wrong = verify(parser, path, text, sc, draft, fw);
  if (wrong !== null) {
    io.err(
      `kapi-review: internal error: the draft of ${fnName} fails its own test: ${sanitize(wrong, 'terminalLine')}\n`,
    );
    return 1;
  }
  io.out(`${draft}\n`);
  io.err(
    `kapi-review: ${fnName} in ${path}:${sc.line}: ${errors.length} error entr${errors.length === 1 ? 'y' : 'ies'}, ${form} form, ${choice.note.replace(/^judged by/, 'for')}; put it right above line ${sc.line}\n`,
  );
  return 0;
}
