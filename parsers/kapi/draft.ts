/**
 * A KAPI spec drafted from the code, as text to put above the SYSCALL_DEFINE: the params from
 * the macro, one error entry per errno the code can return (its guard as the condition, the lines
 * it travels through as evidence), and TODO where only a person can say. Written in the macro form
 * or kerneldoc gen 2 or gen 3, using only what `knows` says the framework defines, so that the
 * draft parses with no issue and names no word the framework lacks. Pure; never throws on input.
 */
import type { ErrnoEvidence, SyscallDef } from '../c/model.js';
import { wrap } from '../text/wrap.js';
import type { WordKind } from './framework.js';

export type DraftForm = 'macro' | 'kerneldoc-2' | 'kerneldoc-3';
/** The forms `draft --form` takes: the drafted ones, and `kerneldoc` for the newest of them. */
export const DRAFT_FORMS = ['macro', 'kerneldoc', 'kerneldoc-2', 'kerneldoc-3'] as const;

export interface DraftError {
  /** Canonical errno without sign: 'EINVAL'. */
  errno: string;
  /** The code's condition as text, or null when the code shows none. */
  condition: string | null;
  /** The function the condition is read in, when it is not the syscall itself. */
  conditionIn: string | null;
  /** From the line that writes the errno out to the syscall (parsers/c's chain). */
  evidence: readonly ErrnoEvidence[];
  /** Said first in the description: why the entry is there when the code does not write it. */
  note?: string;
}

export interface DraftInput {
  syscall: SyscallDef;
  /** The file as the tree names it, for the evidence: 'mm/mlock.c'. */
  path: string;
  form: DraftForm;
  errors: readonly DraftError[];
  /** Things a person must look at, one sentence each (an open error set, kernel-internal codes). */
  todo: readonly string[];
  /** Whether the framework defines a word (parsers/kapi/framework.ts knowsWord). */
  knows: (kind: WordKind, word: string) => boolean;
}

/** The KAPI type of a C parameter type, when the type says it beyond doubt; null otherwise. */
function paramKind(ctype: string): 'user_ptr' | 'ptr' | 'int' | 'uint' | null {
  const t = ctype.replace(/\s+/g, ' ').trim();
  if (t.includes('*')) return /\b__user\b/.test(t) ? 'user_ptr' : 'ptr';
  if (/^(?:const )?(?:unsigned\b.*|size_t|__?u(?:8|16|32|64)|__kernel_size_t|uid_t|gid_t)$/.test(t))
    return 'uint';
  if (
    /^(?:const )?(?:(?:signed )?(?:int|long|long long|short)|__?s(?:8|16|32|64)|ssize_t|loff_t|pid_t)$/.test(
      t,
    )
  )
    return 'int';
  return null;
}

const TYPE_CONSTANT: Readonly<Record<string, string>> = {
  user_ptr: 'KAPI_TYPE_USER_PTR',
  ptr: 'KAPI_TYPE_PTR',
  int: 'KAPI_TYPE_INT',
  uint: 'KAPI_TYPE_UINT',
};

