/**
 * kapi-unknown-token: a key, macro or token the KAPI DSL does not define (spec.unknown): a typo
 * such as `contexs:`, `type: unit` or KAPI_PARAM_FLAG. The generator passes unknown tokens through
 * to the compiler ("pass through unchanged" in kdoc_apispec.py; the Rust extractor maps unknown
 * flags to 0) and drops unknown keys, so the fact silently goes missing. The nearest known key or
 * token is suggested when it is close (edit distance) and the only one that close.
 *
 * Judged by the framework the series is written for (ctx.framework): a word that framework defines
 * is no typo, whatever older or newer postings say (a series that brings its own macros may use
 * them), and the message names the file that should define the word ("not defined in
 * include/linux/kernel_api_spec.h of this series"). A word this framework lacks but an earlier
 * known posting defined is left to kapi-deprecated-form. Where the framework has no such part (no
 * kerneldoc, say), the parsers' own vocabulary judges.
 *
 * Stays silent on what is legitimate C or kerneldoc inside a spec: preprocessor lines, counts that
 * are expressions, identifiers outside the KAPI_ namespace in the macro form, `kapi-*` extension
 * keys, and a plain `word:` at the top level of a comment that is no near miss of a key (prose).
 */

import { type Framework, knowsWord, type WordKind } from '../../parsers/kapi/framework.js';
import { postingsWith } from '../../parsers/kapi/frameworks.js';
import { KERNELDOC_VOCABULARY } from '../../parsers/kapi/kerneldoc.js';
import { KNOWN_CONSTANTS, MACROS, OPENERS } from '../../parsers/kapi/macro.js';
import { HELPER_MACROS } from '../../parsers/kapi/macro-helpers.js';
import type { ApiSpec } from '../../parsers/kapi/model.js';
import { escapeRe } from '../../parsers/text/regex.js';
import { defineCheck } from '../define.js';
import type { Evidence } from '../types.js';
import { frameworkEvidence } from '../unit.js';

/** Optimal-string-alignment distance (Levenshtein plus adjacent transpositions), capped at `max + 1`. */
export function editDistance(a: string, b: string, max = Number.POSITIVE_INFINITY): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev2: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min((prev[j] as number) + 1, (cur[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d = Math.min(d, (prev2[j - 2] as number) + 1);
      cur.push(d);
      rowMin = Math.min(rowMin, d);
    }
    if (rowMin > max) return max + 1;
    prev2 = prev;
    prev = cur;
  }
  return prev[b.length] as number;
}

/** The one known word nearest to `word`, when it is close enough and no other is as close. */
export function nearest(word: string, known: Iterable<string>): string | null {
  const max = Math.min(3, Math.max(1, Math.floor(word.length / 4)));
  let best: string | null = null;
  let bestD = max + 1;
  let tie = false;
  for (const k of known) {
    if (k === word) return null;
    const d = editDistance(word, k, max);
    if (d < bestD) {
      best = k;
      bestD = d;
      tie = false;
    } else if (d === bestD) tie = true;
  }
  return best !== null && bestD <= max && !tie ? best : null;
}

const EMPTY: ReadonlySet<string> = new Set();

const MACRO_NAMES: ReadonlySet<string> = new Set([
  ...Object.keys(MACROS),
  ...Object.keys(HELPER_MACROS),
  ...Object.keys(OPENERS),
  'KAPI_END_SPEC',
]);

type Kind = 'key' | 'subkey' | 'token' | 'macro' | 'constant' | 'misused' | 'misplaced';

/** What a word of a kind is judged by: words of the header, of kerneldoc, or neither. */
const wordKind = (kind: Kind): WordKind | null => (kind === 'misused' || kind === 'misplaced' ? null : kind);

/** The framework's words of each kind it has a part for, made once per framework. */
const WORDS = new WeakMap<Framework, Map<WordKind, ReadonlySet<string> | null>>();

