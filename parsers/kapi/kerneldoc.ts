/**
 * KAPI specifications written as kerneldoc annotations, in the three generations the framework
 * went through (see KAPI.md (c)):
 *
 * - gen 1 (RFC v3): flat keys, one fact per line, `param-type: start, KAPI_TYPE_UINT`,
 *   `error-code: -ENOMEM, ENOMEM, cond, desc`, `lock: l, KAPI_LOCK_X` + `lock-acquired: true`;
 *   continuation lines are indented (two spaces after `* `).
 * - gen 2 (RFC v4 .. PATCH v2): a header line opens a block and indented sub-keys follow
 *   (`param: len, KAPI_TYPE_UINT` + `  flags: KAPI_PARAM_IN`), values are KAPI_* constants.
 *   Blocks nest: `struct: NAME, desc` holds `field: NAME, CTYPE` blocks with their own sub-keys,
 *   and a field may hold the `struct:` of its own type, to any depth.
 * - gen 3 (PATCH v3/v4): the same blocks with short tokens (`contexts: process`,
 *   `type: uint, input`, `constraint-type: range(0, X)`, `side-effect: alloc_memory`).
 *
 * The parser accepts the union of the three grammars in every comment; the generation it reports
 * is decided per comment from the keys and values seen (see detectGeneration) and only changes how
 * indented lines are read (gen 1: always continuation; gen 2/3: sub-key or nested block when the
 * block knows the key) and the few places where the real generators differ (state-trans
 * one-liners). Which keys open blocks, which sub-keys each block takes and which blocks nest in
 * which is the table of kerneldoc-blocks.ts, not code (see `structure`).
 *
 * A value reaches the model through the field table (fields.ts), as in the macro form: a header
 * part, a sub-key or a gen-1 flat key names its canonical field (the C struct's, by the table of
 * kerneldoc-blocks.ts for sub-keys), `Builder.set` reads the text as the field's kind and records
 * the assignment. Only what kerneldoc writes its own way is read here: `type: uint, input`,
 * `constraint-type: range(lo, hi)`, `range: lo, hi`, a struct field's implied constraint type and
 * C type, a constraint's two descriptions, the side-effect and state-trans one-liners.
 *
 * Facts that the kerneldoc forms do not write but that the real generator (kdoc_apispec.py) takes
 * from the C declaration below the comment: parameter C types and the return C type. They are
 * filled from the `SYSCALL_DEFINEn(...)` / function declaration, recorded in `assignments` with
 * the declaration as `via`. Parameter descriptions come from the `@name:` lines when the block has
 * no `desc:` of its own, as the generator does.
 *
 * Pure: no I/O, no clock. Never throws; what cannot be read becomes an Issue.
 */

import { countNewlines } from '../text/lines.js';
import type { Issue, Parsed } from '../types.js';
import { issue } from '../types.js';
import { type FieldReader, fieldDef, KERNELDOC_AS_WRITTEN, setField } from './fields.js';
import {
  type DocBlockKind,
  type DocBlockTable,
  type DocGrammar,
  docGrammar,
  KERNELDOC_BLOCKS,
  lookup,
} from './kerneldoc-blocks.js';
import {
  type ApiSpec,
  emptyCapability,
  emptyConstraint,
  emptyError,
  emptyLock,
  emptyParam,
  emptyReturn,
  emptySideEffect,
  emptySignal,
  emptySpec,
  emptyStateTrans,
  emptyStruct,
  emptyStructField,
  type KerneldocParts,
  type SpecCapability,
  type SpecConstraint,
  type SpecError,
  type SpecForm,
  type SpecLock,
  type SpecParam,
  type SpecReturn,
  type SpecSideEffect,
  type SpecSignal,
  type SpecStateTrans,
  type SpecStruct,
  type SpecStructField,
  splitEnumValues,
} from './model.js';
import { type CategoryName, KERNELDOC_VALUES, type VocabCategory } from './vocabulary.js';

/* ------------------------------------------------------------------------------------------------
 * Vocabulary
 * --------------------------------------------------------------------------------------------- */

interface Vocab {
  /** Prefixes of the KAPI_* spelling, longest first. */
  prefixes: string[];
  known: ReadonlySet<string>;
  /** Lower-case alias -> canonical token; also full KAPI_* spellings that are not prefix + token. */
  aliases: Readonly<Record<string, string>>;
}

const vocab = (prefixes: string[], known: string[], aliases: Record<string, string> = {}): Vocab => ({
  prefixes,
  known: new Set(known),
  aliases,
});

/** A category of the one vocabulary (vocabulary.ts), as kerneldoc reads it. */
const fromVocabulary = (c: VocabCategory): Vocab => vocab([c.prefix], [...c.tokens], { ...c.aliases });

/** Every category, as kerneldoc reads it. */
const VOCAB = Object.fromEntries(
  (Object.entries(KERNELDOC_VALUES) as [CategoryName, VocabCategory][]).map(([k, c]) => [
    k,
    fromVocabulary(c),
  ]),
) as Record<CategoryName, Vocab>;
const TYPES = VOCAB.type;
const FLAGS = VOCAB.param_flags;
const CONSTRAINTS = VOCAB.constraint;
const EFFECTS = VOCAB.effect;

/** Architectures of `arch-mask: <arch> = <bits>` (kdoc_apispec.py's _ARCH_CONFIG). */
const ARCHES = new Set([
  'alpha',
  'arc',
  'arm',
  'arm64',
  'csky',
  'hexagon',
  'loongarch',
  'm68k',
  'microblaze',
  'mips',
  'nios2',
  'openrisc',
  'parisc',
  'powerpc',
  'riscv',
  's390',
  'sh',
  'sparc',
  'um',
  'x86',
  'xtensa',
]);

/** Block kinds of the gen 2/3 block grammar (the table is in kerneldoc-blocks.ts). */
type BlockKind = DocBlockKind;

/** Gen-1 flat families: `<prefix>-<sub>: ...` applying to an entry (KAPI.md (c), gen 1). */
const FLAT_FAMILIES: readonly {
  prefix: string;
  block: BlockKind;
  byName: boolean;
  subs: Record<string, string>;
}[] = [
  {
    prefix: 'param-',
    block: 'param',
    byName: true,
    subs: {
      type: 'type',
      flags: 'flags',
      constraint: 'constraint',
      range: 'range',
      mask: 'mask',
      'constraint-type': 'constraint-type',
      size: 'size',
      alignment: 'alignment',
      enum: 'enum',
      validate: 'validate',
      'size-param': 'size-param',
      'size-multiplier': 'size-multiplier',
    },
  },
  {
    prefix: 'lock-',
    block: 'lock',
    byName: false,
    subs: { type: 'type', acquired: 'acquired', released: 'released', desc: 'desc' },
  },
  {
    prefix: 'signal-',
    block: 'signal',
    byName: false,
    subs: {
      direction: 'direction',
      action: 'action',
      condition: 'condition',
      desc: 'desc',
      error: 'error',
      timing: 'timing',
      priority: 'priority',
      interruptible: 'interruptible',
      'state-req': 'state-req',
    },
  },
  {
    prefix: 'capability-',
    block: 'capability',
    byName: false,
    subs: { allows: 'allows', without: 'without', condition: 'condition', priority: 'priority' },
  },
  {
    prefix: 'side-effect-',
    block: 'side_effect',
    byName: false,
    subs: { type: 'type', desc: 'desc', condition: 'condition', reversible: 'reversible' },
  },
  { prefix: 'state-trans-', block: 'state_trans', byName: false, subs: { desc: 'desc' } },
  { prefix: 'error-', block: 'error', byName: false, subs: { condition: 'condition' } },
  { prefix: 'constraint-', block: 'constraint', byName: true, subs: { expr: 'expr' } },
  {
    prefix: 'return-',
    block: 'return',
    byName: false,
    subs: { type: 'type', check: 'check-type', 'check-type': 'check-type', success: 'success', desc: 'desc' },
  },
];

/** Count keys -> the canonical count field (`struct-count:` is recorded under its own name). */
export const COUNT_KEYS: Readonly<Record<string, string>> = {
  'param-count': 'param_count',
  'error-count': 'error_count',
  'lock-count': 'lock_count',
  'signal-count': 'signal_count',
  'signal-mask-count': 'signal_mask_count',
  'side-effect-count': 'side_effect_count',
  'state-trans-count': 'state_trans_count',
  'capability-count': 'capability_count',
  'constraint-count': 'constraint_count',
  'struct-count': 'struct_spec_count',
  'struct-spec-count': 'struct_spec_count',
};

/** Top-level keys that set a field of the spec -> the canonical field. */
export const SPEC_KEYS: Readonly<Record<string, string>> = {
  contexts: 'context_flags',
  'context-flags': 'context_flags',
  'long-desc': 'long_description',
  desc: 'description',
  since: 'since_version',
  'since-version': 'since_version',
  examples: 'examples',
  notes: 'notes',
  'api-type': 'api_type',
  'api-version': 'version',
};

/** Top-level keys with their own handler (besides blocks, flat families and counts). */
const PLAIN_KEYS = new Set([
  ...Object.keys(SPEC_KEYS),
  'error-code',
  'struct-type',
  'validation-group',
  'validation-policy',
  'validation-flag',
  'validation-rule',
]);

