/**
 * Unified diff parser for `git format-patch` style diffs (and plain `diff -u` output).
 *
 * The parser is a single forward pass over the lines of its input. Hunk bodies are delimited by
 * the line counts announced in their `@@` header, never by guessing from the content: this is
 * what keeps a deleted line whose text is `- ` (rendered `-- `) apart from the e-mail signature
 * separator `-- ` that `git format-patch` appends after the last hunk.
 *
 * Nothing here throws on input. Anything that does not look like a well-formed diff is reported
 * as an Issue next to whatever could be parsed.
 */
import { type Issue, issue, type Parsed } from './types.js';

export type FileStatus = 'modified' | 'added' | 'deleted' | 'renamed' | 'copied';

export interface DiffLine {
  kind: 'context' | 'add' | 'del';
  /** The line without its leading ' ', '+', '-' marker and without the EOL. */
  text: string;
  /** 1-based line in the pre-image (context and del). */
  oldLine?: number;
  /** 1-based line in the post-image (context and add). */
  newLine?: number;
  /** 1-based line number in the text given to parseDiff. */
  patchLine: number;
  /** Followed by '\ No newline at end of file'. */
  noNewlineAtEof?: boolean;
}

export interface Hunk {
  oldStart: number;
  oldLines: number;
  newStart: number;
  newLines: number;
  /** Function context after the second @@ (trimmed), '' when none. */
  section: string;
  /** 1-based line of the @@ header in the input. */
  headerLine: number;
  lines: DiffLine[];
  /** Fewer lines than the header announced. */
  truncated: boolean;
}

export interface FileDiff {
  /** Without the a/ prefix; null for /dev/null. */
  oldPath: string | null;
  /** Without the b/ prefix; null for /dev/null. */
  newPath: string | null;
  /** newPath ?? oldPath */
  path: string;
  status: FileStatus;
  binary: boolean;
  oldMode?: string;
  newMode?: string;
  /** From 'similarity index N%'. */
  similarity?: number;
  /** Abbreviated blob ids from the 'index' line. */
  indexOld?: string;
  indexNew?: string;
  /** 1-based line of 'diff --git' (or of '---' for plain diffs). */
  headerLine: number;
  hunks: Hunk[];
}

export interface ParsedDiff {
  files: FileDiff[];
  /** Last line consumed as diff, 1-based; 0 if none. */
  endLine: number;
}

const CH_SPACE = 0x20;
const CH_PLUS = 0x2b;
const CH_MINUS = 0x2d;
const CH_BACKSLASH = 0x5c;
const CH_CR = 0x0d;
const CH_QUOTE = 0x22;

/** The blob id of the empty file; an abbreviation of it on an 'index' line means "no content". */
const EMPTY_BLOB = 'e69de29bb2d1d6434b8b29ae775ad8c2e48c5391';

/** Characters of git's base85 alphabet, used to recognise 'GIT binary patch' data lines. */
const BASE85 = (() => {
  const table = new Uint8Array(128);
  const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!#$%&()*+-;<=>?@^_`{|}~';
  for (let k = 0; k < alphabet.length; k++) table[alphabet.charCodeAt(k)] = 1;
  return table;
})();

// ---------------------------------------------------------------------------------------------
// Path helpers
// ---------------------------------------------------------------------------------------------

const SIMPLE_ESCAPES: Readonly<Record<string, number>> = {
  a: 0x07,
  b: 0x08,
  t: 0x09,
  n: 0x0a,
  v: 0x0b,
  f: 0x0c,
  r: 0x0d,
  '"': 0x22,
  '\\': 0x5c,
};

const utf8Decoder = new TextDecoder('utf-8');
const utf8Encoder = new TextEncoder();

function isOctal(code: number): boolean {
  return code >= 0x30 && code <= 0x37;
}

/**
 * Decodes a C-style quoted path as written by git (`"a/foo\tbar"`, `"a/caf\303\251"`), starting
 * at `start`, which must be the opening quote. Octal escapes are raw bytes and are decoded as
 * UTF-8 together with the rest of the name. Returns the decoded text and the index just after
 * the closing quote, or null when the quoting is malformed.
 */