/** Text safe inside a C string literal on one line. */
function cString(s: string): string {
  return `"${s.replace(/\s+/g, ' ').replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** Text safe inside a C block comment on one line. */
function inComment(s: string): string {
  return s.replace(/\s+/g, ' ').replace(/\*\//g, '* /').trim();
}

function evidenceLine(path: string, e: ErrnoEvidence): string {
  return `${path}:${e.line} ${e.fn}(): ${e.text}`;
}

function conditionText(e: DraftError): string {
  if (e.condition === null) return 'TODO: condition (none read from the code)';
  return e.conditionIn ? `in ${e.conditionIn}(): ${e.condition}` : e.condition;
}

function errorDescription(e: DraftError): string {
  return `${e.note ? `${e.note} ` : ''}TODO: what ${e.errno} tells the caller.`;
}

function lowerBoundNote(name: string): string {
  return `TODO: ${name} is drafted from the code by kapi-review; check every entry, fill in each TODO, then remove this line.`;
}

// ---------------------------------------------------------------------------------------------
// The macro form

function macroSpec(d: DraftInput): string[] {
  const sc = d.syscall;
  const out: string[] = [`DEFINE_KERNEL_API_SPEC(${sc.fnName})`];
  const has = (m: string): boolean => d.knows('macro', m);
  const hasConst = (c: string): boolean => d.knows('constant', c);
  out.push(`\t/* ${inComment(lowerBoundNote(sc.fnName))} */`);
  for (const t of d.todo) out.push(`\t/* ${inComment(t)} */`);
  out.push(`\tKAPI_DESCRIPTION(${cString(`TODO: what ${sc.name}() does, in one line`)})`);
  if (has('KAPI_CONTEXT') && hasConst('KAPI_CTX_PROCESS')) out.push('\tKAPI_CONTEXT(KAPI_CTX_PROCESS)');
  for (const [i, p] of sc.params.entries()) {
    out.push('');
    out.push(
      `\tKAPI_PARAM(${i}, ${cString(p.name)}, ${cString(p.type)}, ${cString(`TODO: describe ${p.name}`)})`,
    );
    const kind = paramKind(p.type);
    const typeConst = kind ? (TYPE_CONSTANT[kind] as string) : null;
    if (typeConst && has('KAPI_PARAM_TYPE') && hasConst(typeConst))
      out.push(`\t\tKAPI_PARAM_TYPE(${typeConst})`);
    if ((kind === 'int' || kind === 'uint') && has('KAPI_PARAM_FLAGS') && hasConst('KAPI_PARAM_IN'))
      out.push('\t\tKAPI_PARAM_FLAGS(KAPI_PARAM_IN)');
    out.push('\tKAPI_PARAM_END');
  }
  out.push('');
  out.push(
    `\tKAPI_RETURN("long", ${cString('0 on success, a negative error code on failure (TODO: check)')})`,
  );
  if (has('KAPI_RETURN_TYPE') && hasConst('KAPI_TYPE_INT')) out.push('\t\tKAPI_RETURN_TYPE(KAPI_TYPE_INT)');
  if (has('KAPI_RETURN_CHECK_TYPE') && hasConst('KAPI_RETURN_ERROR_CHECK'))
    out.push('\t\tKAPI_RETURN_CHECK_TYPE(KAPI_RETURN_ERROR_CHECK)');
  if (has('KAPI_RETURN_SUCCESS')) out.push('\t\tKAPI_RETURN_SUCCESS(0)');
  out.push('\tKAPI_RETURN_END');
  for (const [i, e] of d.errors.entries()) {
    out.push('');
    for (const ev of e.evidence) out.push(`\t/* ${inComment(evidenceLine(d.path, ev))} */`);
    out.push(
      `\tKAPI_ERROR(${i}, -${e.errno}, ${cString(e.errno)}, ${cString(conditionText(e))},`,
      `\t\t   ${cString(errorDescription(e))})`,
    );
  }
  out.push('');
  if (has('KAPI_ERROR_COUNT')) out.push(`\tKAPI_ERROR_COUNT(${d.errors.length})`);
  if (has('KAPI_PARAM_COUNT')) out.push(`\tKAPI_PARAM_COUNT(${sc.params.length})`);
  out.push('KAPI_END_SPEC;');
  return out;
}

// ---------------------------------------------------------------------------------------------
// kerneldoc gen 2 and gen 3

/** One kerneldoc value: the first line after `key: `, the rest as indented continuation lines. */
function docLines(key: string, value: string, indent: string): string[] {
  const first = ` * ${indent}${key}: `;
  const rest = ` * ${indent}  `;
  return wrap(inComment(value), { first, rest, width: 80 }).map((l) => l.replace(/\s+$/, ''));
}

/** A value that must stay on the header line (a condition): one line, whatever its length. */
function oneLine(s: string): string {
  return inComment(s);
}

function kerneldocSpec(d: DraftInput): string[] {
  const sc = d.syscall;
  const gen3 = d.form === 'kerneldoc-3';
  const out: string[] = ['/**', ` * ${sc.fnName} - TODO: what ${sc.name}() does, in one line`];
  for (const p of sc.params) out.push(` * @${p.name}: TODO: describe ${p.name}`);
  out.push(' *');
  // gen 1 to 3 generators count a comment as a spec by its indicator keys: long-desc and the
  // context are two of them in every framework with kerneldoc
  out.push(...docLines('long-desc', lowerBoundNote(sc.fnName), ''));
  // a continuation line must not read as a key (`TODO: ...` would be one)
  for (const t of d.todo) out.push(...wrap(inComment(t), { first: ' *   - ', rest: ' *     ', width: 80 }));
  out.push(' *');
  if (gen3 && d.knows('token', 'process')) out.push(' * contexts: process', ' *');
  else if (!gen3 && d.knows('constant', 'KAPI_CTX_PROCESS'))
    out.push(' * context-flags: KAPI_CTX_PROCESS', ' *');
  if (d.knows('key', 'param-count')) out.push(` * param-count: ${sc.params.length}`, ' *');
  for (const p of sc.params) {
    out.push(` * param: ${p.name}`);
    const kind = paramKind(p.type);
    const scalar = kind === 'int' || kind === 'uint';
    if (gen3 && kind && d.knows('token', kind)) {
      const input = scalar && d.knows('token', 'input');
      out.push(` *   type: ${kind}${input ? ', input' : ''}`);
    } else if (!gen3 && kind && d.knows('constant', TYPE_CONSTANT[kind] as string)) {
      out.push(` *   type: ${TYPE_CONSTANT[kind]}`);
      if (scalar && d.knows('constant', 'KAPI_PARAM_IN')) out.push(' *   flags: KAPI_PARAM_IN');
    }
    out.push(' *');
  }
  out.push(' * return:');
  if (gen3) out.push(' *   type: int', ' *   check-type: error_check');
  else out.push(' *   type: KAPI_TYPE_INT', ' *   check-type: KAPI_RETURN_ERROR_CHECK');
  out.push(
    ' *   success: 0',
    ' *   desc: 0 on success, a negative error code on failure (TODO: check)',
    ' *',
  );
  for (const e of d.errors) {
    out.push(` * error: ${e.errno}, ${oneLine(conditionText(e))}`);
    out.push(...docLines('desc', errorDescription(e), '  '));
    for (const ev of e.evidence) out.push(` *     at ${oneLine(evidenceLine(d.path, ev))}`);
    out.push(' *');
  }
  out.push(
    ...docLines('error-count', String(d.errors.length), '').filter(() => d.knows('key', 'error-count')),
  );
  if (out[out.length - 1] === ' *') out.pop();
  out.push(' */');
  return out;
}

/** The draft spec as lines of text, without a trailing newline. */
export function draftSpec(d: DraftInput): string {
  try {
    return (d.form === 'macro' ? macroSpec(d) : kerneldocSpec(d)).join('\n');
  } catch {
    return '';
  }
}