/** The framework's words of a kind, when it has that part; null when it has not. */
function frameworkWords(fw: Framework, kind: WordKind): ReadonlySet<string> | null {
  let byKind = WORDS.get(fw);
  if (!byKind) {
    byKind = new Map();
    WORDS.set(fw, byKind);
  }
  if (byKind.has(kind)) return byKind.get(kind) ?? null;
  const kd = fw.kerneldoc;
  const words =
    kind === 'macro'
      ? fw.header && Object.keys(fw.macros)
      : kind === 'constant'
        ? fw.header && [...Object.keys(fw.constants), ...Object.keys(fw.macros)]
        : kind === 'key'
          ? kd && Object.keys(kd.keys)
          : kind === 'subkey'
            ? kd && Object.keys(kd.subKeys)
            : kd && Object.keys(kd.tokens).length > 0 && Object.keys(kd.tokens);
  const set = words ? new Set(words) : null;
  byKind.set(kind, set);
  return set;
}

/** The file of the framework that would define a word of this kind. */
function homeOf(fw: Framework, kind: Kind): string | null {
  if (kind === 'macro' || kind === 'constant') return fw.header;
  if (kind === 'token') return fw.kerneldoc?.generator ?? null;
  return fw.kerneldoc?.parser ?? fw.kerneldoc?.generator ?? null;
}

/** The line with `text` replaced by `by`, when `text` occurs there exactly once as a whole word. */
function replaced(line: string, text: string, by: string): string | null {
  const re = new RegExp(`(?<![\\w-])${escapeRe(text)}(?![\\w-])`, 'g');
  const hits = line.match(re)?.length ?? 0;
  return hits === 1 ? line.replace(re, by) : null;
}

/** Is the key on `line` indented under a block header (a sub-key)? */
function isSubKey(line: string, key: string): boolean {
  const body = line.replace(/^\s*\*(?!\/)/, '');
  const at = body.indexOf(key);
  return at > 1 && body.slice(0, at).trim() === '';
}

function classify(
  spec: ApiSpec,
  u: ApiSpec['unknown'][number],
  lineText: string,
): { kind: Kind; known: ReadonlySet<string>; lower: boolean } | null {
  if (spec.form === 'macro') {
    if (u.where === 'macro') return { kind: 'macro', known: MACRO_NAMES, lower: false };
    if (u.where === 'constant' && /^KAPI_[A-Z0-9_]+$/.test(u.text))
      return KNOWN_CONSTANTS.has(u.text)
        ? { kind: 'misused', known: EMPTY, lower: false }
        : { kind: 'constant', known: KNOWN_CONSTANTS, lower: false };
    return null; // preprocessor lines, misplaced macros, count expressions, non-KAPI identifiers
  }
  if (u.where === 'key') {
    const key = u.text.replace(/^@/, '').toLowerCase();
    if (key.startsWith('kapi-')) return null;
    return isSubKey(lineText, u.text)
      ? { kind: 'subkey', known: KERNELDOC_VOCABULARY.subKeys, lower: true }
      : { kind: 'key', known: KERNELDOC_VOCABULARY.topKeys, lower: true };
  }
  if (u.where === 'token') {
    if (/^KAPI_[A-Z0-9_]+$/.test(u.text))
      return KNOWN_CONSTANTS.has(u.text)
        ? { kind: 'misused', known: EMPTY, lower: false }
        : { kind: 'constant', known: KNOWN_CONSTANTS, lower: false };
    return { kind: 'token', known: KERNELDOC_VOCABULARY.tokens, lower: true };
  }
  return null;
}

/** The message under a framework that has the part: names the file that should define the word. */
const WHAT_IN: Partial<Record<Kind, (text: string, home: string) => string>> = {
  key: (t, h) => `'${t}:' is not a key of ${h}`,
  subkey: (t, h) => `'${t}:' is not a sub-key of ${h}`,
  token: (t, h) => `'${t}' is not a token of ${h}`,
  macro: (t, h) => `${t} is not defined in ${h}`,
  constant: (t, h) => `${t} is not defined in ${h}`,
};

