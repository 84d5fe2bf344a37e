/**
 * kapi-desc-duplicated: the same prose written twice in one spec. The long description repeats
 * the description or the kerneldoc paragraph above it (Corbet on RFC v2 01: "Why duplicate the
 * long description?"), an entry's condition and description say the same, or two entries of one
 * kind share a description (a copy-paste slip). Texts are compared whitespace-normalized and
 * case-insensitively; "repeats" is equality of a substantive text (at least 20 characters and 3
 * words, so "None" never fires) or containment of a text of at least 40 characters.
 */
import { canonicalErrno } from '../parsers/c/errno.js';
import type { ApiSpec, FieldAssignment } from '../parsers/kapi/model.js';
import type { Check, CheckContext, Evidence } from './types.js';
import { evidenceAt } from './unit.js';

const MIN_EQUAL_CHARS = 20;
const MIN_EQUAL_WORDS = 3;
const MIN_CONTAINED_CHARS = 40;

/** Whitespace-normalized, case-insensitive, without closing punctuation. */
export function normalizeText(s: string): string {
  return s
    .replace(/\s+/g, ' ')
    .trim()
    .toLowerCase()
    .replace(/[\s.;,:]+$/, '');
}

const isWordChar = (c: string | undefined): boolean => c !== undefined && /[a-z0-9_]/.test(c);

/** Does one text repeat the other (equal and substantive, or the shorter one, long, inside the other)? */
export function repeats(a: string, b: string): boolean {
  const x = normalizeText(a);
  const y = normalizeText(b);
  if (x === '' || y === '') return false;
  if (x === y) return x.length >= MIN_EQUAL_CHARS && x.split(' ').length >= MIN_EQUAL_WORDS;
  const [short, long] = x.length < y.length ? [x, y] : [y, x];
  if (short.length < MIN_CONTAINED_CHARS) return false;
  for (let at = long.indexOf(short); at >= 0; at = long.indexOf(short, at + 1))
    if (!isWordChar(long[at - 1]) && !isWordChar(long[at + short.length])) return true;
  return false;
}

/** Free-text fields (names, types, codes, targets and expressions are not prose). */
const PROSE = new Set([
  'description',
  'long_description',
  'notes',
  'condition',
  'allows',
  'without_cap',
  'check_condition',
  'constraints',
]);

const FIELD_LABEL: Record<string, string> = {
  description: 'description',
  long_description: 'long description',
  notes: 'notes text',
  condition: 'condition',
  allows: "'allows' text",
  without_cap: "'without' text",
  check_condition: 'condition',
  constraints: 'constraint text',
};

const KIND_LABEL: Record<string, string> = {
  param: 'param',
  error: 'error',
  lock: 'lock',
  signal: 'signal',
  signal_mask: 'signal mask',
  side_effect: 'side effect',
  state_trans: 'state transition',
  capability: 'capability',
  constraint: 'constraint',
  struct: 'struct',
};

/**
 * Entry kinds whose descriptions are compared with each other. Not params (several may be
 * "Reserved, must be zero") and not signals (a group handled alike, such as RFC v2 epoll's SIGINT
 * and SIGTERM, is naturally described by one text).
 */
const SIBLING_KINDS = new Set(['error', 'lock', 'side_effect', 'state_trans', 'capability', 'constraint']);

/** Fields the parsers fill from another source, not written as KAPI text. */
function derived(a: FieldAssignment): boolean {
  return (
    a.via === 'summary' ||
    a.via === 'Return:' ||
    a.via.includes('>') || // a helper macro's fixed text (KAPI_ERROR_EINVAL>KAPI_ERROR)
    (a.block.startsWith('param[') && a.field === 'description' && /^@\w+:$/.test(a.via))
  );
}

interface Text {
  subject: string;
  label: string;
  value: string;
  line: number;
}