export function unquoteCPath(s: string, start = 0): { value: string; end: number } | null {
  if (s.charCodeAt(start) !== CH_QUOTE) return null;
  const bytes: number[] = [];
  let plainFrom = start + 1;
  let j = start + 1;
  const flushPlain = (to: number): void => {
    if (to <= plainFrom) return;
    const chunk = s.slice(plainFrom, to);
    for (const b of utf8Encoder.encode(chunk)) bytes.push(b);
  };
  while (j < s.length) {
    const code = s.charCodeAt(j);
    if (code === CH_QUOTE) {
      flushPlain(j);
      return { value: utf8Decoder.decode(Uint8Array.from(bytes)), end: j + 1 };
    }
    if (code === CH_BACKSLASH) {
      flushPlain(j);
      const next = s[j + 1];
      if (next === undefined) return null;
      const simple = SIMPLE_ESCAPES[next];
      if (simple !== undefined) {
        bytes.push(simple);
        j += 2;
      } else if (
        isOctal(s.charCodeAt(j + 1)) &&
        isOctal(s.charCodeAt(j + 2)) &&
        isOctal(s.charCodeAt(j + 3))
      ) {
        const value = Number.parseInt(s.slice(j + 1, j + 4), 8);
        if (value > 0xff) return null;
        bytes.push(value);
        j += 4;
      } else {
        return null;
      }
      plainFrom = j;
      continue;
    }
    j++;
  }
  return null;
}

function stripPrefix(path: string, prefix: string): string {
  return path.startsWith(prefix) ? path.slice(prefix.length) : path;
}

interface PathResult {
  /** Decoded path; null for /dev/null. */
  path: string | null;
  /** False when the quoting could not be decoded (the raw text is returned instead). */
  ok: boolean;
}

/** Path of a `---`/`+++` line (text after the marker and its space). */
function parseHeaderPath(rest: string, prefix: string): PathResult {
  if (rest.charCodeAt(0) === CH_QUOTE) {
    const q = unquoteCPath(rest, 0);
    if (q === null) return { path: rest, ok: false };
    return { path: q.value === '/dev/null' ? null : stripPrefix(q.value, prefix), ok: true };
  }
  // Unquoted names never contain a tab: git (for names with spaces) and GNU diff (timestamps)
  // append one followed by optional data.
  const tab = rest.indexOf('\t');
  const name = tab >= 0 ? rest.slice(0, tab) : rest;
  if (name === '/dev/null') return { path: null, ok: true };
  return { path: stripPrefix(name, prefix), ok: true };
}

/** Path of a `rename from`/`copy to`... line: no prefix, possibly quoted. */
function parsePlainPath(rest: string): PathResult {
  if (rest.charCodeAt(0) === CH_QUOTE) {
    const q = unquoteCPath(rest, 0);
    return q === null ? { path: rest, ok: false } : { path: q.value, ok: true };
  }
  return { path: rest, ok: true };
}

/**
 * Splits the text after `diff --git ` into the old and new names (prefixes stripped).
 * Unquoted names that contain spaces are ambiguous; the split that makes both names equal is
 * preferred (it is always right when the file was not renamed, and renames carry explicit
 * `rename from`/`rename to` lines that take precedence anyway).
 */
export function parseGitHeaderPaths(rest: string): { oldPath: string; newPath: string } | null {
  if (rest.charCodeAt(0) === CH_QUOTE) {
    const first = unquoteCPath(rest, 0);
    if (first === null || rest.charCodeAt(first.end) !== CH_SPACE) return null;
    const secondStart = first.end + 1;
    let second: string;
    if (rest.charCodeAt(secondStart) === CH_QUOTE) {
      const q = unquoteCPath(rest, secondStart);
      if (q === null) return null;
      second = q.value;
    } else {
      second = rest.slice(secondStart);
    }
    return { oldPath: stripPrefix(first.value, 'a/'), newPath: stripPrefix(second, 'b/') };
  }
  const quoteAt = rest.indexOf(' "');
  if (quoteAt > 0) {
    const q = unquoteCPath(rest, quoteAt + 1);
    if (q !== null && q.end === rest.length) {
      return { oldPath: stripPrefix(rest.slice(0, quoteAt), 'a/'), newPath: stripPrefix(q.value, 'b/') };
    }
  }
  // Same name on both sides: the separator is exactly in the middle.
  if (rest.length % 2 === 1) {
    const mid = (rest.length - 1) / 2;
    if (rest.charCodeAt(mid) === CH_SPACE) {
      const oldPath = stripPrefix(rest.slice(0, mid), 'a/');
      const newPath = stripPrefix(rest.slice(mid + 1), 'b/');
      if (oldPath === newPath) return { oldPath, newPath };
    }
  }
  const b = rest.indexOf(' b/');
  if (b > 0) return { oldPath: stripPrefix(rest.slice(0, b), 'a/'), newPath: rest.slice(b + 3) };
  const space = rest.indexOf(' ');
  if (space > 0) return { oldPath: rest.slice(0, space), newPath: rest.slice(space + 1) };
  return null;
}