/** The values in a `constraint-type: range(lo, hi)` (and mask(), enum(), ...) -> their field. */
const CONSTRAINT_ARGS: Readonly<Record<string, string>> = {
  range: 'range',
  mask: 'valid_mask',
  enum: 'enum_values',
  alignment: 'alignment',
  buffer: 'size_param_idx',
  user_string: 'size',
  custom: 'validate',
};

/** A struct field's values that imply its constraint type when it writes none. */
const IMPLIED_CONSTRAINT: Readonly<Record<string, string>> = {
  range: 'range',
  valid_mask: 'mask',
  enum_values: 'enum',
};

/** Keys that a plain kerneldoc comment may carry too: they do not make a comment a KAPI spec. */
const NON_INDICATORS = new Set(['examples', 'notes', 'desc', 'return']);

/**
 * Keys that mark a spec only when indented sub-keys follow them: `struct: foo` alone may be prose
 * in a plain comment, `struct: foo` with a `field:` below it is not.
 */
const INDICATORS_WITH_SUBKEYS = new Set(['struct']);

/** Is `key` (lower case, no '@') a KAPI top-level key? 'unknown' for `kapi-*` (recognised, no meaning). */
function topKeyKind(key: string, g: DocGrammar): 'known' | 'catch-all' | null {
  if (lookup(g.table.top, key) !== undefined || PLAIN_KEYS.has(key) || lookup(COUNT_KEYS, key) !== undefined)
    return 'known';
  if (key.startsWith('struct-field-')) return 'known';
  for (const fam of FLAT_FAMILIES)
    if (key.startsWith(fam.prefix) && lookup(fam.subs, key.slice(fam.prefix.length)) !== undefined)
      return 'known';
  if (key.startsWith('kapi-')) return 'catch-all';
  return null;
}

/** Gen-1-only flat keys (evidence for generation 1). */
function isFlatKey(key: string): boolean {
  if (
    key === 'error-code' ||
    key === 'struct-type' ||
    key.startsWith('validation-') ||
    key.startsWith('api-')
  )
    return true;
  if (lookup(COUNT_KEYS, key) !== undefined || key.startsWith('struct-field-')) return false;
  return FLAT_FAMILIES.some(
    (f) => key.startsWith(f.prefix) && lookup(f.subs, key.slice(f.prefix.length)) !== undefined,
  );
}

/* ------------------------------------------------------------------------------------------------
 * Small text helpers
 * --------------------------------------------------------------------------------------------- */

/** `key: value` at the start of a line: key letters, digits, '_', '-', '.', optional '@'. */
const KEY_RE = /^(@?)([A-Za-z][A-Za-z0-9_.-]*)[ \t]*:(?:[ \t]+(.*))?$/;

interface KeyMatch {
  at: boolean;
  /** As written, without '@'. */
  raw: string;
  /** Lower case. */
  key: string;
  /** Lower case, '_' -> '-' (sub-keys: kdoc_apispec.py accepts `sa_flags_required`). */
  subKey: string;
  value: string;
}

function matchKey(text: string): KeyMatch | null {
  const m = KEY_RE.exec(text);
  if (!m) return null;
  const raw = m[2] ?? '';
  const key = raw.toLowerCase();
  return { at: m[1] === '@', raw, key, subKey: key.replaceAll('_', '-'), value: (m[3] ?? '').trim() };
}

/**
 * `@name:` is a kerneldoc parameter; it is a KAPI key (RFC v3 allowed `@param-type:`) only when the
 * name has a '-', which no C identifier has.
 */
const isAtKapiKey = (m: KeyMatch, g: DocGrammar): boolean =>
  m.at && m.key.includes('-') && topKeyKind(m.key, g) !== null;

/** Split a C expression list on commas outside (), [] and {}. */
function splitTop(s: string, limit = Number.POSITIVE_INFINITY): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '(' || c === '[' || c === '{') depth++;
    else if ((c === ')' || c === ']' || c === '}') && depth > 0) depth--;
    else if (c === ',' && depth === 0 && out.length < limit - 1) {
      out.push(s.slice(start, i));
      start = i + 1;
    }
  }
  out.push(s.slice(start));
  return out;
}

/**
 * Split prose on every comma, at most `limit` parts (Python's `split(',', limit - 1)`): the real
 * generators split headers this way, and prose may hold unbalanced parentheses or apostrophes.
 */
function splitPlain(s: string, limit = Number.POSITIVE_INFINITY): string[] {
  const out: string[] = [];
  let start = 0;
  while (out.length < limit - 1) {
    const i = s.indexOf(',', start);
    if (i < 0) break;
    out.push(s.slice(start, i));
    start = i + 1;
  }
  out.push(s.slice(start));
  return out;
}

const joinText = (parts: readonly string[]): string =>
  parts
    .map((p) => p.trim())
    .filter((p) => p !== '')
    .join(' ');

const orNull = (s: string | undefined): string | null => {
  const t = (s ?? '').trim();
  return t === '' ? null : t;
};

const ERRNO_RE = /^-?E[A-Z0-9_]+$/;

function canonErrno(codeText: string): string {
  const t = codeText
    .trim()
    .replace(/^\((.*)\)$/, '$1')
    .trim();
  return ERRNO_RE.test(t) ? t.replace(/^-/, '') : codeText.trim();
}

/** Column width of leading whitespace (tabs to the next multiple of 8). */
function indentOf(s: string): number {
  let col = 0;
  for (const c of s) {
    if (c === ' ') col++;
    else if (c === '\t') col += 8 - (col % 8);
    else break;
  }
  return col;
}

/* ------------------------------------------------------------------------------------------------
 * Comments
 * --------------------------------------------------------------------------------------------- */

interface DocLine {
  text: string;
  indent: number;
  /** 1-based in the parser's input. */
  line: number;
}

interface DocComment {
  lines: DocLine[];
  startLine: number;
  endLine: number;
  terminated: boolean;
  /**
   * The text starts inside the comment (a hunk that edits the middle of a spec): there is no
   * `/**` line and no summary line.
   */
  headless: boolean;
  /** 0-based index of the first source line after the comment. */
  after: number;
}

function docLine(raw: string, line: number, first: boolean): DocLine {
  let s = raw;
  if (!first) {
    const star = /^[ \t]*\*(?!\/)/.exec(s);
    if (star) {
      s = s.slice(star[0].length);
      if (s.startsWith(' ')) s = s.slice(1);
    }
  }
  return { text: s.trim(), indent: indentOf(s), line };
}

/**
 * A line that may open a doc comment: `/**` after the line's leading white space (the set
 * trimStart drops). `^` also matches after a CR or U+2028 inside a line, so each candidate is
 * checked again on its whole line.
 */
const DOC_OPEN = /^[^\S\n]*\/\*\*/gm;

/**
 * Every `/** ... *\/` comment that starts a line, in one pass over the text: the lines outside
 * comments are jumped over to the next line that may open one, and only the comments' own lines
 * are cut out (a CR at a line's end dropped), so a file is not split into a string per line.
 */
export function scanDocComments(text: string): DocComment[] {
  const out: DocComment[] = [];
  let cur: DocComment | null = null;
  /** The line being read: its 0-based number, where it starts, and where the next one starts. */
  let i = 0;
  let pos = 0;
  let next = 0;
  const read = (): string => {
    const end = text.indexOf('\n', pos);
    const stop = end === -1 ? text.length : end;
    next = stop + 1;
    return text.charCodeAt(stop - 1) === 0x0d && stop > pos
      ? text.slice(pos, stop - 1)
      : text.slice(pos, stop);
  };
  const advance = (): void => {
    pos = next;
    i++;
  };
  // Text that starts with comment body lines (` * ...`) starts inside a comment.
  for (; pos <= text.length; advance()) {
    const raw = read();
    if (raw.trim() === '') continue;
    if (/^[ \t]*\*(?:[ \t]|$)/.test(raw))
      cur = { lines: [], startLine: i + 1, endLine: i + 1, terminated: false, headless: true, after: i };
    break;
  }
  if (cur === null) {
    i = 0;
    pos = 0;
  }
  while (pos <= text.length) {
    if (cur === null) {
      DOC_OPEN.lastIndex = pos;
      const m = DOC_OPEN.exec(text);
      if (m === null) break;
      const start = m.index === 0 ? 0 : text.lastIndexOf('\n', m.index - 1) + 1;
      if (start > pos) {
        i += countNewlines(text, pos, start);
        pos = start;
      }
      const raw = read();
      const lead = raw.length - raw.trimStart().length;
      const t = raw.slice(lead);
      if (!t.startsWith('/**') || t.startsWith('/***') || t.startsWith('/**/')) {
        advance();
        continue;
      }
      cur = { lines: [], startLine: i + 1, endLine: i + 1, terminated: false, headless: false, after: i + 1 };
      let rest = t.slice(3);
      const end = rest.indexOf('*/');
      if (end >= 0) {
        rest = rest.slice(0, end);
        if (rest.trim() !== '') cur.lines.push(docLine(rest, i + 1, true));
        cur.terminated = true;
        out.push(cur);
        cur = null;
      } else if (rest.trim() !== '') cur.lines.push(docLine(rest, i + 1, true));
      advance();
      continue;
    }
    const raw = read();
    const end = raw.indexOf('*/');
    if (end >= 0) {
      const before = raw.slice(0, end);
      if (before.trim() !== '' && before.trim() !== '*') cur.lines.push(docLine(before, i + 1, false));
      cur.endLine = i + 1;
      cur.terminated = true;
      cur.after = i + 1;
      out.push(cur);
      cur = null;
      advance();
      continue;
    }
    if (raw.trimStart().startsWith('/*')) {
      // A new comment starts inside this one: the previous one was cut off (e.g. by a hunk).
      // This line is read again as one that may open a comment.
      cur.after = i;
      out.push(cur);
      cur = null;
      continue;
    }
    cur.lines.push(docLine(raw, i + 1, false));
    cur.endLine = i + 1;
    cur.after = i + 1;
    advance();
  }
  if (cur !== null) out.push(cur);
  return out;
}