/** The block label's kind and its display name: 'error[2]' -> ['error', 'EINVAL']. */
function entryNames(spec: ApiSpec): Map<string, { kind: string; name: string }> {
  const out = new Map<string, { kind: string; name: string }>();
  const NAME_FIELDS: Record<string, string[]> = {
    error: ['error_code', 'name'],
    param: ['name'],
    lock: ['lock_name'],
    signal: ['signal_name'],
    capability: ['capability', 'cap_name'],
    constraint: ['name'],
    signal_mask: ['mask_name'],
    struct: ['name'],
  };
  for (const a of spec.assignments) {
    const m = /^([a-z_]+)\[([^\]]*)\]$/.exec(a.block);
    if (!m) continue;
    const kind = m[1] as string;
    if (!out.has(a.block)) out.set(a.block, { kind, name: m[2] as string });
    const fields = NAME_FIELDS[kind];
    const entry = out.get(a.block) as { kind: string; name: string; named?: boolean };
    if (!fields?.includes(a.field) || entry.named) continue;
    let name = a.value.trim();
    if (kind === 'error') {
      const e = /-?\s*(E[A-Z0-9_]+)/.exec(name);
      if (!e) continue;
      name = e[1] as string;
    }
    if (name === '' || /[\s\]]/.test(name)) continue;
    entry.name = name;
    entry.named = true;
  }
  return out;
}

/** A line of the spec's comment, by its text with the comment markers removed. */
function findLine(ctx: CheckContext, spec: ApiSpec, pred: (text: string) => boolean): number | null {
  for (let n = spec.line; n <= spec.endLine; n++) {
    const raw = ctx.unit.line(n);
    if (raw === undefined) continue;
    const text = raw
      .replace(/^\s*\/\*\*/, '')
      .replace(/^\s*\*(?!\/)\s?/, '')
      .trim();
    if (text !== '' && pred(text)) return n;
  }
  return null;
}

