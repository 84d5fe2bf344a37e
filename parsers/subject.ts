/**
 * Patch mail subject -> SubjectInfo, using the vocabulary b4 and patchwork use for the leading
 * `[PATCH ...]` groups: PATCH/RFC/RESEND flags, the series revision (`v3`, `PATCHv3`), the
 * `n/N` counter and a tree hint (`net-next`, `6.1`, ...).
 *
 * Everything here scans the input once, with bounded or anchored regular expressions, so a
 * hostile subject of any length is handled in linear time. Nothing throws.
 */
import { sanitizeCounting } from './text/controls.js';
import { type Issue, issue, type Parsed } from './types.js';

export interface SubjectInfo {
  /** The subject as given, after header unfolding, with control characters replaced by spaces. */
  raw: string;
  /** Starts with Re:/RE:/Aw:/Fwd:/Fw: (any number of them, any case, also `Re[2]:`). */
  reply: boolean;
  /** Every token of the leading bracket groups (or bracketless leading prefix), in order, as written. */
  prefixes: string[];
  /** A PATCH token (PATCH, PATCHv2, PATCH-v2, PATCHSET...) was present. */
  patch: boolean;
  /** An RFC token (RFC, RFCv2, RFC/PATCH...) was present. */
  rfc: boolean;
  /** A RESEND token was present. */
  resend: boolean;
  /** The series revision: `vN`, `PATCHvN`, `RFCvN`; 1 when absent. */
  revision: number;
  /** n in `n/N`; null when absent. */
  counter: number | null;
  /** N in `n/N`; null when absent. */
  expected: number | null;
  /** The first prefix token that is no known keyword, e.g. 'net-next', 'bpf', '6.1'; null when none. */
  treeHint: string | null;
  /** The subject without reply markers and prefixes, trimmed, inner whitespace collapsed. */
  title: string;
  /** `title` lowercased (whitespace already collapsed), for matching revisions of a series. */
  normalizedTitle: string;
}

/** Subjects longer than this are reported; they are still parsed in full. */
const SUBJECT_MAX_LENGTH = 1000;

/** Header folding: a line break followed by whitespace is removed (RFC 5322 unfolding). */
const FOLD_RE = /\r?\n(?=[ \t])/g;
const WHITESPACE_RE = /\s+/g;

/** One reply marker at the current position (sticky). Numbers are bounded to keep it linear. */
const REPLY_RE = /(?:re|aw|fwd?)(?:\[\d{1,6}\]|\(\d{1,6}\))?[ \t]*:/iy;

const COUNTER_RE = /^(\d{1,6})\/(\d{1,6})$/;
const REVISION_RE = /^v(\d{1,6})$/i;
/** A keyword, optionally glued to a revision: PATCH, PATCHv2, RFCv3, RESEND... */
const KEYWORD_RE = /^(patchset|patch|rfc|resend)(?:v(\d{1,6}))?$/i;
/** Separators inside one compound token: PATCH-v2, RFC/PATCH, PATCH_v3. */
const COMPOUND_SEP_RE = /[-_/]/;
/** Words that say what kind of mail this is, never which tree it is for. */
const NON_TREE_WORDS = new Set(['git', 'pull', 'rft', 'repost', 'autosel', 'announce']);

interface TokenFacts {
  known: boolean;
  patch: boolean;
  rfc: boolean;
  resend: boolean;
  /** Revision numbers as written in the token (PATCHv2-v3 would give two). */
  revisions: number[];
  counter: [number, number] | null;
}

function classifyPart(part: string, facts: TokenFacts): boolean {
  const rev = REVISION_RE.exec(part);
  if (rev) {
    facts.revisions.push(Number(rev[1]));
    return true;
  }
  const kw = KEYWORD_RE.exec(part);
  if (!kw) return false;
  const word = (kw[1] as string).toLowerCase();
  if (word === 'rfc') facts.rfc = true;
  else if (word === 'resend') facts.resend = true;
  else facts.patch = true;
  if (kw[2] !== undefined) facts.revisions.push(Number(kw[2]));
  return true;
}

/** What one prefix token says. A compound token counts only when every part of it is known. */
function classifyToken(token: string): TokenFacts {
  const facts: TokenFacts = {
    known: false,
    patch: false,
    rfc: false,
    resend: false,
    revisions: [],
    counter: null,
  };
  const counter = COUNTER_RE.exec(token);
  if (counter) {
    facts.counter = [Number(counter[1]), Number(counter[2])];
    facts.known = true;
    return facts;
  }
  const parts = token.split(COMPOUND_SEP_RE);
  const scratch: TokenFacts = { ...facts, revisions: [] };
  if (parts.every((p) => classifyPart(p, scratch))) return { ...scratch, known: true };
  return facts;
}

function isWhitespace(ch: string | undefined): boolean {
  return ch === ' ' || ch === '\t';
}

function collapse(text: string): string {
  return text.replace(WHITESPACE_RE, ' ').trim();
}

/**
 * Unfold, then replace control characters (the `subject` policy: whole ANSI CSI sequences, every
 * other C0/C1 control character, DEL and the Unicode line/paragraph separators become a space);
 * tabs become plain spaces without an issue.
 */
function sanitize(subject: string, issues: Issue[]): string {
  const { text: cleaned, count: controls } = sanitizeCounting(
    subject.replace(FOLD_RE, '').replace(/\t/g, ' '),
    'subject',
  );
  if (controls > 0) {
    issues.push(
      issue(
        'subject-control-chars',
        'warning',
        `subject contains ${controls} control character${controls === 1 ? '' : 's'} or escape sequence${controls === 1 ? '' : 's'}, replaced by spaces`,
      ),
    );
  }
  return cleaned;
}