/** Does the comment carry KAPI keys (not just `@x:` and `Return:`)? */
function isSpecComment(lines: readonly DocLine[], g: DocGrammar): boolean {
  // kerneldoc `DOC:` sections are prose, never API specs.
  const firstText = lines.find((l) => l.text !== '');
  if (firstText && /^DOC:/.test(firstText.text)) return false;
  let pendingReturn = false;
  for (const [i, l] of lines.entries()) {
    if (l.text === '') continue;
    const m = matchKey(l.text);
    if (l.indent > 0) {
      if (
        pendingReturn &&
        m &&
        lookup(g.table.blocks.return.subKeys, m.subKey) !== undefined &&
        m.raw === m.raw.toLowerCase()
      )
        return true;
      continue;
    }
    pendingReturn = false;
    if (!m) continue;
    if ((m.key === 'return' || m.key === 'returns') && m.value === '') {
      pendingReturn = true;
      continue;
    }
    if (m.raw !== m.raw.toLowerCase() || (m.at && !isAtKapiKey(m, g))) continue;
    const kind = topKeyKind(m.key, g);
    if (kind !== 'known' || NON_INDICATORS.has(m.key)) continue;
    // A key with no value is a spec key only when indented sub-keys follow; otherwise it is
    // likely a prose line that happens to end in a colon ("... deferred creation of LR\n contexts:").
    if (m.value !== '' && !INDICATORS_WITH_SUBKEYS.has(m.key)) return true;
    const next = lines.slice(i + 1).find((x) => x.text !== '');
    if (next && next.indent > 0 && matchKey(next.text)) return true;
  }
  return false;
}

/* ------------------------------------------------------------------------------------------------
 * Generation
 * --------------------------------------------------------------------------------------------- */

const isConstValue = (v: string): boolean => /\bKAPI_[A-Z]/.test(v);
const isShortValue = (v: string): boolean => /^[a-z][a-z0-9_]*(?![A-Za-z0-9_])/.test(v.trim());

/** Typed slots whose values tell KAPI_* constants (gen 1/2) from short tokens (gen 3). */
const TYPED_SUBS = new Set([
  'type',
  'flags',
  'constraint-type',
  'check-type',
  'direction',
  'action',
  'timing',
]);

/**
 * Decide the generation from what the comment uses: flat gen-1 keys vs block sub-keys, and then
 * KAPI_* constants vs short tokens in the typed slots. Deterministic; ties go to the later form
 * among blocks, and a comment without any distinguishing evidence is gen 3.
 */
function detectGeneration(lines: readonly DocLine[], g: DocGrammar): 1 | 2 | 3 {
  let flat = 0;
  let block = 0;
  let short = 0;
  let konst = 0;
  let contexts = false;
  let top: BlockKind | null = null;
  const typed = (v: string): void => {
    if (isConstValue(v)) konst++;
    else if (isShortValue(v)) short++;
  };
  for (const l of lines) {
    if (l.text === '') continue;
    const m = matchKey(l.text);
    if (l.indent === 0) {
      if (!m || (m.raw !== m.raw.toLowerCase() && m.key !== 'return' && m.key !== 'returns')) {
        if (m) top = null;
        continue;
      }
      top = null;
      if ((m.key === 'return' || m.key === 'returns') && m.value === '') {
        top = 'return';
        continue;
      }
      if (m.at && !isAtKapiKey(m, g)) continue;
      const k = m.key;
      if (isFlatKey(k)) {
        flat++;
        const parts = splitPlain(m.value, 2);
        if (k === 'context-flags' || k.endsWith('-type') || k.endsWith('-flags')) typed(parts[1] ?? m.value);
        continue;
      }
      const b = lookup(g.table.top, k);
      if (b !== undefined) top = b;
      if (k === 'param' || k === 'error') block++;
      if (k === 'contexts') {
        contexts = true;
        short++;
      } else if (k === 'context-flags') typed(m.value);
      else if (k === 'param' || k === 'lock' || k === 'capability') {
        const second = splitPlain(m.value, 3)[1];
        if (second !== undefined) typed(second);
      } else if (k === 'side-effect' && !m.value.includes(',')) typed(m.value);
      else if ((k === 'side-effect' || k === 'state-trans') && m.value.includes(',')) flat++;
    } else if (m && top !== null && g.subtreeKeys[top].has(m.subKey)) {
      // a sub-key of the block or of a block nested in it, at any depth
      block++;
      if (TYPED_SUBS.has(m.subKey)) typed(m.value);
    }
  }
  if (flat > block) return 1;
  if (block === 0 && flat === 0) {
    if (short >= konst) return 3;
    return 1;
  }
  if (konst > short && !contexts) return 2;
  return 3;
}

/* ------------------------------------------------------------------------------------------------
 * Structure: comment lines -> items (keys with sub-keys and continuation, kerneldoc parts)
 * --------------------------------------------------------------------------------------------- */

interface Value {
  parts: string[];
  line: number;
}

/**
 * An indented `key: value` line read as a sub-key of the block above it, or as the header of a
 * block nested in it (`field:` under `struct:`), which then holds the deeper lines.
 */
interface SubItem extends Value {
  key: string;
  raw: string;
  indent: number;
  /** The block this sub-key opens (a nested header), or null for a plain sub-key. */
  block: BlockKind | null;
  subs: SubItem[];
  /** Indent of the block's first sub-key: its sub-keys' level. Null until one is read. */
  subIndent: number | null;
}

type Item =
  | ({ kind: 'summary'; name: string } & Value)
  | ({ kind: 'kdparam'; name: string } & Value)
  | ({ kind: 'section'; name: 'context' | 'return' | 'description' } & Value)
  | ({ kind: 'desc' } & Value)
  | ({
      kind: 'key';
      key: string;
      raw: string;
      at: boolean;
      /** The block the key opens, or null for a plain key. */
      block: BlockKind | null;
      subs: SubItem[];
      subIndent: number | null;
    } & Value);

type KeyItem = Extract<Item, { kind: 'key' }>;

const SUMMARY_RE = /^(?:(?:struct|union|enum|typedef)\s+)?([A-Za-z_][A-Za-z0-9_]*)(?:\(\))?\s+-+\s*(.*)$/;

/** Keys whose value is free text that may carry arbitrary continuation lines. */
const TEXT_KEYS = new Set(['long-desc', 'notes', 'examples', 'desc']);

const keyItem = (
  key: string,
  raw: string,
  at: boolean,
  block: BlockKind | null,
  parts: string[],
  line: number,
): KeyItem => ({ kind: 'key', key, raw, at, block, subs: [], subIndent: null, parts, line });

/** The header keys of the blocks that take `key` as a nested header, for messages. */
function parentsOf(key: string, g: DocGrammar): string[] {
  const kinds = (Object.keys(g.table.blocks) as BlockKind[]).filter(
    (k) => lookup(g.table.blocks[k].nests, key) !== undefined,
  );
  const headers = new Set<string>();
  for (const k of kinds) {
    for (const [h, kind] of Object.entries(g.table.top)) if (kind === k) headers.add(h);
    for (const def of Object.values(g.table.blocks))
      for (const [h, kind] of Object.entries(def.nests)) if (kind === k) headers.add(h);
  }
  return [...headers];
}

function misplacedBlock(key: string, raw: string, line: number, g: DocGrammar, issues: Issue[]): void {
  const parents = parentsOf(key, g);
  const where = parents.length > 0 ? parents.map((p) => `'${p}:'`).join(' or ') : 'another block';
  issues.push(
    issue(
      'kapi-doc-misplaced-block',
      'warning',
      `'${raw}:' opens a block that belongs inside ${where}; read as a block of its own here`,
      line,
    ),
  );
}

/**
 * Comment lines -> items. At the top level a key opens an item; in gen 2/3 an indented line is a
 * sub-key of the nearest less-indented open block when that block takes the key at that depth, a
 * nested header opens a block below it (to any depth, as the block table says), and every other
 * indented line continues the value written last.
 */