// ---------------------------------------------------------------------------------------------
// Hunk header
// ---------------------------------------------------------------------------------------------

export interface HunkHeader {
  oldStart: number;
  oldLines: number;
  newStart: number;
  newLines: number;
  section: string;
}

/** Parses `@@ -a[,b] +c[,d] @@[ section]`; returns null when the line is not such a header. */
export function parseHunkHeader(line: string): HunkHeader | null {
  if (!line.startsWith('@@ -')) return null;
  let p = 4;
  const readNumber = (): number => {
    const from = p;
    while (p < line.length && p - from < 15) {
      const c = line.charCodeAt(p);
      if (c < 0x30 || c > 0x39) break;
      p++;
    }
    if (p === from) return -1;
    const c = line.charCodeAt(p);
    if (c >= 0x30 && c <= 0x39) return -1; // absurdly long number
    return Number(line.slice(from, p));
  };
  const oldStart = readNumber();
  if (oldStart < 0) return null;
  let oldLines = 1;
  if (line.charCodeAt(p) === 0x2c) {
    p++;
    oldLines = readNumber();
    if (oldLines < 0) return null;
  }
  if (line.charCodeAt(p) !== CH_SPACE || line.charCodeAt(p + 1) !== CH_PLUS) return null;
  p += 2;
  const newStart = readNumber();
  if (newStart < 0) return null;
  let newLines = 1;
  if (line.charCodeAt(p) === 0x2c) {
    p++;
    newLines = readNumber();
    if (newLines < 0) return null;
  }
  if (!line.startsWith(' @@', p)) return null;
  p += 3;
  const next = line.charCodeAt(p);
  // '@@@' would be a combined diff, which this parser does not handle.
  if (p < line.length && next !== CH_SPACE && next !== 0x09) return null;
  return { oldStart, oldLines, newStart, newLines, section: line.slice(p).trim() };
}

// ---------------------------------------------------------------------------------------------
// Parser
// ---------------------------------------------------------------------------------------------

interface FileBuilder {
  headerLine: number;
  isGit: boolean;
  gitOld?: string;
  gitNew?: string;
  minus?: string | null;
  plus?: string | null;
  renameFrom?: string;
  renameTo?: string;
  copyFrom?: string;
  copyTo?: string;
  isNew: boolean;
  isDeleted: boolean;
  binary: boolean;
  oldMode?: string;
  newMode?: string;
  similarity?: number;
  indexOld?: string;
  indexNew?: string;
  hunks: Hunk[];
}

type Report = (found: Issue) => void;

/** Damaged input can produce one issue per line; beyond this many of one code they are dropped. */
const MAX_ISSUES_PER_CODE = 100;

type State = 'seek' | 'header' | 'body' | 'hunk' | 'binary';

function isSignature(line: string): boolean {
  // Some mailers strip the trailing space of the separator.
  return line === '-- ' || line === '--';
}

function isBinaryDataLine(line: string): boolean {
  const len = line.length;
  if (len < 6 || (len - 1) % 5 !== 0) return false;
  const first = line.charCodeAt(0);
  if (!((first >= 0x41 && first <= 0x5a) || (first >= 0x61 && first <= 0x7a))) return false;
  for (let k = 1; k < len; k++) {
    const c = line.charCodeAt(k);
    if (c >= 128 || BASE85[c] !== 1) return false;
  }
  return true;
}

function isEmptyBlob(id: string): boolean {
  if (/^0+$/.test(id)) return true;
  return id.length >= 4 && EMPTY_BLOB.startsWith(id);
}

