/**
 * kapi-errno-alias: errno aliases (EAGAIN = EWOULDBLOCK, EDEADLK = EDEADLOCK, EOPNOTSUPP =
 * ENOTSUP) used inconsistently.
 * - One spec lists both names of one errno. A caller sees one value and cannot tell the entries
 *   apart, so two different conditions under the two names contradict each other (PATCH v4's
 *   open spec gives EAGAIN for O_NONBLOCK FIFOs and EWOULDBLOCK for a held lease). Entries that
 *   say the same thing, or that call themselves an alias, are only noted.
 * - The spec lists one name and the code returns the errno under the other: someone grepping the
 *   spec for the code's spelling finds nothing. Only with code facts (a full post-image), and not
 *   when the spec's spelling also appears in the code.
 */
import { canonicalErrno, isErrnoName } from '../../parsers/c/errno.js';
import type { CFunction, ErrnoFact } from '../../parsers/c/model.js';
import type { ApiSpec, SpecError } from '../../parsers/kapi/model.js';
import { defineCheck, type RuleContext } from '../define.js';

/** The errno an entry names as written, without sign, when it is one. */
function spelling(e: SpecError): string | null {
  const m = /^\(?\s*-?\s*(E[A-Z0-9_]+)\s*\)?$/.exec(e.codeText.trim());
  const name = m ? (m[1] as string) : e.code;
  return isErrnoName(name) ? name : null;
}

const norm = (s: string | null): string => (s ?? '').replace(/\s+/g, ' ').trim().toLowerCase();

const messages = {
  contradicting:
    '{spec} lists {first} (line {firstLine}) and {second}, the same errno, under different conditions; a caller cannot tell them apart',
  twice: '{spec} lists {first} (line {firstLine}) again as {second}, the same errno',
  spelling: '{spec} lists {specName}, but the code returns it as {codeName} (the same errno)',
};

type Ctx = RuleContext<typeof messages>;

export const check = defineCheck({
  meta: {
    id: 'kapi-errno-alias',
    description: 'Both names of one errno in a spec, or the spec and the code spell an errno differently.',
    severity: 'warning',
    messages,
  },
  run(ctx) {
    for (const spec of ctx.unit.specs) {
      if (spec.partial) continue;
      listedTwice(ctx, spec);
    }
    const code = ctx.unit.code;
    if (!code) return;
    // the first syscall definition of each name, indexed once (not searched for each syscall)
    const syscallDef = new Map<string, CFunction>();
    for (const f of code.functions) if (f.isSyscall && !syscallDef.has(f.name)) syscallDef.set(f.name, f);
    const inCode = new SpelledInCode(ctx);
    const done = new Set<ApiSpec>();
    for (const [i, sc] of ctx.unit.syscalls.entries()) {
      const spec = ctx.unit.specOf[i];
      if (!spec || spec.partial || done.has(spec)) continue;
      done.add(spec);
      const fn = syscallDef.get(sc.fnName);
      const facts = code.errors[sc.fnName];
      if (!fn || fn.hasParseErrors || !facts) continue;
      spelledOtherwise(ctx, spec, facts.errnos, inCode);
    }
  },
});

function listedTwice(ctx: Ctx, spec: ApiSpec): void {
  const byErrno = new Map<string, { name: string; e: SpecError }[]>();
  for (const e of [...spec.errors].sort((a, b) => a.line - b.line)) {
    const name = spelling(e);
    if (name === null) continue;
    const canon = canonicalErrno(name);
    const list = byErrno.get(canon) ?? [];
    if (!list.some((x) => x.name === name)) list.push({ name, e });
    byErrno.set(canon, list);
  }
  const path = ctx.unit.path;
  const text = (line: number): string => (ctx.unit.line(line) ?? '').trim();
  for (const list of byErrno.values()) {
    const [a, ...rest] = list;
    if (!a) continue;
    for (const b of rest) {
      const same =
        norm(a.e.condition) === norm(b.e.condition) && norm(a.e.description) === norm(b.e.description);
      // an entry that says it is the alias of the other is a deliberate note, not a second error
      const says = (x: SpecError, other: string): boolean =>
        new RegExp(`\\b(?:${other}|alias)\\b`, 'i').test(`${x.condition ?? ''} ${x.description ?? ''}`);
      const noted = same || says(b.e, a.name) || says(a.e, b.name);
      ctx.report({
        messageId: noted ? 'twice' : 'contradicting',
        data: { spec: spec.name, first: a.name, firstLine: a.e.line, second: b.name },
        line: b.e.line,
        severity: noted ? 'info' : 'warning',
        spec: spec.name,
        subject: b.name,
        evidence: [
          { path, line: a.e.line, text: text(a.e.line) },
          { path, line: b.e.line, text: text(b.e.line) },
        ],
      });
    }
  }
}

