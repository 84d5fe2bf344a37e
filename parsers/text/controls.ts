/**
 * Control characters in text that came from mail or a patch, removed or blanked according to
 * where the text goes next. One table of named policies, so that each destination says once what
 * it cannot carry (`yes`: replaced):
 *
 * | policy       | tab  | LF    | CR    | DEL  | C1   | U+2028/9 | ESC [ ... | becomes |
 * | ------------ | ---- | ----- | ----- | ---- | ---- | -------- | --------- | ------- |
 * | terminal     | kept | kept  | yes   | yes  | yes  | kept     | per char  | space   |
 * | terminalLine | yes  | yes   | yes   | yes  | yes  | yes      | per char  | space   |
 * | markdown     | kept | kept  | yes   | yes  | kept | kept     | per char  | dropped |
 * | mailHeader   | yes  | yes   | yes   | yes  | yes  | yes      | per char  | space   |
 * | mailBody     | kept | yes   | yes   | yes  | yes  | yes      | per char  | space   |
 * | headerField  | kept | space | space | kept | kept | kept     | per char  | dropped |
 * | subject      | yes  | yes   | yes   | yes  | yes  | yes      | whole     | space   |
 *
 * The other C0 characters (U+0000 to U+001F) are replaced under every policy.
 *
 * - terminal: what a terminal would act on (C1 includes the 8-bit CSI); tab and newline lay out
 *   the report.
 * - terminalLine: one line of a line-oriented report (`check --format line`), which b4 and editors
 *   split on any line break: nothing may start another line.
 * - markdown: GitHub bodies and annotations; tab and newline are the caller's to handle.
 * - mailHeader: a header value we write; nothing may end the line or start another field.
 * - mailBody: a line of a plain-text mail body.
 * - headerField: reading a header field (parsers/headers.ts): line breaks separate words, other
 *   C0 characters are dropped; DEL and C1 are left to the charset decoders.
 * - subject: reading a subject (parsers/subject.ts): a whole ANSI CSI sequence is one control,
 *   so that `ESC [ 3 1 m` leaves no `[31m` behind; the count is reported as an issue.
 *
 * Pure; never throws.
 */

export interface ControlPolicy {
  /** What a control character (or a whole escape sequence) becomes. */
  replacement: '' | ' ';
  /** Passed through unchanged. */
  keepTab: boolean;
  keepLineFeed: boolean;
  /** CR and LF become a space even where the other control characters are dropped. */
  lineBreaksToSpace: boolean;
  /** U+007F. */
  del: boolean;
  /** U+0080 to U+009F. */
  c1: boolean;
  /** The Unicode line and paragraph separators, U+2028 and U+2029. */
  separators: boolean;
  /** An ANSI CSI sequence (`ESC [` parameters, intermediates, final byte) counts as one control. */
  csi: boolean;
}

/** A header value we write: the policy the others are told by their differences from. */
const MAIL_HEADER: ControlPolicy = {
  replacement: ' ',
  keepTab: false,
  keepLineFeed: false,
  lineBreaksToSpace: false,
  del: true,
  c1: true,
  separators: true,
  csi: false,
};

const policy = (differences: Partial<ControlPolicy>): ControlPolicy => ({ ...MAIL_HEADER, ...differences });

export const CONTROL_POLICIES = {
  terminal: policy({ keepTab: true, keepLineFeed: true, separators: false }),
  terminalLine: policy({}),
  markdown: policy({ replacement: '', keepTab: true, keepLineFeed: true, c1: false, separators: false }),
  mailHeader: MAIL_HEADER,
  mailBody: policy({ keepTab: true }),
  headerField: policy({
    replacement: '',
    keepTab: true,
    lineBreaksToSpace: true,
    del: false,
    c1: false,
    separators: false,
  }),
  subject: policy({ csi: true }),
} as const satisfies Record<string, ControlPolicy>;

export type ControlPolicyName = keyof typeof CONTROL_POLICIES;

/** The pattern of everything `p` replaces: one match a character, or a whole CSI sequence. */
function controlPattern(p: ControlPolicy): RegExp {
  const ranges = ['\\u0000-\\u0008'];
  if (!p.keepTab) ranges.push('\\u0009');
  if (!p.keepLineFeed) ranges.push('\\u000a');
  ranges.push('\\u000b-\\u001f');
  if (p.del) ranges.push('\\u007f');
  if (p.c1) ranges.push('\\u0080-\\u009f');
  if (p.separators) ranges.push('\\u2028\\u2029');
  const one = `[${ranges.join('')}]`;
  return new RegExp(p.csi ? `\\u001b\\[[0-?]*[ -/]*[@-~]|${one}` : one, 'g');
}

type Replacer = string | ((match: string) => string);

function replacerOf(p: ControlPolicy): Replacer {
  if (!p.lineBreaksToSpace) return p.replacement;
  return (c) => (c === '\r' || c === '\n' ? ' ' : p.replacement);
}

const COMPILED = new Map<ControlPolicyName, { re: RegExp; replacer: Replacer }>(
  (Object.keys(CONTROL_POLICIES) as ControlPolicyName[]).map((name) => {
    const p: ControlPolicy = CONTROL_POLICIES[name];
    return [name, { re: controlPattern(p), replacer: replacerOf(p) }];
  }),
);

function compiled(policy: ControlPolicyName): { re: RegExp; replacer: Replacer } {
  return COMPILED.get(policy) as { re: RegExp; replacer: Replacer };
}

/** `text` with the control characters of `policy` removed or blanked. */
export function sanitize(text: string, policy: ControlPolicyName): string {
  const { re, replacer } = compiled(policy);
  // a string and a function replacer take different overloads
  return typeof replacer === 'string' ? text.replace(re, replacer) : text.replace(re, replacer);
}

/** `sanitize`, and how many control characters (or whole sequences) it replaced. */
export function sanitizeCounting(text: string, policy: ControlPolicyName): { text: string; count: number } {
  const { re, replacer } = compiled(policy);
  let count = 0;
  const out = text.replace(re, (m) => {
    count++;
    return typeof replacer === 'string' ? replacer : replacer(m);
  });
  return { text: out, count };
}