function parsePercent(rest: string): number | undefined {
  const m = /^(\d{1,3})%$/.exec(rest.trim());
  return m?.[1] === undefined ? undefined : Number(m[1]);
}

/** Splits once on '\n'; strips a '\r' before each '\n' and reports it once. */
function splitLines(text: string, report: Report): string[] {
  if (text.length === 0) return [];
  const lines = text.split('\n');
  const terminated = text.charCodeAt(text.length - 1) === 0x0a;
  if (terminated) lines.pop();
  if (text.includes('\r\n')) {
    // The last element is only followed by '\n' when the text ends with one.
    const limit = terminated ? lines.length : lines.length - 1;
    let first = 0;
    for (let k = 0; k < limit; k++) {
      const l = lines[k] as string;
      if (l.charCodeAt(l.length - 1) === CH_CR) {
        lines[k] = l.slice(0, -1);
        if (first === 0) first = k + 1;
      }
    }
    report(issue('diff-crlf', 'info', 'input has CRLF line endings; they were read as LF', first));
  }
  return lines;
}

/**
 * Parses every file diff of a (git) unified diff. Never throws.
 *
 * Text before the first diff (mail headers, commit message, diffstat) is skipped silently. The
 * diff ends at the format-patch signature separator (`-- ` outside a hunk), after which nothing is
 * read; footer lines such as `base-commit:` are skipped. `endLine` is the last line that was read
 * as part of a diff. Hunk starts are kept exactly as written in the header, so a side without
 * lines keeps git's "insert after line N" number (`@@ -0,0 +1,3 @@` has oldStart 0).
 */
export function parseDiff(text: string): Parsed<ParsedDiff> {
  const issues: Issue[] = [];
  const perCode = new Map<string, number>();
  const report: Report = (found) => {
    const count = (perCode.get(found.code) ?? 0) + 1;
    perCode.set(found.code, count);
    if (count <= MAX_ISSUES_PER_CODE) issues.push(found);
    else if (count === MAX_ISSUES_PER_CODE + 1) {
      issues.push(
        issue('diff-too-many-issues', 'info', `further '${found.code}' issues are not reported`, found.line),
      );
    }
  };
  const reader = new DiffReader(splitLines(typeof text === 'string' ? text : '', report), report);
  const files = reader.read().map((b) => finishFile(b, report));
  issues.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  return { value: { files, endLine: reader.endLine }, issues };
}

/**
 * The state machine of parseDiff: one method per state, each reading the line at `i` and
 * deciding the next state. A method returns true to end the diff (the signature separator).
 */
class DiffReader {
  readonly builders: FileBuilder[] = [];
  state: State = 'seek';
  cur: FileBuilder | undefined;
  hunk: Hunk | undefined;
  remOld = 0;
  remNew = 0;
  oldNo = 0;
  newNo = 0;
  /** Last body line of the most recent hunk, target of '\ No newline at end of file'. */
  lastLine: DiffLine | undefined;
  endLine = 0;
  /** First line skipped after leaving diff content, 0 when nothing is pending report. */
  skipStart = 0;
  i = 0;

  constructor(
    private readonly lines: string[],
    private readonly report: Report,
  ) {}

  /** Reads every line; the file builders, in order. */
  read(): FileBuilder[] {
    const n = this.lines.length;
    while (this.i < n) {
      const line = this.lines[this.i] as string;
      const ln = this.i + 1;
      let stop = false;
      switch (this.state) {
        case 'hunk':
          this.hunkLine(line, ln);
          break;
        case 'header':
          this.headerLine(line, ln);
          break;
        case 'binary':
          this.binaryLine(line, ln);
          break;
        case 'body':
          stop = this.bodyLine(line, ln);
          break;
        case 'seek':
          stop = this.seekLine(line, ln);
          break;
      }
      if (stop) break;
    }
    if (this.state === 'hunk' && this.hunk !== undefined)
      this.truncate(this.hunk, 'is cut off by the end of input');
    return this.builders;
  }

  private lineAt(k: number): string | undefined {
    return this.lines[k];
  }