function spelledOtherwise(
  ctx: Ctx,
  spec: ApiSpec,
  errnos: readonly ErrnoFact[],
  inCode: SpelledInCode,
): void {
  const names = new Map<string, Set<string>>();
  const entry = new Map<string, SpecError>();
  for (const e of spec.errors) {
    const name = spelling(e);
    if (name === null) continue;
    const canon = canonicalErrno(name);
    const set = names.get(canon) ?? new Set<string>();
    set.add(name);
    names.set(canon, set);
    if (!entry.has(canon)) entry.set(canon, e);
  }
  const path = ctx.unit.path;
  for (const fact of errnos) {
    const listed = names.get(fact.errno);
    const e = entry.get(fact.errno);
    if (!listed || !e || listed.size !== 1 || listed.has(fact.written)) continue;
    const specName = [...listed][0] as string;
    // the spec's spelling is returned somewhere too (the facts keep one spelling per errno)
    if (inCode.has(specName)) continue;
    const chain = fact.chain.map((c) => ({ path, line: c.line, text: c.text }));
    const first = chain[0];
    const at = !ctx.unit.added.has(e.line) && first && ctx.unit.added.has(first.line) ? first.line : e.line;
    const specText = ctx.unit.line(e.line);
    const word = new RegExp(`(?<![A-Z0-9_])${specName}(?![A-Z0-9_])`, 'g');
    const hits = specText?.match(word)?.length ?? 0;
    const suggestion =
      specText !== undefined &&
      hits >= 1 &&
      hits <= 2 &&
      /KAPI_ERROR|error(?:-code)?:|\.error_code/.test(specText)
        ? specText.replace(word, fact.written)
        : undefined;
    ctx.report({
      messageId: 'spelling',
      data: { spec: spec.name, specName, codeName: fact.written },
      line: at,
      spec: spec.name,
      subject: specName,
      evidence: [{ path, line: e.line, text: (specText ?? '').trim() }, ...chain],
      ...(suggestion !== undefined ? { suggestion } : {}),
    });
  }
}

/**
 * Whether `-NAME` appears in the file outside every spec. The lines inside specs are marked once,
 * and each name is looked up once (a file of 16,000 specs used to test every spec for every line,
 * for every errno a spec spells otherwise).
 */
class SpelledInCode {
  private inSpec: Uint8Array | null = null;
  private readonly memo = new Map<string, boolean>();

  constructor(private readonly ctx: Ctx) {}

  has(name: string): boolean {
    let found = this.memo.get(name);
    if (found === undefined) {
      found = this.search(name);
      this.memo.set(name, found);
    }
    return found;
  }

  private specLines(): Uint8Array {
    if (this.inSpec === null) {
      const { unit } = this.ctx;
      let last = 0;
      while (unit.line(last + 1) !== undefined) last++;
      // +1 at each spec's first line, -1 after its last: a running sum above 0 is inside one
      const delta = new Int32Array(last + 2);
      for (const s of unit.specs) {
        const from = Math.max(1, s.line);
        const to = Math.min(last, s.endLine);
        if (from > to) continue;
        (delta[from] as number)++;
        (delta[to + 1] as number)--;
      }
      this.inSpec = new Uint8Array(last + 1);
      let depth = 0;
      for (let n = 1; n <= last; n++) {
        depth += delta[n] as number;
        this.inSpec[n] = depth > 0 ? 1 : 0;
      }
    }
    return this.inSpec;
  }

  private search(name: string): boolean {
    const re = new RegExp(`-\\s*\\(?\\s*${name}(?![A-Z0-9_])`);
    const inSpec = this.specLines();
    for (let n = 1; ; n++) {
      const l = this.ctx.unit.line(n);
      if (l === undefined) return false;
      if (inSpec[n] !== 1 && re.test(l)) return true;
    }
  }
}
