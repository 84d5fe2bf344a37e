/**
 * A C tokenizer for spec text and ordinary kernel C: identifiers, pp-numbers, punctuators
 * (longest match), string and character literals (escapes decoded), comments (skipped unless
 * asked for, but always line-counted), backslash-newline continuations, and preprocessor lines,
 * which come out whole as one 'pp' token so a caller can note an `#ifdef` and go on.
 *
 * It does no preprocessing: macros are not expanded and adjacent string literals stay separate
 * tokens (the caller concatenates them). It never throws; a string, character literal or comment
 * that is not closed is reported as an issue and ends where C would give up (the end of the line
 * for literals, the end of the input for a comment). One pass, linear in the input.
 */
import { type Issue, issue, type Parsed } from '../types.js';

export type CTokenKind = 'ident' | 'number' | 'string' | 'char' | 'punct' | 'pp' | 'comment' | 'other';

export interface CToken {
  kind: CTokenKind;
  /** The source text of the token, continuations removed (literals with their quotes and prefix). */
  text: string;
  /**
   * string/char: the decoded contents; pp: the directive with comments removed and whitespace
   * collapsed ('#ifdef CONFIG_X'); comment: the text between the delimiters; otherwise `text`.
   */
  value: string;
  /** 1-based line of the first and of the last character. */
  line: number;
  endLine: number;
  /** Offsets in the input: first character and one past the last. */
  start: number;
  end: number;
  /** Whitespace, a newline or a comment comes before the token. */
  space: boolean;
  /** First token on its line (comments before it on the line do not count). */
  bol: boolean;
  /** A literal or comment that is not closed. */
  unterminated?: boolean;
  /** Encoding prefix of a literal: 'L', 'u', 'U' or 'u8'. */
  prefix?: string;
  /** pp: the directive name ('ifdef', 'define', ''), lower case as written. */
  directive?: string;
}

export interface TokenizeOptions {
  /** Emit 'comment' tokens instead of skipping comments. */
  comments?: boolean;
}

const PUNCT3 = new Set(['...', '<<=', '>>=']);
const PUNCT2 = new Set([
  '->',
  '++',
  '--',
  '<<',
  '>>',
  '<=',
  '>=',
  '==',
  '!=',
  '&&',
  '||',
  '*=',
  '/=',
  '%=',
  '+=',
  '-=',
  '&=',
  '^=',
  '|=',
  '##',
]);
/** PUNCT2 as first * 128 + second character code (all ASCII). */
const PUNCT2_CODES = new Set([...PUNCT2].map((p) => p.charCodeAt(0) * 128 + p.charCodeAt(1)));
const PUNCT1 = new Set([...'[](){}.&*+-~!/%<>^|?:;=,#']);

function isIdentStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 36;
}
function isIdentPart(c: number): boolean {
  return isIdentStart(c) || (c >= 48 && c <= 57);
}
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
function isHex(c: number): boolean {
  return isDigit(c) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}

const SIMPLE_ESCAPES: Record<string, string> = {
  n: '\n',
  t: '\t',
  r: '\r',
  a: '\x07',
  b: '\b',
  f: '\f',
  v: '\v',
  e: '\x1b',
  '\\': '\\',
  "'": "'",
  '"': '"',
  '?': '?',
};

/**
 * Decodes the escapes of a C string or character literal body (without the quotes): simple
 * escapes, octal (up to three digits), hex (any length), \u and \U. An unknown escape keeps the
 * escaped character, as GCC does after its warning.
 */
export function decodeCEscapes(body: string): string {
  if (!body.includes('\\')) return body;
  let out = '';
  let i = 0;
  const n = body.length;
  while (i < n) {
    const ch = body[i] as string;
    if (ch !== '\\' || i + 1 >= n) {
      out += ch;
      i++;
      continue;
    }
    const e = body[i + 1] as string;
    const simple = SIMPLE_ESCAPES[e];
    if (simple !== undefined) {
      out += simple;
      i += 2;
      continue;
    }
    const ec = e.charCodeAt(0);
    if (ec >= 48 && ec <= 55) {
      let j = i + 1;
      let v = 0;
      while (j < n && j < i + 4) {
        const d = body.charCodeAt(j);
        if (d < 48 || d > 55) break;
        v = v * 8 + (d - 48);
        j++;
      }
      out += String.fromCharCode(v & 0xff);
      i = j;
      continue;
    }
    if (e === 'x') {
      let j = i + 2;
      let v = 0;
      while (j < n && isHex(body.charCodeAt(j))) {
        v = (v * 16 + Number.parseInt(body[j] as string, 16)) % 0x110000;
        j++;
      }
      if (j === i + 2) {
        out += 'x';
        i += 2;
        continue;
      }
      out += String.fromCodePoint(v);
      i = j;
      continue;
    }
    if (e === 'u' || e === 'U') {
      const len = e === 'u' ? 4 : 8;
      const hex = body.slice(i + 2, i + 2 + len);
      if (hex.length === len && /^[0-9a-fA-F]+$/.test(hex)) {
        const cp = Number.parseInt(hex, 16);
        out += cp <= 0x10ffff ? String.fromCodePoint(cp) : '\ufffd';
        i += 2 + len;
        continue;
      }
    }
    out += e;
    i += 2;
  }
  return out;
}