  private isPlainHeaderAt(k: number): boolean {
    return (this.lineAt(k) ?? '').startsWith('--- ') && (this.lineAt(k + 1) ?? '').startsWith('+++ ');
  }

  private newBuilder(headerLine: number, isGit: boolean): FileBuilder {
    const b: FileBuilder = { headerLine, isGit, isNew: false, isDeleted: false, binary: false, hunks: [] };
    this.builders.push(b);
    this.cur = b;
    this.hunk = undefined;
    this.lastLine = undefined;
    this.skipStart = 0;
    return b;
  }

  private pathIssue(r: PathResult, ln: number): string | null {
    if (!r.ok) this.report(issue('diff-bad-path', 'warning', 'malformed quoted path; kept as written', ln));
    return r.path;
  }

  /** A `diff --git` line: a new file diff, its headers next. */
  private startGitFile(line: string, ln: number): void {
    const b = this.newBuilder(ln, true);
    const paths = parseGitHeaderPaths(line.slice('diff --git '.length));
    if (paths === null) {
      this.report(
        issue('diff-bad-file-header', 'warning', 'cannot read the paths of this diff --git line', ln),
      );
    } else {
      b.gitOld = paths.oldPath;
      b.gitNew = paths.newPath;
    }
    this.endLine = ln;
    this.state = 'header';
    this.i++;
  }

  /** Reads `---`/`+++` at line index i (the `+++` line is optional) and moves past them. */
  private readMinusPlus(b: FileBuilder): void {
    const k = this.i;
    b.minus = this.pathIssue(parseHeaderPath((this.lineAt(k) ?? '').slice(4), 'a/'), k + 1);
    const plusLine = this.lineAt(k + 1) ?? '';
    let used = 2;
    if (!plusLine.startsWith('+++ ')) {
      this.report(issue('diff-bad-file-header', 'warning', "'---' line not followed by '+++'", k + 1));
      used = 1;
    } else b.plus = this.pathIssue(parseHeaderPath(plusLine.slice(4), 'b/'), k + 2);
    this.endLine = k + used;
    this.i += used;
  }

  /** Starts a hunk at line index i for the current file, and moves past its header. */
  private startHunk(line: string, ln: number): void {
    this.i++;
    const h = parseHunkHeader(line);
    if (h === null || this.cur === undefined) {
      this.report(issue('diff-bad-hunk-header', 'error', `malformed hunk header: ${clip(line)}`, ln));
      // The body of a hunk we cannot read is skipped until the next recognisable header.
      this.hunk = undefined;
      this.lastLine = undefined;
      this.skipStart = 0;
      this.state = 'seek';
      return;
    }
    // spelled out: a spread and three more properties made V8 build each hunk (and read it
    // after) on a slow path; the parse of a patch mail was about a quarter slower for it
    const hunk: Hunk = {
      oldStart: h.oldStart,
      oldLines: h.oldLines,
      newStart: h.newStart,
      newLines: h.newLines,
      section: h.section,
      headerLine: ln,
      lines: [],
      truncated: false,
    };
    this.hunk = hunk;
    this.cur.hunks.push(hunk);
    this.remOld = h.oldLines;
    this.remNew = h.newLines;
    this.oldNo = h.oldStart;
    this.newNo = h.newStart;
    this.lastLine = undefined;
    this.skipStart = 0;
    this.endLine = ln;
    this.state = this.remOld > 0 || this.remNew > 0 ? 'hunk' : 'body';
  }

  private truncate(h: Hunk, reason: string): void {
    h.truncated = true;
    const announced = `-${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines}`;
    this.report(
      issue(
        'diff-truncated-hunk',
        'error',
        `hunk ${announced} ${reason} with ${this.remOld} old and ${this.remNew} new lines missing`,
        h.headerLine,
      ),
    );
  }

  /** The body line of a hunk, as its counts announced. */
  private bodyLineOf(line: string, ln: number, c: number): DiffLine | undefined {
    if (c === CH_SPACE || c === -1) {
      // An empty line is a context line whose trailing space was eaten by a mailer.
      if (this.remOld > 0 && this.remNew > 0) {
        this.remOld--;
        this.remNew--;
        return {
          kind: 'context',
          text: c === -1 ? '' : line.slice(1),
          oldLine: this.oldNo++,
          newLine: this.newNo++,
          patchLine: ln,
        };
      }
    } else if (c === CH_MINUS) {
      if (this.remOld > 0) {
        this.remOld--;
        return { kind: 'del', text: line.slice(1), oldLine: this.oldNo++, patchLine: ln };
      }
    } else if (c === CH_PLUS) {
      if (this.remNew > 0) {
        this.remNew--;
        return { kind: 'add', text: line.slice(1), newLine: this.newNo++, patchLine: ln };
      }
    }
    return undefined;
  }