function structure(
  lines: readonly DocLine[],
  gen: 1 | 2 | 3,
  headless: boolean,
  issues: Issue[],
  g: DocGrammar,
): Item[] {
  const items: Item[] = [];
  let cur: Item | null = null;
  /** The open blocks, outermost first: the current top-level block and the nested ones in it. */
  let open: { node: KeyItem | SubItem; kind: BlockKind; indent: number }[] = [];
  let sawBlank = false;
  let first = !headless;
  /**
   * The value written last, where a continuation line goes: the current item or the deepest last
   * sub-key in it.
   */
  let last: Value | null = null;
  const push = (it: Item, indent = 0): void => {
    items.push(it);
    cur = it;
    last = it;
    open = it.kind === 'key' && it.block !== null ? [{ node: it, kind: it.block, indent }] : [];
  };
  for (const l of lines) {
    if (l.text === '') {
      sawBlank = true;
      continue;
    }
    const blankBefore = sawBlank;
    sawBlank = false;
    const isFirst = first;
    first = false;
    const m = matchKey(l.text);
    const c = cur as Item | null;
    const lower = m !== null && m.raw === m.raw.toLowerCase();

    if (l.indent > 0) {
      // A fragment's leading indented lines belong to a block whose header the hunk cut off.
      if (headless && c === null) continue;
      if (gen !== 1 && m && lower && open.length > 0) {
        // the nearest open block whose header is less indented than this line; the blocks nested
        // at this line's indent or deeper end here
        while (open.length > 1 && (open[open.length - 1]?.indent ?? 0) >= l.indent) open.pop();
        const n = open[open.length - 1] as (typeof open)[number];
        const def = g.table.blocks[n.kind];
        const nest = lookup(def.nests, m.subKey);
        const known = nest !== undefined || lookup(def.subKeys, m.subKey) !== undefined;
        const si = n.node.subIndent;
        const atLevel =
          si === null ? (known ? true : l.indent <= n.indent + 3) : known ? l.indent <= si : l.indent === si;
        if (atLevel) {
          // a key the block does not take, but that opens a block elsewhere: read as that block
          const misplaced = known
            ? undefined
            : (lookup(g.nestedOnly, m.subKey) ?? lookup(g.table.top, m.subKey));
          if (si === null) n.node.subIndent = l.indent;
          else if (l.indent < si)
            issues.push(
              issue(
                'kapi-doc-indent',
                'warning',
                `'${m.raw}:' is indented ${l.indent} columns, less than the ${si} of the lines before it ` +
                  `under '${n.node.raw}:'; read as part of '${n.node.raw}:'`,
                l.line,
              ),
            );
          if (misplaced !== undefined) misplacedBlock(m.subKey, m.raw, l.line, g, issues);
          const sub: SubItem = {
            key: m.subKey,
            raw: m.raw,
            parts: [m.value],
            line: l.line,
            indent: l.indent,
            block: nest ?? misplaced ?? null,
            subs: [],
            subIndent: null,
          };
          n.node.subs.push(sub);
          last = sub;
          if (sub.block !== null) open.push({ node: sub, kind: sub.block, indent: l.indent });
          continue;
        }
      }
      if (gen !== 1 && m && lower && open.length === 0) {
        const nested = lookup(g.nestedOnly, m.subKey);
        if (nested !== undefined) {
          // `field:` with no `struct:` above it: its own sub-keys are still read
          misplacedBlock(m.subKey, m.raw, l.line, g, issues);
          push(keyItem(m.subKey, m.raw, false, nested, [m.value], l.line), l.indent);
          continue;
        }
        if (
          g.anySubKey.has(m.subKey) &&
          (c === null || blankBefore || c.kind !== 'key' || !TEXT_KEYS.has(c.key))
        ) {
          issues.push(
            issue(
              'kapi-doc-orphan-subkey',
              'warning',
              `indented sub-key '${m.raw}:' is not inside a block (param:, error:, lock:, ...)`,
              l.line,
            ),
          );
          continue;
        }
      }
      if (c !== null && last !== null && !((c.kind === 'summary' || c.kind === 'kdparam') && blankBefore)) {
        (last as Value).parts.push(l.text);
        continue;
      }
      push({ kind: 'desc', parts: [l.text], line: l.line });
      continue;
    }

    // top level
    if (isFirst && !m) {
      const s = SUMMARY_RE.exec(l.text);
      if (s) {
        push({ kind: 'summary', name: s[1] ?? '', parts: [s[2] ?? ''], line: l.line });
        continue;
      }
    }
    if (m) {
      if (m.at && !isAtKapiKey(m, g)) {
        push({ kind: 'kdparam', name: m.raw, parts: [m.value], line: l.line });
        continue;
      }
      if (m.key === 'context' && !m.at) {
        push({ kind: 'section', name: 'context', parts: [m.value], line: l.line });
        continue;
      }
      if ((m.key === 'return' || m.key === 'returns') && !m.at) {
        if (m.value === '')
          push(keyItem('return', m.raw, false, lookup(g.table.top, 'return') ?? null, [], l.line));
        else push({ kind: 'section', name: 'return', parts: [m.value], line: l.line });
        continue;
      }
      if (m.key === 'description' && !m.at) {
        push({ kind: 'section', name: 'description', parts: [m.value], line: l.line });
        continue;
      }
      if ((m.key === 'note' || m.key === 'notes' || m.key === 'example' || m.key === 'examples') && !m.at) {
        const key = m.key.startsWith('note') ? 'notes' : 'examples';
        push(keyItem(key, m.raw, false, null, [m.value], l.line));
        continue;
      }
      if ((lower || m.at) && topKeyKind(m.key, g) !== null) {
        push(keyItem(m.key, m.raw, m.at, lookup(g.table.top, m.key) ?? null, [m.value], l.line));
        continue;
      }
      // An unknown lower-case key: kept as a fact, unless it sits inside running prose.
      const inProse =
        c !== null && (c.kind === 'desc' || c.kind === 'summary' || c.kind === 'kdparam') && !blankBefore;
      if (lower && !m.at && !m.raw.includes('.') && !inProse) {
        const nested = gen === 1 ? undefined : lookup(g.nestedOnly, m.subKey);
        // `field:` outside `struct:`: reported, and read as a block so that its sub-keys are kept
        if (nested !== undefined) misplacedBlock(m.subKey, m.raw, l.line, g, issues);
        push(
          keyItem(nested === undefined ? m.key : m.subKey, m.raw, false, nested ?? null, [m.value], l.line),
        );
        continue;
      }
    }
    // prose at top level
    if (c !== null) {
      // After a blank line, prose continues only free-text keys: a token key such as
      // `contexts: process` must not swallow the paragraph that follows it.
      const continues =
        !blankBefore ||
        c.kind === 'section' ||
        c.kind === 'desc' ||
        (c.kind === 'key' && TEXT_KEYS.has(c.key));
      if (continues && last !== null) {
        (last as Value).parts.push(l.text);
        continue;
      }
    }
    push({ kind: 'desc', parts: [l.text], line: l.line });
  }
  return items;
}

/* ------------------------------------------------------------------------------------------------
 * The declaration after the comment
 * --------------------------------------------------------------------------------------------- */

interface Declaration {
  name: string;
  kind: 'syscall' | 'function';
  /** 'SYSCALL_DEFINE2', 'COMPAT_SYSCALL_DEFINE3', or 'declaration'. */
  via: string;
  returnType: string | null;
  params: { name: string; ctype: string }[];
  line: number;
}

const squash = (s: string): string => s.replace(/\s+/g, ' ').trim();

/** Text from `start` up to the parenthesis that closes the first '(' (bounded to a few lines). */
function collectParens(src: readonly string[], from: number, maxLines: number): string | null {
  let text = '';
  let depth = 0;
  let opened = false;
  for (let j = from; j < src.length && j < from + maxLines; j++) {
    const s = src[j] ?? '';
    for (let k = 0; k < s.length; k++) {
      const ch = s[k];
      if (ch === '(') {
        depth++;
        opened = true;
      } else if (ch === ')') {
        depth--;
        if (opened && depth === 0) return text + s.slice(0, k + 1);
      } else if (!opened && (ch === ';' || ch === '{' || ch === '=')) return null;
    }
    text += `${s}\n`;
  }
  return null;
}

const STORAGE_WORDS = new Set([
  'static',
  'inline',
  'extern',
  '__always_inline',
  'noinline',
  'asmlinkage',
  'notrace',
  '__init',
  '__exit',
  '__cold',
  '__weak',
  '__must_check',
  '__maybe_unused',
  'noinstr',
]);

const NOT_FUNCTIONS = new Set([
  'if',
  'for',
  'while',
  'switch',
  'return',
  'sizeof',
  'do',
  'typeof',
  '__attribute__',
]);

function parseArg(arg: string): { name: string; ctype: string } | null {
  const a = squash(arg);
  if (a === '' || a === 'void' || a === '...') return null;
  const fp = /\(\s*\*\s*([A-Za-z_]\w*)\s*\)/.exec(a);
  if (fp?.[1]) return { name: fp[1], ctype: squash(a.replace(fp[0], '(*)')) };
  const m = /([A-Za-z_]\w*)\s*((?:\[[^\]]*\]\s*)*)$/.exec(a);
  if (!m?.[1]) return null;
  const ctype = squash(a.slice(0, m.index) + (m[2] ?? ''));
  return { name: m[1], ctype: ctype === '' ? a : ctype };
}

