/**
 * The shape a cache entry's value must have before it is used: what the readers of a FileUnit
 * touch, checked all the way down to the arrays they walk. An entry that fails is refused and made
 * again (a file another program wrote, a truncated write that still deserialised, a bug).
 */
import type { MemoKind } from '../../checks/unit.js';

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isStr = (v: unknown): v is string => typeof v === 'string';
const strOrNull = (v: unknown): boolean => v === null || isStr(v);
const arrayOf = (v: unknown, ok: (x: unknown) => boolean): boolean => Array.isArray(v) && v.every(ok);

function issue(v: unknown): boolean {
  return isObj(v) && isStr(v.code) && isStr(v.severity) && isStr(v.message);
}

const SPEC_LISTS = [
  'contexts',
  'params',
  'errors',
  'locks',
  'signals',
  'signalMasks',
  'sideEffects',
  'stateTransitions',
  'capabilities',
  'constraints',
  'structs',
  'assignments',
  'unknown',
] as const;

function spec(v: unknown): boolean {
  if (!isObj(v)) return false;
  if (!isStr(v.name) || !isStr(v.kind) || !isStr(v.form) || !isStr(v.path)) return false;
  if (!isNum(v.line) || !isNum(v.endLine) || typeof v.partial !== 'boolean') return false;
  if (!strOrNull(v.description) || !strOrNull(v.longDescription) || !isObj(v.counts)) return false;
  if (!(v.returns === null || isObj(v.returns)) || !(v.kerneldoc === null || isObj(v.kerneldoc)))
    return false;
  return SPEC_LISTS.every((k) => arrayOf(v[k], (x) => isObj(x) || isStr(x)));
}

function syscall(v: unknown): boolean {
  return (
    isObj(v) &&
    isStr(v.name) &&
    isStr(v.fnName) &&
    isNum(v.arity) &&
    isNum(v.line) &&
    isNum(v.endLine) &&
    isStr(v.macroText) &&
    arrayOf(v.params, (p) => isObj(p) && isStr(p.type) && isStr(p.name))
  );
}

function cFunction(v: unknown): boolean {
  return (
    isObj(v) &&
    isStr(v.name) &&
    isNum(v.line) &&
    isNum(v.endLine) &&
    typeof v.isStatic === 'boolean' &&
    typeof v.isSyscall === 'boolean' &&
    typeof v.hasParseErrors === 'boolean'
  );
}

function evidence(v: unknown): boolean {
  return isObj(v) && isStr(v.fn) && isNum(v.line) && isStr(v.text);
}

function functionErrors(v: unknown): boolean {
  return (
    isObj(v) &&
    isStr(v.fn) &&
    typeof v.complete === 'boolean' &&
    arrayOf(v.errnos, (e) => isObj(e) && isStr(e.errno) && isStr(e.written) && arrayOf(e.chain, evidence)) &&
    arrayOf(v.unknownCalls, isStr) &&
    arrayOf(v.unknownValues, isStr) &&
    arrayOf(v.never, isStr) &&
    isObj(v.neverVia) &&
    Object.values(v.neverVia).every((l) => arrayOf(l, evidence))
  );
}

/** Whether `value` may stand for what the parsers make of a text, for an entry of `kind`. */
export function validEntry(kind: MemoKind, value: unknown): boolean {
  switch (kind) {
    case 'specs':
      return isObj(value) && arrayOf(value.specs, spec) && arrayOf(value.issues, issue);
    case 'syscalls':
      return arrayOf(value, syscall);
    case 'c':
    case 'c-reach':
      return (
        isObj(value) &&
        arrayOf(value.functions, cFunction) &&
        arrayOf(value.syscalls, syscall) &&
        isObj(value.errors) &&
        Object.values(value.errors).every(functionErrors)
      );
    default:
      return false;
  }
}
