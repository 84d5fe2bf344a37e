/**
 * kapi-return-convention: the return description of a syscall spec describes libc's convention
 * ("returns -1 and sets errno", "On error, -1 is returned") instead of the kernel's: a syscall
 * returns a negative error code (-EINVAL), and it is the C library that turns that into -1 and
 * errno. Florian Weimer on RFC v1 execve: "Is the -1 part correct?"
 */
import type { ApiSpec } from '../../parsers/kapi/model.js';
import { defineCheck, type RuleContext } from '../define.js';
import { evidenceAt } from '../unit.js';

/** A plain -1 (not n-1, -10, -1UL or 0..-1 of a range written as an expression). */
const MINUS_ONE = /(?<![\w)\].-])-1(?![\w.])/;
/** errno being set: "sets errno", "errno is set", "with errno set to EINTR", "errno = EINVAL". */
const ERRNO_SET =
  /\b(?:sets?|setting)\s+(?:the\s+)?errno\b|\berrno\s+(?:is\s+|will\s+be\s+|gets\s+)?set\b|\berrno\s*=|\b(?:stored|placed|reported)\s+in\s+errno\b/i;

/** What in the text shows libc's convention, for the message; null when nothing does. */
export function libcConvention(text: string): string | null {
  const e = ERRNO_SET.exec(text);
  if (e) return e[0];
  const m = MINUS_ONE.exec(text);
  if (m) return '-1';
  return null;
}

/** The same text in the kernel's convention, when the rewrite is mechanical; null otherwise. */
export function kernelWording(text: string): string | null {
  let t = text;
  // errno clauses go: ", and errno is set appropriately", "and sets errno to EINVAL", "(errno set)"
  t = t.replace(/\s*\(\s*(?:with\s+)?errno\s+(?:is\s+)?set\b[^)]*\)/gi, '');
  t = t.replace(
    /,?\s*(?:and|with)\s+errno\s+(?:is\s+|will\s+be\s+)?set(?:\s+(?:appropriately|accordingly|to\s+indicate\s+the\s+error|to\s+-?E[A-Z0-9_]+))?/gi,
    '',
  );
  t = t.replace(
    /,?\s*and\s+sets?\s+(?:the\s+)?errno(?:\s+(?:appropriately|accordingly|to\s+indicate\s+the\s+error|to\s+-?E[A-Z0-9_]+))?/gi,
    '',
  );
  t = t.replace(new RegExp(MINUS_ONE.source, 'g'), 'a negative error code');
  if (t === text || !/negative error code/.test(t) || libcConvention(t) !== null) return null;
  return t;
}

interface ReturnText {
  subject: string;
  what: string;
  text: string;
  line: number;
}

/** The lines a text spans: the line where it is set and the continuation lines after it. */
function lineWith(ctx: Ctx, spec: ApiSpec, from: number, needle: string): number {
  for (let n = from; n <= spec.endLine && n < from + 8; n++)
    if ((ctx.unit.line(n) ?? '').includes(needle)) return n;
  return from;
}

const messages = {
  libc: "{spec}: {what} describes libc's convention ('{phrase}'); the syscall itself returns a negative error code such as -EINVAL",
};

type Ctx = RuleContext<typeof messages>;

export const check = defineCheck({
  meta: {
    id: 'kapi-return-convention',
    description:
      "A syscall's return description gives libc's -1/errno convention instead of the kernel's negative error code.",
    severity: 'warning',
    messages,
  },
  run(ctx) {
    for (const spec of ctx.unit.specs) {
      if (spec.partial || spec.kind !== 'syscall') continue;
      const texts: ReturnText[] = [];
      const desc = [...spec.assignments]
        .reverse()
        .find((a) => a.block === 'return' && a.field === 'description');
      if (desc && desc.via !== 'Return:')
        texts.push({
          subject: 'return.description',
          what: 'the return description',
          text: desc.value,
          line: desc.line,
        });
      const kdReturns = spec.kerneldoc?.returns;
      if (kdReturns) {
        let line = spec.line;
        for (let n = spec.line; n <= spec.endLine; n++)
          if (/^\s*\*\s*returns?:\s*\S/i.test(ctx.unit.line(n) ?? '')) {
            line = n;
            break;
          }
        texts.push({ subject: 'Return', what: 'the Return: section', text: kdReturns, line });
      }
      for (const t of texts) {
        const phrase = libcConvention(t.text);
        if (phrase === null) continue;
        const line =
          phrase === '-1' ? lineWith(ctx, spec, t.line, '-1') : lineWith(ctx, spec, t.line, 'errno');
        const lineText = ctx.unit.line(line) ?? '';
        const evidence = [{ path: ctx.unit.path, line, text: lineText.trim() }];
        if (line !== t.line) evidence.unshift(evidenceAt(ctx.unit, t.line));
        // the suggestion is the line rewritten, when the whole libc phrase sits on it
        const rewritten = kernelWording(lineText);
        ctx.report({
          messageId: 'libc',
          data: { spec: spec.name, what: t.what, phrase },
          line,
          spec: spec.name,
          subject: t.subject,
          evidence,
          ...(rewritten !== null ? { suggestion: rewritten } : {}),
        });
      }
    }
  },
});
