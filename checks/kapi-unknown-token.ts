/**
 * kapi-unknown-token: a key, macro or token the KAPI DSL does not define (spec.unknown): a typo
 * such as `contexs:`, `type: unit` or KAPI_PARAM_FLAG. The generator passes unknown tokens through
 * to the compiler ("pass through unchanged" in kdoc_apispec.py; the Rust extractor maps unknown
 * flags to 0) and drops unknown keys, so the fact silently goes missing. The nearest known key or
 * token is suggested when it is close (edit distance) and the only one that close.
 *
 * Stays silent on what is legitimate C or kerneldoc inside a spec: preprocessor lines, counts that
 * are expressions, identifiers outside the KAPI_ namespace in the macro form, `kapi-*` extension
 * keys, and a plain `word:` at the top level of a comment that is no near miss of a key (prose).
 */
import { KERNELDOC_VOCABULARY } from '../parsers/kapi/kerneldoc.js';
import { KNOWN_CONSTANTS, MACROS, OPENERS } from '../parsers/kapi/macro.js';
import { HELPER_MACROS } from '../parsers/kapi/macro-helpers.js';
import type { ApiSpec } from '../parsers/kapi/model.js';
import type { Check, CheckContext } from './types.js';

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

/** The line with `text` replaced by `by`, when `text` occurs there exactly once as a whole word. */
function replaced(line: string, text: string, by: string): string | null {
  const esc = text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const re = new RegExp(`(?<![\\w-])${esc}(?![\\w-])`, 'g');
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
  macro: '; no version of the KAPI headers defines it',
  constant: '; no version of the KAPI headers defines it',
  misused: '',
  misplaced: '',
};

function hintFor(kind: Kind, best: string): string {
  if (kind === 'key' || kind === 'subkey') return `; did you mean '${best}:'?`;
  if (kind === 'token') return `; did you mean '${best}'?`;
  return `; did you mean ${best}?`;
}

export const check: Check = {
  meta: {
    id: 'kapi-unknown-token',
    description: 'A key, macro or token in a spec that the KAPI DSL does not define (a typo, usually).',
    severity: 'warning',
    messages: {
      unknown: '{spec}: {what}{hint}',
    },
  },
  run(ctx: CheckContext) {
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
        const text = u.text;
        const key = `${u.line}\u0000${text}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const best = c.kind === 'misused' || c.kind === 'misplaced' ? null : nearest(word, c.known);
        // a plain word with a colon at the top level is prose unless it is a near miss of a key
        if (c.kind === 'key' && best === null && !word.includes('-')) continue;
        const bare = c.kind === 'key' || c.kind === 'subkey' ? text.replace(/^@/, '') : text;
        const suggestion = best !== null ? replaced(lineText, bare, best) : null;
        ctx.report({
          messageId: 'unknown',
          data: {
            spec: spec.name,
            what: WHAT[c.kind](text),
            hint: best !== null ? hintFor(c.kind, best) : NO_HINT[c.kind],
          },
          line: u.line,
          spec: spec.name,
          subject: `unknown:${text}`,
          evidence: [{ path: ctx.unit.path, line: u.line, text: lineText.trim() }],
          ...(suggestion !== null ? { suggestion } : {}),
        });
      }
    }
  },
};