  private hunkLine(line: string, ln: number): void {
    const h = this.hunk as Hunk;
    const c = line.length === 0 ? -1 : line.charCodeAt(0);
    if (c === CH_BACKSLASH && this.lastLine !== undefined) {
      this.lastLine.noNewlineAtEof = true;
      this.endLine = ln;
      this.i++;
      return;
    }
    const dl = this.bodyLineOf(line, ln, c);
    if (dl !== undefined) {
      h.lines.push(dl);
      this.lastLine = dl;
      this.endLine = ln;
      this.i++;
      if (this.remOld === 0 && this.remNew === 0) this.state = 'body';
      return;
    }
    // The line does not fit in what the hunk still expects: the hunk ends early.
    this.hunk = undefined;
    this.lastLine = undefined;
    if (
      c === -1 ||
      line.startsWith('diff --git ') ||
      line.startsWith('@@') ||
      isSignature(line) ||
      this.isPlainHeaderAt(this.i)
    ) {
      this.truncate(h, 'ends early');
      this.state = 'body'; // re-read this line as a header
      return;
    }
    h.truncated = true;
    this.report(
      issue(
        'diff-unexpected-line',
        'error',
        `unexpected line inside hunk at line ${h.headerLine} (still expecting ${this.remOld} old and ${this.remNew} new lines): ${clip(line)}`,
        ln,
      ),
    );
    this.skipStart = 0;
    this.state = 'seek';
    this.i++;
  }

  private headerLine(line: string, ln: number): void {
    const b = this.cur as FileBuilder;
    if (line.startsWith('diff --git ')) this.startGitFile(line, ln);
    else if (line.startsWith('@@')) this.state = 'body';
    else if (line.startsWith('--- ')) {
      this.readMinusPlus(b);
      this.state = 'body';
    } else if (readExtendedHeader(b, line, ln, this.report)) {
      this.endLine = ln;
      this.i++;
      if (line.startsWith('GIT binary patch')) this.state = 'binary';
    } else {
      // Not a header line: the file diff ends here (e.g. a mode-only change before the footer).
      this.skipStart = ln;
      this.state = 'seek';
      this.i++;
    }
  }

  private binaryLine(line: string, ln: number): void {
    if (line.startsWith('diff --git ') || isSignature(line)) {
      this.state = 'body';
    } else if (line.length === 0) {
      this.endLine = ln;
      this.i++;
      const next = this.lineAt(this.i) ?? '';
      if (!(next.startsWith('literal ') || next.startsWith('delta '))) this.state = 'body';
    } else if (line.startsWith('literal ') || line.startsWith('delta ') || isBinaryDataLine(line)) {
      this.endLine = ln;
      this.i++;
    } else this.state = 'body';
  }

  /** After a hunk or the headers of a file; true at the signature separator. */
  private bodyLine(line: string, ln: number): boolean {
    if (line.startsWith('@@')) {
      this.startHunk(line, ln);
      return false;
    }
    if (line.startsWith('diff --git ')) {
      this.startGitFile(line, ln);
      return false;
    }
    const c = line.charCodeAt(0);
    if (c === CH_BACKSLASH && this.lastLine !== undefined && this.endLine === this.i) {
      this.lastLine.noNewlineAtEof = true;
      this.endLine = ln;
      this.i++;
      return false;
    }
    if (this.isPlainHeaderAt(this.i)) {
      this.readMinusPlus(this.newBuilder(ln, false));
      return false;
    }
    if (isSignature(line)) return true;
    // Leaving the diff. Content-like lines right after a complete hunk mean wrong counts.
    const previous = this.cur?.hunks[this.cur.hunks.length - 1];
    if (
      previous !== undefined &&
      this.endLine === this.i &&
      (c === CH_PLUS || c === CH_MINUS || c === CH_SPACE || c === CH_BACKSLASH)
    ) {
      this.report(
        issue(
          'diff-unexpected-line',
          'warning',
          `hunk at line ${previous.headerLine} is complete but is followed by: ${clip(line)}`,
          ln,
        ),
      );
      this.skipStart = 0;
    } else {
      this.skipStart = ln;
    }
    this.lastLine = undefined;
    this.state = 'seek';
    this.i++;
    return false;
  }