/** Skips reply markers from position 0; returns where the rest starts. */
function skipReplyMarkers(s: string): { pos: number; reply: boolean } {
  let pos = 0;
  let reply = false;
  for (;;) {
    while (isWhitespace(s[pos])) pos++;
    REPLY_RE.lastIndex = pos;
    if (!REPLY_RE.test(s)) return { pos, reply };
    pos = REPLY_RE.lastIndex;
    reply = true;
  }
}

interface PrefixScan {
  tokens: string[];
  /** Where the title starts. */
  pos: number;
  bracketless: boolean;
}

/** Consumes `[...]` groups at `start`. Unbalanced or nested brackets end the prefix. */
function scanBracketGroups(s: string, start: number, issues: Issue[]): PrefixScan {
  const tokens: string[] = [];
  let pos = start;
  for (;;) {
    let i = pos;
    while (isWhitespace(s[i])) i++;
    if (s[i] !== '[') return { tokens, pos, bracketless: false };
    let j = i + 1;
    while (j < s.length && s[j] !== ']' && s[j] !== '[') j++;
    if (s[j] !== ']') {
      issues.push(
        issue(
          'subject-unbalanced-bracket',
          'warning',
          s[j] === '['
            ? `nested '[' in the subject prefix at column ${j + 1}; the rest is taken as the title`
            : `'[' at column ${i + 1} of the subject prefix is never closed; the rest is taken as the title`,
        ),
      );
      return { tokens, pos: i, bracketless: false };
    }
    for (const t of s.slice(i + 1, j).split(/[\s,]+/)) if (t !== '') tokens.push(t);
    pos = j + 1;
  }
}

/**
 * A prefix written without brackets (`PATCH v2 0/9 mm: foo`). Taken only when the subject starts
 * with an upper-case PATCH or RFC token, and, for a bare RFC, when another known token follows
 * (or the RFC token carries a revision), so that 'RFC 8259 compliance' stays a title.
 */
function scanBracketless(s: string, start: number): PrefixScan | null {
  const re = /\S+/g;
  re.lastIndex = start;
  const tokens: string[] = [];
  let pos = start;
  let strong = false;
  for (let m = re.exec(s); m !== null; m = re.exec(s)) {
    const token = m[0];
    const facts = classifyToken(token);
    if (!facts.known) break;
    if (tokens.length === 0 && !/^(?:PATCH|RFC)/.test(token)) return null;
    if (facts.patch || facts.revisions.length > 0 || tokens.length > 0) strong = true;
    tokens.push(token);
    pos = m.index + token.length;
  }
  if (!strong) return null;
  return { tokens, pos, bracketless: true };
}

export function parseSubject(subject: string): Parsed<SubjectInfo> {
  const issues: Issue[] = [];
  const input = typeof subject === 'string' ? subject : '';
  const raw = sanitize(input, issues);
  if (raw.length > SUBJECT_MAX_LENGTH) {
    issues.push(
      issue(
        'subject-too-long',
        'warning',
        `subject is ${raw.length} characters long (more than ${SUBJECT_MAX_LENGTH})`,
      ),
    );
  }

  const { pos: afterReply, reply } = skipReplyMarkers(raw);
  let scan = scanBracketGroups(raw, afterReply, issues);
  if (scan.tokens.length === 0 && scan.pos === afterReply) {
    scan = scanBracketless(raw, afterReply) ?? scan;
  }

  let patch = false;
  let rfc = false;
  let resend = false;
  let revision: number | null = null;
  let counter: [number, number] | null = null;
  let treeHint: string | null = null;
  for (const token of scan.tokens) {
    const facts = classifyToken(token);
    if (!facts.known) {
      if (treeHint === null && !NON_TREE_WORDS.has(token.toLowerCase())) treeHint = token;
      continue;
    }
    patch ||= facts.patch;
    rfc ||= facts.rfc;
    resend ||= facts.resend;
    for (const rev of facts.revisions) {
      if (rev < 1) {
        issues.push(issue('subject-bad-revision', 'warning', `revision '${token}' is not a positive number`));
      } else if (revision === null) {
        revision = rev;
      } else if (rev !== revision) {
        issues.push(
          issue(
            'subject-conflicting-revision',
            'warning',
            `subject gives revision v${revision} and v${rev}; keeping v${revision}`,
          ),
        );
      }
    }
    if (facts.counter) {
      const [n, total] = facts.counter;
      if (counter === null) {
        counter = facts.counter;
        if (total === 0 || n > total) {
          issues.push(issue('subject-bad-counter', 'warning', `patch counter '${token}' is out of range`));
        }
      } else if (counter[0] !== n || counter[1] !== total) {
        issues.push(
          issue(
            'subject-conflicting-counter',
            'warning',
            `subject gives patch counter ${counter[0]}/${counter[1]} and ${n}/${total}; keeping the first`,
          ),
        );
      }
    }
  }

  if (scan.bracketless) {
    issues.push(issue('subject-missing-brackets', 'info', 'subject prefix is not enclosed in [brackets]'));
  }

  const title = collapse(raw.slice(scan.pos));
  if (raw.trim() === '') {
    issues.push(issue('subject-empty', 'warning', 'subject is empty'));
  } else if (title === '') {
    issues.push(issue('subject-empty-title', 'warning', 'subject has a prefix but no title'));
  }

  return {
    value: {
      raw,
      reply,
      prefixes: scan.tokens,
      patch,
      rfc,
      resend,
      revision: revision ?? 1,
      counter: counter ? counter[0] : null,
      expected: counter ? counter[1] : null,
      treeHint,
      title,
      normalizedTitle: title.toLowerCase(),
    },
    issues,
  };
}