const WHAT: Record<Kind, (text: string) => string> = {
  key: (t) => `'${t}:' is not a KAPI key`,
  subkey: (t) => `'${t}:' is not a KAPI sub-key`,
  token: (t) => `'${t}' is not a KAPI token`,
  macro: (t) => `${t} is not a KAPI macro`,
  constant: (t) => `${t} is not a KAPI constant`,
  misused: (t) => `${t} is not a value this field takes`,
  misplaced: (t) => `'${t}:' does not belong in this block`,
};

const NO_HINT: Record<Kind, string> = {
  key: '; the generator drops it',
  subkey: '; the generator drops it',
  token: '; the generator passes it through unchanged',
  macro: '; no known version of the KAPI headers defines it',
  constant: '; no known version of the KAPI headers defines it',
  misused: '',
  misplaced: '',
};

const NO_HINT_IN: Record<Kind, string> = {
  ...NO_HINT,
  macro: '',
  constant: '',
};

function hintFor(kind: Kind, best: string): string {
  if (kind === 'key' || kind === 'subkey') return `; did you mean '${best}:'?`;
  if (kind === 'token') return `; did you mean '${best}'?`;
  return `; did you mean ${best}?`;
}

const messages = {
  unknown: '{spec}: {what}{hint}',
};

export const check = defineCheck({
  meta: {
    id: 'kapi-unknown-token',
    description: 'A key, macro or token in a spec that the KAPI DSL does not define (a typo, usually).',
    severity: 'warning',
    messages,
  },
  run(ctx) {
    const fw = ctx.framework;
    for (const spec of ctx.unit.specs) {
      if (spec.partial) continue;
      const seen = new Set<string>();
      for (const u of spec.unknown) {
        const lineText = ctx.unit.line(u.line) ?? '';
        const found = classify(spec, u, lineText);
        if (!found) continue;
        const c = { ...found };
        const word = c.lower ? u.text.replace(/^@/, '').toLowerCase() : u.text;
        // a known word in the wrong place: say so instead of suggesting itself
        if (c.known.has(word)) c.kind = c.kind === 'key' || c.kind === 'subkey' ? 'misplaced' : 'misused';
        const kind = wordKind(c.kind);
        const misuse = kind === null;
        // what this framework defines is what its specs may use
        if (kind && knowsWord(fw, kind, word) !== null) continue;
        // what an earlier posting defined and this framework dropped is kapi-deprecated-form's
        if (kind && postingsWith(kind, word).length > 0) continue;
        const own = kind ? frameworkWords(fw, kind) : null;
        // suggest from this framework's words first, else from every form's (a typo of a word this
        // framework dropped is still a typo of that word; kapi-deprecated-form says it is dropped)
        const parsers = c.known;
        if (own) c.known = own;
        const text = u.text;
        const key = `${u.line}\u0000${text}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const best = misuse ? null : (nearest(word, c.known) ?? (own ? nearest(word, parsers) : null));
        // a plain word with a colon at the top level is prose unless it is a near miss of a key
        if (c.kind === 'key' && best === null && !word.includes('-')) continue;
        const bare = c.kind === 'key' || c.kind === 'subkey' ? text.replace(/^@/, '') : text;
        const suggestion = best !== null ? replaced(lineText, bare, best) : null;
        const home = own ? homeOf(fw, c.kind) : null;
        const inFw = home !== null ? WHAT_IN[c.kind] : undefined;
        const evidence: Evidence[] = [{ path: ctx.unit.path, line: u.line, text: lineText.trim() }];
        const bestAt = best !== null && own && kind ? knowsWord(fw, kind, best) : null;
        evidence.push(...frameworkEvidence(bestAt));
        ctx.report({
          messageId: 'unknown',
          data: {
            spec: spec.name,
            what: inFw && home !== null ? inFw(text, `${home} of ${fw.name}`) : WHAT[c.kind](text),
            hint: best !== null ? hintFor(c.kind, best) : inFw ? NO_HINT_IN[c.kind] : NO_HINT[c.kind],
          },
          line: u.line,
          spec: spec.name,
          subject: `unknown:${text}`,
          evidence,
          ...(suggestion !== null ? { suggestion } : {}),
        });
      }
    }
  },
});