  /** Outside any diff: looking for the next file or hunk; true at the signature separator. */
  private seekLine(line: string, ln: number): boolean {
    if (line.startsWith('diff --git ')) {
      this.startGitFile(line, ln);
      return false;
    }
    if (this.isPlainHeaderAt(this.i)) {
      this.readMinusPlus(this.newBuilder(ln, false));
      this.state = 'body';
      return false;
    }
    if (line.startsWith('@@')) {
      if (this.cur === undefined) {
        // Hunk-only text without file headers (or prose that starts with '@@').
        if (parseHunkHeader(line) !== null) {
          this.report(issue('diff-orphan-hunk', 'warning', 'hunk header outside any file diff; skipped', ln));
        }
        this.i++;
        return false;
      }
      if (this.skipStart > 0) {
        this.report(
          issue(
            'diff-unexpected-line',
            'warning',
            `lines ${this.skipStart}-${ln - 1} inside the diff of ${displayPath(this.cur)} were skipped`,
            this.skipStart,
          ),
        );
      }
      this.startHunk(line, ln);
      return false;
    }
    if (this.builders.length > 0 && isSignature(line)) return true;
    this.i++;
    return false;
  }
}

/** Handles one git extended header line; returns false when the line is not one. */
function readExtendedHeader(b: FileBuilder, line: string, ln: number, report: Report): boolean {
  const path = (rest: string): string => {
    const r = parsePlainPath(rest);
    if (!r.ok) report(issue('diff-bad-path', 'warning', 'malformed quoted path; kept as written', ln));
    return r.path ?? rest;
  };
  switch (line.charCodeAt(0)) {
    case 0x6f: // o
      if (line.startsWith('old mode ')) {
        b.oldMode = line.slice(9).trim();
        return true;
      }
      return false;
    case 0x6e: // n
      if (line.startsWith('new file mode ')) {
        b.isNew = true;
        b.newMode = line.slice(14).trim();
        return true;
      }
      if (line.startsWith('new mode ')) {
        b.newMode = line.slice(9).trim();
        return true;
      }
      return false;
    case 0x64: // d
      if (line.startsWith('deleted file mode ')) {
        b.isDeleted = true;
        b.oldMode = line.slice(18).trim();
        return true;
      }
      if (line.startsWith('dissimilarity index ')) return true;
      return false;
    case 0x73: // s
      if (line.startsWith('similarity index ')) {
        const v = parsePercent(line.slice(17));
        if (v === undefined) {
          report(issue('diff-bad-file-header', 'warning', `malformed similarity: ${clip(line)}`, ln));
        } else {
          b.similarity = v;
        }
        return true;
      }
      return false;
    case 0x72: // r
      if (line.startsWith('rename from ')) {
        b.renameFrom = path(line.slice(12));
        return true;
      }
      if (line.startsWith('rename to ')) {
        b.renameTo = path(line.slice(10));
        return true;
      }
      // Spelling used by very old git versions.
      if (line.startsWith('rename old ')) {
        b.renameFrom = path(line.slice(11));
        return true;
      }
      if (line.startsWith('rename new ')) {
        b.renameTo = path(line.slice(11));
        return true;
      }
      return false;
    case 0x63: // c
      if (line.startsWith('copy from ')) {
        b.copyFrom = path(line.slice(10));
        return true;
      }
      if (line.startsWith('copy to ')) {
        b.copyTo = path(line.slice(8));
        return true;
      }
      return false;
    case 0x69: // i
      if (line.startsWith('index ')) {
        const rest = line.slice(6);
        const dots = rest.indexOf('..');
        if (dots <= 0) {
          report(issue('diff-bad-file-header', 'warning', `malformed index line: ${clip(line)}`, ln));
          return true;
        }
        const space = rest.indexOf(' ', dots);
        b.indexOld = rest.slice(0, dots);
        b.indexNew = space < 0 ? rest.slice(dots + 2) : rest.slice(dots + 2, space);
        if (space >= 0) {
          const mode = rest.slice(space + 1).trim();
          if (mode.length > 0) {
            b.oldMode ??= mode;
            b.newMode ??= mode;
          }
        }
        return true;
      }
      return false;
    case 0x42: // B
      if (line.startsWith('Binary files ')) {
        b.binary = true;
        return true;
      }
      return false;
    case 0x47: // G
      if (line.startsWith('GIT binary patch')) {
        b.binary = true;
        return true;
      }
      return false;
    default:
      return false;
  }
}