/** What follows the comment within 10 lines: SYSCALL_DEFINEn(name, ...) or a function. */
function findDeclaration(src: readonly string[], after: number): Declaration | null {
  let inBlockComment = false;
  for (let j = after; j < src.length && j < after + 10; j++) {
    const t = (src[j] ?? '').trim();
    if (inBlockComment) {
      if (t.includes('*/')) inBlockComment = false;
      continue;
    }
    if (t === '' || t.startsWith('#') || t.startsWith('//')) continue;
    if (t.startsWith('/*')) {
      if (!t.includes('*/')) inBlockComment = true;
      continue;
    }
    const sc = /\b((?:COMPAT_)?SYSCALL_DEFINE(\d))\s*\(/.exec(t);
    if (sc) {
      const text = collectParens(src, j, 30);
      if (text === null) return null;
      const open = text.indexOf(sc[0]) + sc[0].length;
      const args = splitTop(text.slice(open, text.lastIndexOf(')'))).map(squash);
      const base = args[0] ?? '';
      if (!/^[A-Za-z_]\w*$/.test(base)) return null;
      const params: { name: string; ctype: string }[] = [];
      for (let k = 1; k + 1 < args.length; k += 2)
        params.push({ ctype: args[k] ?? '', name: args[k + 1] ?? '' });
      const compat = sc[1]?.startsWith('COMPAT_') ?? false;
      return {
        name: `${compat ? 'compat_sys_' : 'sys_'}${base}`,
        kind: 'syscall',
        via: sc[1] ?? 'SYSCALL_DEFINE',
        returnType: 'long',
        params,
        line: j + 1,
      };
    }
    const text = collectParens(src, j, 6);
    if (text === null) return null;
    const open = text.indexOf('(');
    const head = text.slice(0, open);
    const nm = /([A-Za-z_]\w*)\s*$/.exec(head);
    if (!nm?.[1] || NOT_FUNCTIONS.has(nm[1])) return null;
    const words = squash(head.slice(0, nm.index))
      .split(' ')
      .filter((w) => w !== '' && !STORAGE_WORDS.has(w));
    const ret = squash(words.join(' '));
    if (ret === '') return null;
    const args = splitTop(text.slice(open + 1, text.lastIndexOf(')')));
    const params = args.map(parseArg).filter((p): p is { name: string; ctype: string } => p !== null);
    return { name: nm[1], kind: 'function', via: 'declaration', returnType: ret, params, line: j + 1 };
  }
  return null;
}

/* ------------------------------------------------------------------------------------------------
 * Building the ApiSpec
 * --------------------------------------------------------------------------------------------- */

interface Header {
  value: string;
  line: number;
  via: string;
}

/** A part of a header or key's value, written where the whole was. */
const part = (h: Header, value: string): Header => ({ ...h, value });

class Builder {
  readonly spec: ApiSpec;
  readonly kd: KerneldocParts = {
    summary: null,
    params: [],
    description: null,
    context: null,
    returns: null,
  };
  private summaryLine = 0;
  private kdReturnLine = 0;
  private explicitDescription = false;
  private lastOf: Partial<Record<BlockKind, object>> = {};
  private readonly blockName = new Map<object, string>();
  private readonly kinds = new Map<object, BlockKind | 'spec'>();
  private readonly paramsByName = new Map<string, SpecParam>();
  private readonly constraintsByName = new Map<string, SpecConstraint>();
  private readonly constraintHeaderDesc = new Map<SpecConstraint, string>();
  private validations = -1;
  private readonly pendingExprs: { name: string; value: string; line: number; via: string }[] = [];
  private currentStruct: SpecStruct | null = null;
  /** Structs named by a `struct-type:` before (or without) a `struct:` block of their own. */
  private readonly referencedStructs = new Set<SpecStruct>();
  private readonly fieldsByName = new Map<SpecStruct, Map<string, SpecStructField>>();
  /** Fields whose constraint type was written (`constraint-type:`), not implied by `range:` & co. */
  private readonly explicitConstraint = new Set<SpecStructField>();

  constructor(
    readonly gen: 1 | 2 | 3,
    form: SpecForm,
    path: string,
    line: number,
    private readonly issues: Issue[],
    private readonly g: DocGrammar,
  ) {
    this.spec = emptySpec('', 'function', form, path, line);
    this.spec.kerneldoc = this.kd;
    this.kinds.set(this.spec, 'spec');
    this.blockName.set(this.spec, 'spec');
  }

  /* bookkeeping */

  assign(block: string, field: string, value: string, line: number, via: string): void {
    this.spec.assignments.push({ block, field, value, line, via });
  }

  unknownKey(text: string, line: number): void {
    this.spec.unknown.push({ text, line, where: 'key' });
  }

  unknownToken(text: string, line: number): void {
    this.spec.unknown.push({ text, line, where: 'token' });
  }

  orphan(what: string, line: number): void {
    this.issues.push(issue('kapi-doc-orphan-subkey', 'warning', what, line));
  }

  /** One enum-like token: canonical lower-case token, or as written (and reported) when unknown. */
  norm(tok: string, v: Vocab, line: number): string {
    const t = tok
      .trim()
      .replace(/^\((.*)\)$/, '$1')
      .trim();
    if (t === '') return '';
    for (const p of v.prefixes)
      if (t.startsWith(p)) {
        const rest = t.slice(p.length).toLowerCase();
        if (v.known.has(rest)) return rest;
        const alias = lookup(v.aliases, t.toLowerCase());
        if (alias !== undefined) return alias;
        this.unknownToken(t, line);
        return t;
      }
    const lower = t.toLowerCase();
    const alias = lookup(v.aliases, lower);
    if (alias !== undefined) return alias;
    if (v.known.has(lower)) return lower;
    this.unknownToken(t, line);
    return t;
  }

  /** A `|`- or `,`-joined list of tokens. */
  normList(expr: string, v: Vocab, line: number): string[] {
    const out: string[] = [];
    for (const raw of expr.split(/[|,]/)) {
      const t = raw.trim().replace(/^\(+/, '').replace(/\)+$/, '').trim();
      if (t === '' || t === '0') continue;
      // R5+ helper constants for flag combinations
      if (t === 'KAPI_PARAM_FLAGS_INOUT') out.push('inout');
      else if (t === 'KAPI_PARAM_FLAGS_USER') out.push('user', 'in');
      else out.push(this.norm(t, v, line));
    }
    return [...new Set(out)];
  }

  normBool(value: string, line: number): boolean | null {
    const v = value.trim().toLowerCase();
    if (v === 'yes' || v === 'true' || v === '1') return true;
    if (v === 'no' || v === 'false' || v === '0') return false;
    if (v !== '') this.unknownToken(value.trim(), line);
    return null;
  }

  /** acquired/released: 'true' | 'false' | 'conditional', others kept as written. */
  normFlagWord(value: string, line: number): string | null {
    const v = value.trim().toLowerCase();
    if (v === '') return null;
    if (v === 'yes' || v === 'true' || v === '1') return 'true';
    if (v === 'no' || v === 'false' || v === '0') return 'false';
    if (v === 'conditional') return 'conditional';
    this.unknownToken(value.trim(), line);
    return value.trim();
  }

  /* entries */

  private kindOf(entry: object): BlockKind | 'spec' | null {
    return this.kinds.get(entry) ?? null;
  }

  private register<T extends object>(kind: BlockKind, entry: T, name: string): T {
    this.blockName.set(entry, name);
    this.kinds.set(entry, kind);
    this.lastOf[kind] = entry;
    return entry;
  }

  nameOf(entry: object): string {
    return this.blockName.get(entry) ?? '?';
  }

  newParam(name: string, line: number): SpecParam {
    const p = emptyParam(this.spec.params.length, name, line);
    this.spec.params.push(p);
    if (!this.paramsByName.has(name)) this.paramsByName.set(name, p);
    return this.register('param', p, `param[${p.index}]`);
  }

  paramByName(name: string, line: number): SpecParam {
    return this.paramsByName.get(name) ?? this.newParam(name, line);
  }

  ensureReturn(line: number): SpecReturn {
    if (this.spec.returns === null) {
      this.spec.returns = emptyReturn(line);
      this.register('return', this.spec.returns, 'return');
    }
    return this.spec.returns;
  }

  newError(code: Header): SpecError {
    const e = emptyError(this.spec.errors.length, '', '', code.line);
    this.spec.errors.push(e);
    this.register('error', e, `error[${e.index}]`);
    this.set(e, 'error_code', code);
    return e;
  }

  newLock(name: string, line: number): SpecLock {
    const l = emptyLock(this.spec.locks.length, name, line);
    this.spec.locks.push(l);
    return this.register('lock', l, `lock[${l.index}]`);
  }

  newSignal(name: string, line: number): SpecSignal {
    const s = emptySignal(this.spec.signals.length, name, line);
    this.spec.signals.push(s);
    return this.register('signal', s, `signal[${s.index}]`);
  }

  newSideEffect(line: number): SpecSideEffect {
    // As in the macro form (a zero-initialised `bool reversible`) and as kdoc_apispec.py and the
    // tools/kapi kerneldoc parser read it: an effect is reversible only when it says so.
    const x = emptySideEffect(this.spec.sideEffects.length, line);
    this.spec.sideEffects.push(x);
    return this.register('side_effect', x, `side_effect[${x.index}]`);
  }

  newStateTrans(line: number): SpecStateTrans {
    const t = emptyStateTrans(this.spec.stateTransitions.length, line);
    this.spec.stateTransitions.push(t);
    return this.register('state_trans', t, `state_trans[${t.index}]`);
  }

  newCapability(cap: string, line: number): SpecCapability {
    const c = emptyCapability(this.spec.capabilities.length, cap, line);
    this.spec.capabilities.push(c);
    return this.register('capability', c, `capability[${c.index}]`);
  }

  newConstraint(name: string, line: number): SpecConstraint {
    const c = emptyConstraint(this.spec.constraints.length, name, line);
    this.spec.constraints.push(c);
    if (!this.constraintsByName.has(name)) this.constraintsByName.set(name, c);
    return this.register('constraint', c, `constraint[${c.index}]`);
  }

  private newStruct(name: string, line: number): SpecStruct {
    const s = emptyStruct(this.spec.structs.length, name, line);
    this.spec.structs.push(s);
    this.register('struct', s, `struct[${s.index}]`);
    this.currentStruct = s;
    return s;
  }

  /** The struct a `struct-type:` names (gen 1, or a param's sub-key): found by name, or new. */
  structNamed(name: string, line: number): SpecStruct {
    const found = this.spec.structs.find((s) => s.name === name);
    if (found) {
      this.currentStruct = found;
      return found;
    }
    const s = this.newStruct(name, line);
    this.referencedStructs.add(s);
    return s;
  }

  /**
   * A `struct: NAME` block: a new struct, or the one a `struct-type:` named before it (the block
   * is its definition, and its line).
   */
  openStruct(name: string, line: number): SpecStruct {
    const found = this.spec.structs.find((s) => s.name === name && this.referencedStructs.has(s));
    if (found) {
      this.referencedStructs.delete(found);
      found.line = line;
      this.currentStruct = found;
      return found;
    }
    return this.newStruct(name, line);
  }

  /** A field of `parent` (a `field:` nested in `struct:`), or of the struct named last. */
  newStructField(name: string, line: number, parent: SpecStruct | null = null): SpecStructField {
    const st = parent ?? this.currentStruct ?? this.structNamed('', line);
    const f = emptyStructField(st.fields.length, name, line);
    st.fields.push(f);
    let byName = this.fieldsByName.get(st);
    if (byName === undefined) {
      byName = new Map();
      this.fieldsByName.set(st, byName);
    }
    if (!byName.has(name)) byName.set(name, f);
    return this.register('struct_field', f, `struct[${st.index ?? 0}].field[${f.index}]`);
  }

  /* header lines */

  /** A block's header line; `parent` is the entry of the block it is nested in, if any. */
  header(kind: BlockKind, key: string, h: Header, parent: object | null = null): object | null {
    const v = h.value;
    const ln = h.line;
    /** The header's first part, the entry's name: reported when empty. */
    const named = (n: number): string[] => {
      const parts = splitPlain(v, n).map((s) => s.trim());
      if (parts[0] === '') this.emptyHeader(key, ln);
      return parts;
    };
    switch (kind) {
      case 'param': {
        const [name = '', type] = named(2);
        const p = this.newParam(name, ln);
        this.set(p, 'name', part(h, name));
        if (type) this.sub(p, 'type', part(h, type));
        return p;
      }
      case 'return':
        return this.ensureReturn(ln);
      case 'error': {
        // `NAME, summary` (gen 2/3), or `-ECODE, NAME, summary` (the order of gen 1's error-code
        // line), accepted as well; kdoc_apispec.py reads only the first form
        const [a = '', rest] = named(2);
        const e = this.newError(part(h, a));
        const [b = '', c] = splitPlain(rest ?? '', 2).map((x) => x.trim());
        if (rest !== undefined && ERRNO_RE.test(b)) {
          this.set(e, 'name', part(h, b));
          if (c !== undefined) this.set(e, 'condition', part(h, c));
        } else if (rest !== undefined) this.set(e, 'condition', part(h, rest));
        return e;
      }
      case 'lock': {
        const [name = '', type] = named(2);
        const l = this.newLock(name, ln);
        this.set(l, 'lock_name', part(h, name));
        if (type) this.sub(l, 'type', part(h, type));
        return l;
      }
      case 'signal': {
        if (v === '') this.emptyHeader(key, ln);
        const s = this.newSignal(v, ln);
        this.set(s, 'signal_name', h);
        return s;
      }
      case 'side_effect':
        return this.sideEffectHeader(h);
      case 'state_trans':
        return this.stateTransHeader(h);
      case 'capability': {
        const [cap = '', action, name] = named(3);
        const c = this.newCapability(cap, ln);
        this.set(c, 'capability', part(h, cap));
        if (action) this.sub(c, 'type', part(h, action));
        if (name) this.set(c, 'cap_name', part(h, name));
        return c;
      }
      case 'constraint': {
        const [name = '', desc] = named(2);
        const c = this.newConstraint(name, ln);
        this.set(c, 'name', part(h, name));
        if (desc) {
          this.constraintHeaderDesc.set(c, desc);
          this.set(c, 'description', part(h, desc));
        }
        return c;
      }
      case 'struct_field': {
        // `struct-field: NAME, CTYPE, desc` (PATCH v4) or `field: NAME[, CTYPE[, desc]]` (in `struct:`)
        const [name = '', ctype, desc] = named(3);
        const st = parent !== null && this.kindOf(parent) === 'struct' ? (parent as SpecStruct) : null;
        const f = this.newStructField(name, ln, st);
        this.set(f, 'name', part(h, name));
        if (ctype) this.set(f, 'type_name', part(h, ctype));
        if (desc) this.set(f, 'description', part(h, desc));
        return f;
      }
      case 'struct': {
        // `struct: NAME[, desc]`, at the top level, in a `param:` (the struct it points to) or in a
        // `field:` (the field's own struct type)
        const [name = '', desc] = named(2);
        const st = this.openStruct(name, ln);
        this.set(st, 'name', part(h, name));
        if (desc) this.set(st, 'description', part(h, desc));
        const parentKind = parent === null ? null : this.kindOf(parent);
        if (parent !== null && (parentKind === 'param' || parentKind === 'struct_field'))
          this.set(parent, 'struct_type', part(h, name));
        return st;
      }
    }
  }

  /** The sub-keys and nested blocks of a block, in order, to any depth (no recursion). */
  children(entry: object, subs: readonly SubItem[]): void {
    const stack: { entry: object; subs: readonly SubItem[]; i: number }[] = [{ entry, subs, i: 0 }];
    for (let top = stack[0]; top !== undefined; top = stack[stack.length - 1]) {
      const s = top.subs[top.i++];
      if (s === undefined) {
        stack.pop();
        // after a nested struct, later `struct-field:` keys belong to the struct they follow
        if (this.kindOf(top.entry) === 'struct') this.currentStruct = top.entry as SpecStruct;
        continue;
      }
      if (s.block === null) {
        this.sub(top.entry, s.key, this.subHeader(s));
        continue;
      }
      const child = this.header(s.block, s.key, this.subHeader(s), top.entry);
      if (child !== null) stack.push({ entry: child, subs: s.subs, i: 0 });
    }
  }

  private emptyHeader(key: string, line: number): void {
    this.issues.push(issue('kapi-doc-empty-header', 'warning', `'${key}:' has no name`, line));
  }

  /** `side-effect: TYPES` (block) or `side-effect: TYPES, target, desc[, condition=..][, reversible=yes]`. */
  private sideEffectHeader(h: Header): SpecSideEffect {
    const x = this.newSideEffect(h.line);
    const parts = splitPlain(h.value);
    const allTypes = parts.every((p) => {
      const t = p.trim();
      return /^KAPI_EFFECT_[A-Z_]+$/.test(t) || EFFECTS.known.has(t.toLowerCase());
    });
    if (parts.length === 1 || allTypes) {
      this.set(x, 'type', h);
      return x;
    }
    // one-liner: peel the key=value tails from the end
    const tails: { k: string; v: string }[] = [];
    while (parts.length > 1) {
      const last = (parts[parts.length - 1] ?? '').trim();
      const kv = /^(condition|reversible)\s*=\s*(.*)$/i.exec(last);
      if (!kv) break;
      parts.pop();
      tails.unshift({ k: (kv[1] ?? '').toLowerCase(), v: (kv[2] ?? '').trim() });
    }
    const [types = '', target, ...rest] = parts;
    this.set(x, 'type', part(h, types.trim()));
    if (target !== undefined) this.set(x, 'target', part(h, target.trim()));
    if (rest.length > 0) this.set(x, 'description', part(h, rest.join(',').trim()));
    for (const t of tails) this.set(x, t.k, part(h, t.v));
    // Without `reversible=yes` the effect is not reversible (the default of every form).
    x.reversible = x.reversible === true;
    return x;
  }

  /** `state-trans: object` (block) or `state-trans: object, from, to, desc` (one-liner). */
  private stateTransHeader(h: Header): SpecStateTrans {
    const t = this.newStateTrans(h.line);
    const [object = '', from, to, desc] = splitPlain(h.value, 4).map((s) => s.trim());
    this.set(t, 'object', part(h, object));
    if (from !== undefined) this.set(t, 'from_state', part(h, from));
    if (to !== undefined) this.set(t, 'to_state', part(h, to));
    if (desc === undefined) return t;
    // RFC v3 keeps the whole tail as the description; PATCH v4 reads "condition, desc".
    const split = this.gen === 1 ? [desc] : splitPlain(desc, 2).map((s) => s.trim());
    if (split.length === 2) this.set(t, 'condition', part(h, split[0] ?? ''));
    this.set(t, 'description', part(h, split.length === 2 ? (split[1] ?? '') : desc));
    return t;
  }

  /* fields */

  /**
   * Sets `field` of `entry` as the field table says (fields.ts), reading the value as kerneldoc
   * text, and records the assignment (as `recordAs`). A `pair` (`range: lo, hi`) sets its two
   * fields.
   */
  set(entry: object, field: string, h: Header, recordAs = field): void {
    const kind = this.kindOf(entry);
    const def = kind === null ? undefined : fieldDef(kind, field, KERNELDOC_AS_WRITTEN);
    if (def?.pair) {
      const [lo = '', hi = ''] = splitTop(h.value, 2).map((s) => s.trim());
      this.set(entry, def.pair[0], part(h, lo));
      this.set(entry, def.pair[1], part(h, hi));
      return;
    }
    if (def !== undefined) setField(entry, def, h, this.reader);
    this.assign(this.nameOf(entry), recordAs, h.value, h.line, h.via);
  }

  /** Kerneldoc's reading of a value of each kind: text, short tokens or KAPI_* constants. */
  private readonly reader: FieldReader<Header> = {
    shown: (h) => h.value,
    text: (h) => orNull(h.value),
    expr: (h) => h.value,
    enum: (h, cat) => orNull(this.norm(h.value, VOCAB[cat], h.line)),
    enums: (h, cat) => orNull(this.normList(h.value, VOCAB[cat], h.line).join(' | ')),
    list: (h, cat) => this.normList(h.value, VOCAB[cat], h.line),
    bool: (h) => this.normBool(h.value, h.line),
    switch: (h) => this.normBool(h.value, h.line),
    flag: (h) => this.normFlagWord(h.value, h.line),
    values: (h) => splitEnumValues(h.value),
    errno: (h) => ({ code: canonErrno(h.value), codeText: h.value.trim() }),
    count: (h) => {
      if (/^\d+$/.test(h.value)) return Number(h.value);
      this.unknownToken(h.value, h.line);
      return null;
    },
  };

  /* sub-keys (gen 2/3 indented, or gen 1 flat keys routed to the preceding entry) */

  sub(entry: object, key: string, h: Header): void {
    const kind = this.kindOf(entry);
    if (kind === null || kind === 'spec') return;
    const field = lookup(this.g.table.blocks[kind].subKeys, key);
    if (field === undefined) {
      this.unknownKey(h.via.replace(/:$/, ''), h.line);
      this.assign(this.nameOf(entry), key.replaceAll('-', '_'), h.value, h.line, h.via);
    } else if (kind === 'param' || kind === 'struct_field') this.typedSub(entry as SpecParam, field, h);
    else if (kind === 'constraint' && field === 'description') {
      // kdoc_apispec.py: the header's ", desc" and the desc: sub-key are joined.
      const c = entry as SpecConstraint;
      c.description = orNull(joinText([this.constraintHeaderDesc.get(c) ?? '', h.value]));
      this.assign(this.nameOf(c), field, h.value, h.line, h.via);
    } else this.set(entry, field, h);
  }

  /**
   * A sub-key of a param or a struct field (`field:` / `struct-field:` blocks, gen-1
   * `struct-field-*:` keys). A field's `range:`, `mask:` and `enum:` imply its constraint type
   * when it writes none, as the only macros that set those values
   * (KAPI_FIELD_CONSTRAINT_RANGE/MASK/ENUM) set it too.
   */
  private typedSub(p: SpecParam | SpecStructField, field: string, h: Header): void {
    const f = 'enumValues' in p ? p : null;
    switch (field) {
      case 'type': {
        // `type: uint, input, user`: the type, then flag tokens OR'd into the flags; a field's
        // C type (`type: __u32`) is its C type
        const [ty = '', ...flags] = splitPlain(h.value).map((s) => s.trim());
        const lower = ty.toLowerCase();
        const kapi =
          ty.startsWith('KAPI_TYPE_') || TYPES.known.has(lower) || lookup(TYPES.aliases, lower) !== undefined;
        if (f && !kapi) {
          this.set(p, 'type_name', h);
          return;
        }
        this.set(p, 'type', part(h, ty));
        const extra = flags.flatMap((x) => this.normList(x, FLAGS, h.line));
        if (!f && this.gen === 3 && (p.type === 'user_ptr' || p.type === 'path') && !extra.includes('user'))
          extra.push('user');
        if (extra.length === 0) return;
        if ('flags' in p) p.flags = [...new Set([...p.flags, ...extra])];
        this.assign(this.nameOf(p), 'flags', extra.join(' | '), h.line, h.via);
        return;
      }
      case 'constraint_type':
        if (f) this.explicitConstraint.add(f);
        this.constraintType(p, h);
        return;
      case 'arch_mask': {
        // `arch-mask: <arch> = <bits>`: the generator wraps the bits in #ifdef CONFIG_<ARCH>.
        const eq = h.value.indexOf('=');
        const arch = (eq >= 0 ? h.value.slice(0, eq) : h.value).trim();
        if (eq < 0 || !ARCHES.has(arch.toLowerCase()))
          this.unknownToken(arch === '' ? h.value : arch, h.line);
        break;
      }
      case 'struct_type':
        this.structNamed(h.value, h.line);
        break;
    }
    this.set(p, field, h);
    const implied = lookup(IMPLIED_CONSTRAINT, field);
    if (f && implied !== undefined && !this.explicitConstraint.has(f)) f.constraintType = implied;
  }

  /**
   * `constraint-type: KAPI_CONSTRAINT_RANGE` or `range(lo, hi)` / `mask(x)` / `alignment(N)` / ...,
   * of a param or a struct field: the constraint type and, in parentheses, its values.
   */
  private constraintType(p: SpecParam | SpecStructField, h: Header): void {
    const v = h.value.trim();
    const call = /^([A-Za-z_][A-Za-z0-9_]*)\s*\(([\s\S]*)\)$/.exec(v);
    if (!call && !(/\s/.test(v) && !v.startsWith('KAPI_'))) {
      this.set(p, 'constraint_type', part(h, v));
      return;
    }
    this.assign(this.nameOf(p), 'constraint_type', v, h.line, h.via);
    const fn = (call?.[1] ?? '').toLowerCase();
    const ct = call ? (CONSTRAINTS.known.has(fn) ? fn : lookup(CONSTRAINTS.aliases, fn)) : undefined;
    if (ct === undefined) {
      this.unknownToken(call?.[1] ?? v, h.line);
      p.constraintType = v;
      return;
    }
    p.constraintType = ct;
    const args = (call?.[2] ?? '').trim();
    const field = lookup(CONSTRAINT_ARGS, ct);
    if (args !== '' && field !== undefined) this.set(p, field, part(h, args));
  }

  /* top-level keys */

  key(it: KeyItem): void {
    const value = joinText(it.parts);
    const via = `${it.at ? '@' : ''}${it.raw}:`;
    const h: Header = { value, line: it.line, via };
    const k = it.key;
    if (it.block !== null) {
      const entry = this.header(it.block, k, h);
      if (entry !== null) this.children(entry, it.subs);
      return;
    }
    if (it.subs.length > 0) for (const s of it.subs) this.orphan(`'${s.raw}:' is not inside a block`, s.line);
    const count = lookup(COUNT_KEYS, k);
    if (count !== undefined) {
      this.set(this.spec, count, h, k.replaceAll('-', '_'));
      return;
    }
    const field = lookup(SPEC_KEYS, k);
    if (field !== undefined) {
      this.set(this.spec, field, h);
      if (field === 'description') this.explicitDescription = true;
      return;
    }
    switch (k) {
      case 'error-code':
        this.errorCode(h);
        return;
      case 'struct-type': {
        const [param = '', sname = ''] = splitPlain(value, 2).map((s) => s.trim());
        this.set(this.structNamed(sname, it.line), 'name', part(h, sname));
        if (param !== '') this.set(this.paramByName(param, it.line), 'struct_type', part(h, sname));
        return;
      }
      case 'validation-group':
        this.validations++;
        this.assign(`validation[${this.validations}]`, 'group', value, it.line, via);
        return;
      case 'validation-policy':
      case 'validation-flag':
      case 'validation-rule':
        if (this.validations < 0) this.validations = 0;
        this.assign(`validation[${this.validations}]`, k.slice('validation-'.length), value, it.line, via);
        return;
    }
    if (k.startsWith('struct-field-')) {
      const [fname = '', rest = ''] = splitPlain(value, 2).map((s) => s.trim());
      const st = this.currentStruct;
      const entry = st ? this.fieldsByName.get(st)?.get(fname) : undefined;
      if (entry === undefined) {
        this.orphan(`'${it.raw}:' names no struct-field '${fname}'`, it.line);
        return;
      }
      this.sub(entry, k.slice('struct-field-'.length), { value: rest, line: it.line, via });
      return;
    }
    for (const fam of FLAT_FAMILIES) {
      if (!k.startsWith(fam.prefix)) continue;
      const subKey = lookup(fam.subs, k.slice(fam.prefix.length));
      if (subKey === undefined) continue;
      this.flat(fam.block, fam.byName, subKey, it, h);
      return;
    }
    // unknown (or kapi-* catch-all): kept, not dropped
    this.unknownKey(`${it.at ? '@' : ''}${it.raw}`, it.line);
    this.assign('spec', k.replaceAll('-', '_'), value, it.line, via);
  }

  private subHeader(s: SubItem): Header {
    return { value: joinText(s.parts), line: s.line, via: `${s.raw}:` };
  }

  /** A gen-1 flat key `<family>-<sub>:` applied to the named or the preceding entry. */
  private flat(block: BlockKind, byName: boolean, subKey: string, it: KeyItem, h: Header): void {
    if (block === 'return') {
      this.sub(this.ensureReturn(it.line), subKey, h);
      return;
    }
    if (byName) {
      const [name = '', rest = ''] = splitPlain(h.value, 2).map((s) => s.trim());
      if (block === 'param') {
        if (name === '') {
          this.orphan(`'${it.raw}:' names no parameter`, it.line);
          return;
        }
        this.sub(this.paramByName(name, it.line), subKey, part(h, rest));
        return;
      }
      // constraint-expr: NAME, expr (the constraint may be declared later)
      const c = this.constraintsByName.get(name);
      if (c) this.sub(c, subKey, part(h, rest));
      else this.pendingExprs.push({ name, value: rest, line: it.line, via: h.via });
      return;
    }
    const entry = this.lastOf[block];
    if (entry === undefined) {
      this.orphan(`'${it.raw}:' follows no ${block.replace('_', '-')} entry`, it.line);
      return;
    }
    this.sub(entry, subKey, h);
  }

  /** Gen 1: `error-code: -ENOMEM, ENOMEM, condition, description...`. */
  private errorCode(h: Header): void {
    const [code = '', name, cond, desc] = splitPlain(h.value, 4).map((s) => s.trim());
    if (code === '') this.emptyHeader('error-code', h.line);
    const e = this.newError(part(h, code));
    if (name !== undefined) this.set(e, 'name', part(h, name));
    if (cond !== undefined) this.set(e, 'condition', part(h, cond));
    if (desc !== undefined) this.set(e, 'description', part(h, desc));
  }

  /* kerneldoc parts */

  kerneldocItem(it: Item): void {
    const text = joinText(it.parts);
    switch (it.kind) {
      case 'summary':
        this.kd.summary = orNull(text);
        this.summaryLine = it.line;
        if (this.spec.name === '') this.spec.name = it.name;
        return;
      case 'kdparam':
        this.kd.params.push({ name: it.name, description: text, line: it.line });
        return;
      case 'desc':
        this.kd.description = joinText([this.kd.description ?? '', text]) || null;
        return;
      case 'section':
        if (it.name === 'context') this.kd.context = orNull(text);
        else if (it.name === 'return') {
          this.kd.returns = orNull(text);
          this.kdReturnLine = it.line;
        } else this.kd.description = joinText([this.kd.description ?? '', text]) || null;
        return;
      case 'key':
        return;
    }
  }

  /** A `return:` with no sub-keys is the kerneldoc Return section written in lower case. */
  returnBlockText(it: KeyItem): void {
    const text = joinText(it.parts);
    if (text !== '') {
      this.kd.returns = text;
      this.kdReturnLine = it.line;
    }
  }

  finish(decl: Declaration | null, endLine: number): void {
    for (const x of this.pendingExprs) {
      const c = this.constraintsByName.get(x.name);
      if (c) this.sub(c, 'expr', { value: x.value, line: x.line, via: x.via });
      else this.orphan(`'${x.via}' names no constraint '${x.name}'`, x.line);
    }
    if (!this.explicitDescription && this.kd.summary !== null) {
      this.spec.description = this.kd.summary;
      this.assign('spec', 'description', this.kd.summary, this.summaryLine, 'summary');
    }
    const kdParams = new Map<string, KerneldocParts['params'][number]>();
    for (const x of this.kd.params) if (!kdParams.has(x.name)) kdParams.set(x.name, x);
    for (const p of this.spec.params) {
      if (p.description !== null) continue;
      const kp = kdParams.get(p.name);
      if (kp && kp.description !== '') {
        p.description = kp.description;
        this.assign(this.nameOf(p), 'description', kp.description, kp.line, `@${kp.name}:`);
      }
    }
    const r = this.spec.returns;
    if (r !== null && r.description === null && this.kd.returns !== null) {
      r.description = this.kd.returns;
      this.assign('return', 'description', this.kd.returns, this.kdReturnLine, 'Return:');
    }
    if (decl) {
      this.spec.name = decl.name;
      this.spec.kind = decl.kind;
      const declParams = new Map(decl.params.map((x) => [x.name, x] as const));
      for (const p of this.spec.params) {
        const dp = declParams.get(p.name);
        if (dp && p.ctype === null) {
          p.ctype = dp.ctype;
          this.assign(this.nameOf(p), 'type_name', dp.ctype, decl.line, decl.via);
        }
      }
      if (r !== null && r.ctype === null && decl.returnType !== null) {
        r.ctype = decl.returnType;
        this.assign('return', 'type_name', decl.returnType, decl.line, decl.via);
      }
    } else if (this.spec.name !== '') {
      this.spec.kind = /^(compat_)?sys_/.test(this.spec.name) ? 'syscall' : 'function';
    }
    this.spec.endLine = endLine;
    this.spec.assignments.sort((a, b) => a.line - b.line);
  }
}

/* ------------------------------------------------------------------------------------------------
 * Entry point
 * --------------------------------------------------------------------------------------------- */

function buildSpec(
  c: DocComment,
  src: readonly string[],
  path: string,
  issues: Issue[],
  g: DocGrammar,
): ApiSpec {
  const gen = detectGeneration(c.lines, g);
  const form: SpecForm = gen === 1 ? 'kerneldoc-1' : gen === 2 ? 'kerneldoc-2' : 'kerneldoc-3';
  const b = new Builder(gen, form, path, c.startLine, issues, g);
  const items = structure(c.lines, gen, c.headless, issues, g);
  for (const it of items) {
    if (it.kind !== 'key') {
      b.kerneldocItem(it);
      continue;
    }
    if (it.key === 'return' && it.subs.length === 0) {
      b.returnBlockText(it);
      continue;
    }
    if (it.key === 'return') b.ensureReturn(it.line);
    b.key(it);
  }
  const decl = c.terminated ? findDeclaration(src, c.after) : null;
  b.finish(decl, c.endLine);
  // A fragment cut off by a hunk is expected in a patch: partial, but nothing to report.
  if (c.headless) b.spec.partial = true;
  else if (!c.terminated) {
    b.spec.partial = true;
    issues.push(
      issue('kapi-doc-unterminated', 'warning', 'KAPI kerneldoc comment is not closed with */', c.startLine),
    );
  }
  if (b.spec.name === '' && !b.spec.partial)
    issues.push(
      issue(
        'kapi-doc-no-name',
        'warning',
        'KAPI kerneldoc comment names no API: no summary line and no declaration follows',
        c.startLine,
      ),
    );
  return b.spec;
}

export interface KerneldocOptions {
  /** The block grammar (which keys open blocks, their sub-keys, what nests in what). */
  blocks?: DocBlockTable;
}

/**
 * Every KAPI spec written as a kerneldoc comment in `text` (a C file, or the post-image of a
 * hunk), in order. `path` is copied into each spec.
 */
export function parseKerneldocSpecs(
  text: string,
  path = '',
  options: KerneldocOptions = {},
): Parsed<ApiSpec[]> {
  const issues: Issue[] = [];
  const specs: ApiSpec[] = [];
  try {
    const g = docGrammar(options.blocks ?? KERNELDOC_BLOCKS);
    // the text's lines are only needed for the declaration below a spec comment
    let src: string[] | null = null;
    for (const c of scanDocComments(text)) {
      if (!isSpecComment(c.lines, g)) continue;
      src ??= text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
      specs.push(buildSpec(c, src, path, issues, g));
    }
  } catch (err) {
    // Defensive: a bug here must not take the bot down; report it next to what was parsed.
    issues.push(issue('kapi-doc-internal', 'error', `kerneldoc parser failed: ${String(err)}`));
  }
  return { value: specs, issues };
}

/**
 * The kerneldoc DSL's vocabulary (all three generations), for checks that suggest a known key or
 * token in place of an unknown one: top-level keys, indented sub-keys, and the short tokens of the
 * enum-like values (lower case, with their aliases such as `input`).
 */
export const KERNELDOC_VOCABULARY: {
  readonly topKeys: ReadonlySet<string>;
  readonly subKeys: ReadonlySet<string>;
  readonly tokens: ReadonlySet<string>;
} = {
  topKeys: new Set([
    ...Object.keys(KERNELDOC_BLOCKS.top),
    ...PLAIN_KEYS,
    ...Object.keys(COUNT_KEYS),
    ...FLAT_FAMILIES.flatMap((f) => Object.keys(f.subs).map((s) => f.prefix + s)),
  ]),
  subKeys: docGrammar(KERNELDOC_BLOCKS).anySubKey,
  tokens: new Set([
    ...(
      [
        'type',
        'param_flags',
        'context',
        'constraint',
        'lock_type',
        'return_check',
        'effect',
        'cap_action',
        'signal_dir',
        'signal_action',
        'signal_timing',
      ] as const
    )
      .flatMap((c) => [...VOCAB[c].known, ...Object.keys(VOCAB[c].aliases)])
      .filter((t) => !t.startsWith('kapi_')),
    ...ARCHES,
    'yes',
    'no',
    'true',
    'false',
    'conditional',
  ]),
};