export const check: Check = {
  meta: {
    id: 'kapi-desc-duplicated',
    description:
      'The long description repeats the description or the kerneldoc paragraph, or one text appears in two fields of a spec.',
    severity: 'warning',
    messages: {
      repeats: '{spec}: {what} repeats {other}',
    },
  },
  run(ctx) {
    for (const spec of ctx.unit.specs) {
      if (spec.partial) continue;
      const reported = new Set<string>();
      const evidenceOf = (t: Text): Evidence => evidenceAt(ctx.unit, t.line);
      const report = (dup: Text, orig: Text, what = dup.label, other = orig.label): void => {
        if (reported.has(dup.subject)) return;
        reported.add(dup.subject);
        const evidence = [evidenceOf(dup)];
        if (orig.line !== dup.line) evidence.push(evidenceOf(orig));
        ctx.report({
          messageId: 'repeats',
          data: { spec: spec.name, what, other },
          line: dup.line,
          spec: spec.name,
          subject: dup.subject,
          evidence,
        });
      };

      // the effective (last) written value of each prose field, per block
      const names = entryNames(spec);
      const last = new Map<string, FieldAssignment>();
      for (const a of spec.assignments) if (PROSE.has(a.field)) last.set(`${a.block}\u0000${a.field}`, a);
      const written = [...last.values()].filter((a) => !derived(a) && a.value.trim() !== '');
      const textOf = (a: FieldAssignment): Text => {
        const field = FIELD_LABEL[a.field] ?? a.field;
        if (a.block === 'spec')
          return { subject: a.field, label: `the ${field}`, value: a.value, line: a.line };
        if (a.block === 'return')
          return {
            subject: `return.${a.field}`,
            label: `the return ${field}`,
            value: a.value,
            line: a.line,
          };
        const e = names.get(a.block);
        const kind = e?.kind ?? a.block;
        const name = e?.name ?? '';
        return {
          subject: `${kind}[${name}].${a.field}`,
          label: `the ${field} of ${KIND_LABEL[kind] ?? kind} ${name}`,
          value: a.value,
          line: a.line,
        };
      };

      // (A) spec level: long description and notes against the description and the kerneldoc text
      const top = (field: string): Text | null => {
        const a = written.find((x) => x.block === 'spec' && x.field === field);
        return a ? textOf(a) : null;
      };
      const kd = spec.kerneldoc;
      const kdSummary: Text | null =
        kd?.summary != null
          ? {
              subject: 'kerneldoc.summary',
              label: 'the kerneldoc summary line',
              value: kd.summary,
              line:
                findLine(ctx, spec, (t) => t.endsWith(kd.summary as string) && / -+ /.test(t)) ?? spec.line,
            }
          : null;
      const kdParagraph: Text | null =
        kd?.description != null
          ? {
              subject: 'kerneldoc.description',
              label: 'the kerneldoc description paragraph',
              value: kd.description,
              line:
                findLine(
                  ctx,
                  spec,
                  (t) =>
                    t.length >= 10 &&
                    !/^@?[\w.-]+\s*:/.test(t) &&
                    normalizeText(kd.description as string).startsWith(normalizeText(t)),
                ) ?? spec.line,
            }
          : null;
      const description = top('description');
      const longDesc = top('long_description');
      const notes = top('notes');
      const candidates: [Text | null, (Text | null)[]][] = [
        [description, [kdSummary, kdParagraph]],
        [longDesc, [description ?? kdSummary, kdParagraph]],
        [notes, [description ?? kdSummary, kdParagraph, longDesc]],
      ];
      for (const [dup, origs] of candidates) {
        if (!dup) continue;
        const orig = origs.find((o) => o !== null && repeats(dup.value, o.value));
        if (orig) report(dup, orig);
      }

      // (D) kerneldoc: a param's desc: that repeats its @name: line, a return desc: that repeats Return:
      if (kd) {
        for (const a of written) {
          const m = /^param\[/.test(a.block) && a.field === 'description';
          if (!m) continue;
          const t = textOf(a);
          const pname = names.get(a.block)?.name;
          const kp = kd.params.find((p) => p.name === pname);
          if (kp && repeats(a.value, kp.description))
            report(t, { subject: `@${kp.name}`, label: `@${kp.name}`, value: kp.description, line: kp.line });
        }
        const ret = written.find((a) => a.block === 'return' && a.field === 'description');
        if (ret && kd.returns !== null && repeats(ret.value, kd.returns)) {
          const line = findLine(ctx, spec, (t) => /^returns?:\s*\S/i.test(t)) ?? spec.line;
          report(textOf(ret), {
            subject: 'kerneldoc.returns',
            label: 'the Return: section',
            value: kd.returns,
            line,
          });
        }
      }

      // (B) inside one entry: two prose fields with the same text (an error's condition and description)
      const byBlock = new Map<string, FieldAssignment[]>();
      for (const a of written) {
        if (a.block === 'spec') continue;
        const xs = byBlock.get(a.block) ?? [];
        xs.push(a);
        byBlock.set(a.block, xs);
      }
      for (const xs of byBlock.values())
        for (let j = 1; j < xs.length; j++)
          for (let i = 0; i < j; i++) {
            const [x, y] = [xs[i] as FieldAssignment, xs[j] as FieldAssignment];
            if (!repeats(x.value, y.value)) continue;
            const [orig, dup] = x.line <= y.line ? [x, y] : [y, x];
            report(textOf(dup), textOf(orig), undefined, `its ${FIELD_LABEL[orig.field] ?? orig.field}`);
          }

      // (C) two entries of one kind with the same description (errors: of different codes)
      const descs = written
        .filter((a) => a.field === 'description' && a.block !== 'spec' && a.block !== 'return')
        .sort((a, b) => a.line - b.line);
      for (let j = 1; j < descs.length; j++) {
        const y = descs[j] as FieldAssignment;
        const ky = names.get(y.block);
        if (!ky || !SIBLING_KINDS.has(ky.kind)) continue;
        for (let i = 0; i < j; i++) {
          const x = descs[i] as FieldAssignment;
          const kx = names.get(x.block);
          if (!kx || kx.kind !== ky.kind || x.block === y.block) continue;
          if (ky.kind === 'error' && canonicalErrno(kx.name) === canonicalErrno(ky.name)) continue;
          if (!repeats(x.value, y.value)) continue;
          report(textOf(y), textOf(x));
          break;
        }
      }
    }
  },
};