/**
 * The text of a run of tokens as one line: tokens that had whitespace (or a comment or newline)
 * before them are separated by one space, the others are glued ('-ENOMEM', 'sizeof(struct x)').
 */
export function tokensText(tokens: readonly CToken[]): string {
  let out = '';
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as CToken;
    if (t.kind === 'comment') continue;
    if (out !== '' && t.space) out += ' ';
    out += t.text;
  }
  return out;
}

interface Splices {
  /** Positions in the spliced text that follow a removed backslash-newline. */
  at: number[];
  /** Characters removed up to and including each splice. */
  removed: number[];
}

/** Removes backslash-newline pairs (also backslash-CRLF), remembering where they were. */
function splice(text: string): { s: string; sp: Splices } {
  const sp: Splices = { at: [], removed: [] };
  if (!/\\\r?\n/.test(text)) return { s: text, sp };
  let out = '';
  let last = 0;
  let removed = 0;
  const re = /\\\r?\n/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    out += text.slice(last, m.index);
    last = m.index + m[0].length;
    removed += m[0].length;
    sp.at.push(out.length);
    sp.removed.push(removed);
  }
  out += text.slice(last);
  return { s: out, sp };
}

/** Number of entries of the sorted `xs` that are <= v (or < v when `strict`). */
function countUpTo(xs: readonly number[], v: number, strict: boolean): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const x = xs[mid] as number;
    if (strict ? x < v : x <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Line numbers and offsets in the original text, for positions in the spliced one. */
class Positions {
  // newlines in the spliced text plus the splices before the position; token positions only
  // grow, so one forward cursor keeps this linear
  private lnPos = 0;
  private lnCount = 1;
  private nextNl: number;

  constructor(
    private readonly s: string,
    private readonly sp: Splices,
  ) {
    this.nextNl = s.indexOf('\n');
  }

  lineAt(pos: number): number {
    if (pos < this.lnPos) {
      this.lnPos = 0;
      this.lnCount = 1;
      this.nextNl = this.s.indexOf('\n');
    }
    while (this.nextNl !== -1 && this.nextNl < pos) {
      this.lnCount++;
      this.nextNl = this.s.indexOf('\n', this.nextNl + 1);
    }
    this.lnPos = pos;
    return this.lnCount + (this.sp.at.length ? countUpTo(this.sp.at, pos, false) : 0);
  }

  origStart(pos: number): number {
    if (!this.sp.at.length) return pos;
    const k = countUpTo(this.sp.at, pos, false);
    return pos + (k ? (this.sp.removed[k - 1] as number) : 0);
  }

  origEnd(pos: number): number {
    if (!this.sp.at.length) return pos;
    const k = countUpTo(this.sp.at, pos, true);
    return pos + (k ? (this.sp.removed[k - 1] as number) : 0);
  }
}

/**
 * A directive from its `#` at `i` to the end of its (spliced) line: its end, its text with
 * comments replaced by a space (block comments inside it may span lines, as in C), and where an
 * unclosed comment starts (-1: none).
 */
function scanDirective(s: string, i: number): { end: number; value: string; unclosedAt: number } {
  const n = s.length;
  let j = i + 1;
  let value = '#';
  while (j < n) {
    const d = s.charCodeAt(j);
    if (d === 10) break;
    if (d === 47 && j + 1 < n && s.charCodeAt(j + 1) === 42) {
      const close = s.indexOf('*/', j + 2);
      if (close === -1) return { end: n, value, unclosedAt: j };
      value += ' ';
      j = close + 2;
      continue;
    }
    if (d === 47 && j + 1 < n && s.charCodeAt(j + 1) === 47) {
      const nl = s.indexOf('\n', j);
      j = nl === -1 ? n : nl;
      break;
    }
    value += s[j];
    j++;
  }
  return { end: j, value, unclosedAt: -1 };
}

/** The end of the number (a C preprocessing number) that starts at `i`. */
function numberEnd(s: string, i: number): number {
  const n = s.length;
  let j = i + 1;
  while (j < n) {
    const d = s.charCodeAt(j);
    const prev = s.charCodeAt(j - 1) | 32;
    if ((d === 43 || d === 45) && (prev === 101 || prev === 112)) {
      j++;
      continue;
    }
    if (d === 39 && j + 1 < n && isIdentPart(s.charCodeAt(j + 1))) {
      j += 2;
      continue;
    }
    if (isIdentPart(d) || d === 46) {
      j++;
      continue;
    }
    break;
  }
  return j;
}

export function tokenizeC(text: string, options: TokenizeOptions = {}): Parsed<CToken[]> {
  const { s, sp } = splice(text);
  const n = s.length;
  const tokens: CToken[] = [];
  const issues: Issue[] = [];
  const keepComments = options.comments === true;

  const pos = new Positions(s, sp);
  const lineAt = (p: number): number => pos.lineAt(p);

  let space = false;
  let bol = true;
  const emit = (kind: CTokenKind, a: number, b: number, extra?: Partial<CToken>): CToken => {
    const raw = s.slice(a, b);
    const line = lineAt(a);
    const endLine = b > a ? lineAt(b - 1) : line;
    const t: CToken = {
      kind,
      text: raw,
      value: raw,
      line,
      endLine,
      start: pos.origStart(a),
      end: pos.origEnd(b),
      space,
      bol,
    };
    if (extra) Object.assign(t, extra);
    tokens.push(t);
    if (kind !== 'comment') {
      space = false;
      bol = false;
    }
    return t;
  };

  /** Scans a quoted literal whose opening quote is at `q`; returns the end (exclusive) and state. */
  const scanQuoted = (q: number, quote: number): { end: number; closed: boolean } => {
    let i = q + 1;
    while (i < n) {
      const c = s.charCodeAt(i);
      if (c === quote) return { end: i + 1, closed: true };
      if (c === 10) return { end: i, closed: false };
      if (c === 92 && i + 1 < n && s.charCodeAt(i + 1) !== 10) i += 2;
      else i++;
    }
    return { end: n, closed: false };
  };

  /** Emits the literal whose prefix starts at `a` and opening quote is at `q`; returns its end. */
  const literal = (a: number, q: number, prefix: string | undefined): number => {
    const quote = s.charCodeAt(q);
    const { end, closed } = scanQuoted(q, quote);
    const body = s.slice(q + 1, closed ? end - 1 : end);
    const kind: CTokenKind = quote === 34 ? 'string' : 'char';
    const extra: Partial<CToken> = { value: decodeCEscapes(body) };
    if (prefix) extra.prefix = prefix;
    if (!closed) extra.unterminated = true;
    const t = emit(kind, a, end, extra);
    if (!closed)
      issues.push(
        issue(
          kind === 'string' ? 'c-unterminated-string' : 'c-unterminated-char',
          'warning',
          `${kind === 'string' ? 'string' : 'character'} literal is not closed on its line`,
          t.line,
        ),
      );
    return end;
  };

  let i = 0;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c === 10) {
      i++;
      space = true;
      bol = true;
      continue;
    }
    if (c === 32 || c === 9 || c === 13 || c === 12 || c === 11) {
      i++;
      space = true;
      continue;
    }
    const c1 = i + 1 < n ? s.charCodeAt(i + 1) : -1;
    if (c === 47 && c1 === 42) {
      const close = s.indexOf('*/', i + 2);
      const end = close === -1 ? n : close + 2;
      if (close === -1) {
        issues.push(issue('c-unterminated-comment', 'warning', 'comment is not closed', lineAt(i)));
      }
      if (keepComments) {
        const extra: Partial<CToken> = { value: s.slice(i + 2, close === -1 ? n : close) };
        if (close === -1) extra.unterminated = true;
        emit('comment', i, end, extra);
      }
      space = true;
      i = end;
      continue;
    }
    if (c === 47 && c1 === 47) {
      let end = s.indexOf('\n', i + 2);
      if (end === -1) end = n;
      if (keepComments) emit('comment', i, end, { value: s.slice(i + 2, end) });
      space = true;
      i = end;
      continue;
    }
    if (c === 35 && bol) {
      const { end: j, value, unclosedAt } = scanDirective(s, i);
      if (unclosedAt >= 0)
        issues.push(issue('c-unterminated-comment', 'warning', 'comment is not closed', lineAt(unclosedAt)));
      const norm = value.replace(/\s+/g, ' ').trim();
      const m = /^#\s*([A-Za-z_]\w*)?/.exec(norm);
      const directive = m?.[1] ?? '';
      emit('pp', i, j, { value: norm.replace(/^#\s+/, '#'), directive });
      i = j;
      continue;
    }
    if (isIdentStart(c)) {
      let j = i + 1;
      while (j < n && isIdentPart(s.charCodeAt(j))) j++;
      const word = s.slice(i, j);
      const next = j < n ? s.charCodeAt(j) : -1;
      if ((next === 34 || next === 39) && (word === 'L' || word === 'u' || word === 'U' || word === 'u8')) {
        i = literal(i, j, word);
        continue;
      }
      emit('ident', i, j);
      i = j;
      continue;
    }
    if (isDigit(c) || (c === 46 && isDigit(c1))) {
      const j = numberEnd(s, i);
      emit('number', i, j);
      i = j;
      continue;
    }
    if (c === 34 || c === 39) {
      i = literal(i, i, undefined);
      continue;
    }
    if ((c === 46 || c === 60 || c === 62) && PUNCT3.has(s.slice(i, i + 3))) {
      emit('punct', i, i + 3);
      i += 3;
      continue;
    }
    if (c1 >= 0 && c1 < 128 && c < 128 && PUNCT2_CODES.has(c * 128 + c1)) {
      emit('punct', i, i + 2);
      i += 2;
      continue;
    }
    const one = s[i] as string;
    emit(PUNCT1.has(one) ? 'punct' : 'other', i, i + 1);
    i++;
  }
  return { value: tokens, issues };
}