function finishFile(b: FileBuilder, report: Report): FileDiff {
  let status: FileStatus;
  if (b.isNew || (b.minus === null && b.plus !== null)) status = 'added';
  else if (b.isDeleted || (b.plus === null && b.minus !== null)) status = 'deleted';
  else if (b.renameFrom !== undefined || b.renameTo !== undefined) status = 'renamed';
  else if (b.copyFrom !== undefined || b.copyTo !== undefined) status = 'copied';
  else status = 'modified';

  let oldPath: string | null =
    b.renameFrom ?? b.copyFrom ?? (b.minus !== undefined ? b.minus : (b.gitOld ?? null));
  let newPath: string | null = b.renameTo ?? b.copyTo ?? (b.plus !== undefined ? b.plus : (b.gitNew ?? null));
  if (status === 'added') {
    oldPath = null;
    newPath ??= b.gitNew ?? b.gitOld ?? null;
  } else if (status === 'deleted') {
    newPath = null;
    oldPath ??= b.gitOld ?? b.gitNew ?? null;
  }
  if (oldPath === null && newPath === null) {
    report(issue('diff-bad-file-header', 'warning', 'file diff without any usable path', b.headerLine));
  }

  const f: FileDiff = {
    oldPath,
    newPath,
    path: newPath ?? oldPath ?? '',
    status,
    binary: b.binary,
    headerLine: b.headerLine,
    hunks: b.hunks,
  };
  if (b.oldMode !== undefined) f.oldMode = b.oldMode;
  if (b.newMode !== undefined) f.newMode = b.newMode;
  if (b.similarity !== undefined) f.similarity = b.similarity;
  if (b.indexOld !== undefined) f.indexOld = b.indexOld;
  if (b.indexNew !== undefined) f.indexNew = b.indexNew;

  if (f.hunks.length === 0 && expectsHunks(b)) {
    report(
      issue(
        'diff-missing-hunks',
        'error',
        `diff of ${f.path} announces a content change but has no hunks (truncated?)`,
        b.headerLine,
      ),
    );
  }
  return f;
}

function expectsHunks(b: FileBuilder): boolean {
  if (b.binary) return false;
  if (b.minus !== undefined || b.plus !== undefined) return true;
  if (b.indexOld === undefined || b.indexNew === undefined) return false;
  if (b.indexOld === b.indexNew) return false;
  return !(isEmptyBlob(b.indexOld) && isEmptyBlob(b.indexNew));
}

function displayPath(b: FileBuilder): string {
  return b.renameTo ?? b.copyTo ?? b.plus ?? b.gitNew ?? b.minus ?? b.gitOld ?? '?';
}

function clip(line: string): string {
  return line.length > 60 ? `${JSON.stringify(line.slice(0, 60))}...` : JSON.stringify(line);
}

/**
 * The diff that adds `text` as a new file at `path`: one hunk, every line added, as `git diff`
 * gives it (a final newline ends the last line; it adds no empty line).
 */
export function addedFileDiff(path: string, text: string): FileDiff {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return {
    oldPath: null,
    newPath: path,
    path,
    status: 'added',
    binary: false,
    headerLine: 1,
    hunks: [
      {
        oldStart: 0,
        oldLines: 0,
        newStart: 1,
        newLines: lines.length,
        section: '',
        headerLine: 1,
        truncated: false,
        lines: lines.map((t, i) => ({ kind: 'add' as const, text: t, newLine: i + 1, patchLine: i + 2 })),
      },
    ],
  };
}
