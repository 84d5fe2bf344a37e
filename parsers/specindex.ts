/**
 * The spec index of one file: every KAPI spec in any form and every SYSCALL_DEFINE, with whether a
 * spec documents it. SYSCALL_DEFINEs come from the line-preserving preprocessor, which is enough
 * to find them and their params; the tree-sitter pass (error sets) is the checks' business. Pure;
 * app/index/specs.ts walks trees and feeds files in.
 */
import { findSyscalls } from './c/preprocess.js';
import { parseKerneldocSpecs } from './kapi/kerneldoc.js';
import { linkSpecs } from './kapi/link.js';
import { parseMacroSpecs } from './kapi/macro.js';
import type { ApiSpec, CountName, SpecForm, SpecKind } from './kapi/model.js';

export interface IndexedSpec {
  name: string;
  kind: SpecKind;
  form: SpecForm;
  path: string;
  line: number;
  endLine: number;
  /** The SYSCALL_DEFINE this spec documents (its fnName), or null. */
  syscall: string | null;
  params: { index: number | null; name: string; type: string | null }[];
  errors: string[];
  counts: Partial<Record<CountName, number>>;
  locks: string[];
  signals: string[];
  capabilities: string[];
  sideEffects: number;
  stateTransitions: number;
  constraints: number;
  contexts: string[];
  partial: boolean;
}

export interface IndexedSyscall {
  name: string;
  fnName: string;
  path: string;
  line: number;
  arity: number;
  params: { type: string; name: string }[];
  compat: boolean;
  spec: { path: string; line: number; form: SpecForm } | null;
}

export interface IndexIssue {
  path: string;
  line: number | null;
  code: string;
  severity: string;
  message: string;
}

export interface TreeIndex {
  /** Files looked at, bytes read, files that passed the prefilter. */
  stats: { files: number; bytes: number; parsed: number; ms: number };
  specs: IndexedSpec[];
  syscalls: IndexedSyscall[];
  /** Parser issues (a spec that does not parse cleanly) and unreadable files. */
  issues: IndexIssue[];
}

function summarize(spec: ApiSpec, path: string, syscall: string | null): IndexedSpec {
  const counts: Partial<Record<CountName, number>> = {};
  for (const [k, v] of Object.entries(spec.counts)) if (v) counts[k as CountName] = v.value;
  return {
    name: spec.name,
    kind: spec.kind,
    form: spec.form,
    path,
    line: spec.line,
    endLine: spec.endLine,
    syscall,
    params: spec.params.map((p) => ({ index: p.index, name: p.name, type: p.ctype ?? p.type ?? null })),
    errors: spec.errors.map((e) => e.code),
    counts,
    locks: spec.locks.map((l) => l.name),
    signals: spec.signals.map((s) => s.signal),
    capabilities: spec.capabilities.map((c) => c.capability),
    sideEffects: spec.sideEffects.length,
    stateTransitions: spec.stateTransitions.length,
    constraints: spec.constraints.length,
    contexts: spec.contexts,
    partial: spec.partial,
  };
}

/** Index one file's text (no I/O; exported for tests and the bench). */
export function indexText(text: string, path: string): Omit<TreeIndex, 'stats'> {
  const issues: IndexIssue[] = [];
  const macro = parseMacroSpecs(text, path);
  const doc = parseKerneldocSpecs(text, path);
  const prep = findSyscalls(text);
  for (const i of [...macro.issues, ...doc.issues])
    issues.push({ path, line: i.line ?? null, code: i.code, severity: i.severity, message: i.message });
  const specs = [...macro.value, ...doc.value].sort((a, b) => a.line - b.line);
  const link = linkSpecs(specs, prep.syscalls);
  const documents = new Map<ApiSpec, string>();
  const syscalls: IndexedSyscall[] = prep.syscalls.map((sc, i) => {
    const spec = link.specOf[i] ?? null;
    if (spec) documents.set(spec, sc.fnName);
    return {
      name: sc.name,
      fnName: sc.fnName,
      path,
      line: sc.line,
      arity: sc.arity,
      params: sc.params,
      compat: sc.compat,
      spec: spec ? { path, line: spec.line, form: spec.form } : null,
    };
  });
  return { specs: specs.map((s) => summarize(s, path, documents.get(s) ?? null)), syscalls, issues };
}
