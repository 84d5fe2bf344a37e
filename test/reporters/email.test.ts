import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadCParser } from '../../app/c/language.js';
import { defaultConfig } from '../../app/config/index.js';
import { reviewSeriesSet, type SeriesReview } from '../../app/review/run.js';
import { CHECKS } from '../../checks/index.js';
import type { ScopedFinding } from '../../checks/review.js';
import { fnv64 } from '../../parsers/hash.js';
import { parseMail, parseMailSync } from '../../parsers/mail.js';
import { toEml } from '../../parsers/mail-writer.js';
import { splitMboxBuffer } from '../../parsers/mbox.js';
import { buildSeries, type Series } from '../../parsers/series.js';
import { wrap } from '../../parsers/text/wrap.js';
import {
  type BuildRepliesInput,
  baseLine,
  buildReplies,
  DEFAULT_SILENCE_HINT,
  type FindingHistory,
  type ReplyPolicy,
  replyReferences,
  replySubject,
  WIDTH,
} from '../../reporters/email.js';
import type { OutgoingMail } from '../../reporters/mail-types.js';
import { gitDiff, makeMail, patchBody } from '../helpers/mailgen.js';

/**
 * The in-thread review reply. Goldens: the bundled frob series (v1, and v2 with the history of v1)
 * reviewed by the real pipeline on fixtures/tree-frob, every reply as a whole .eml under
 * fixtures/email/. UPDATE_GOLDEN=1 rewrites them; read the diff before committing it.
 */
const root = join(import.meta.dirname, '..', '..');
const mailDir = join(root, 'fixtures', 'mail');
const goldenDir = join(root, 'fixtures', 'email');
const DATE = new Date(Date.UTC(2026, 2, 3, 9, 30, 0));

const POLICY: ReplyPolicy = {
  from: 'kapi-review <kapi-review@example.net>',
  lists: ['linux-frob@example.org'],
  cc: 'list',
  base: {
    kind: 'commit',
    commit: '0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c',
    from: 'base-commit',
    missing: null,
  },
  silenceHint: DEFAULT_SILENCE_HINT,
};

const messageIdFor = (key: string): string => `${fnv64(key)}.kapi-review@example.net`;

async function review(files: string[], tree: string | null = join(root, 'fixtures', 'tree-frob')) {
  const mails = [];
  for (const f of files)
    for (const m of splitMboxBuffer(readFileSync(join(mailDir, f))))
      mails.push((await parseMail(m.raw)).value);
  const set = buildSeries(mails).value;
  return reviewSeriesSet(set, { checks: CHECKS, config: defaultConfig(), parser: await loadCParser(), tree });
}

/** What the store would hand over for `now`: fingerprints of the earlier revision, open or fixed. */
function historyFrom(before: SeriesReview, now: SeriesReview): Map<string, FindingHistory> {
  const h = new Map<string, FindingHistory>();
  const current = new Set(now.review.findings.map((f) => f.fingerprint));
  for (const f of before.review.findings)
    h.set(f.fingerprint, {
      firstRevision: before.series.revision,
      status: current.has(f.fingerprint) ? 'open' : 'fixed',
      ...(current.has(f.fingerprint) ? {} : { fixedIn: now.series.revision }),
      check: f.check,
      ...(f.spec ? { spec: f.spec } : {}),
      ...(f.subject ? { subject: f.subject } : {}),
    });
  return h;
}

function nameOf(prefix: string, m: OutgoingMail, series: Series): string {
  const p = series.patches.find((x) => x.mail.messageId === m.inReplyTo);
  return m.key.includes('/summary/') ? `${prefix}-summary.eml` : `${prefix}-patch-${p?.counter ?? 'x'}.eml`;
}

function compareGolden(prefix: string, mails: OutgoingMail[], series: Series): void {
  mkdirSync(goldenDir, { recursive: true });
  const produced = new Map(mails.map((m) => [nameOf(prefix, m, series), toEml(m, DATE)]));
  const existing = readdirSync(goldenDir).filter((f) => f.startsWith(`${prefix}-`) && f.endsWith('.eml'));
  if (process.env.UPDATE_GOLDEN) {
    for (const f of existing) if (!produced.has(f)) rmSync(join(goldenDir, f));
    for (const [f, text] of produced) writeFileSync(join(goldenDir, f), text);
  }
  const now = readdirSync(goldenDir).filter((f) => f.startsWith(`${prefix}-`) && f.endsWith('.eml'));
  expect([...produced.keys()].sort()).toEqual(now.sort());
  for (const [f, text] of produced) expect(text, f).toBe(readFileSync(join(goldenDir, f), 'utf8'));
}

let v1: SeriesReview;
let v2: SeriesReview;

beforeAll(async () => {
  const both = await review(['base-frob-v1.mbox', 'revision-frob-v2.mbox']);
  v1 = both.find((r) => r.series.revision === 1) as SeriesReview;
  v2 = both.find((r) => r.series.revision === 2) as SeriesReview;
});

function input(r: SeriesReview, extra: Partial<BuildRepliesInput> = {}): BuildRepliesInput {
  return { series: r.series, findings: r.review.findings, policy: POLICY, messageIdFor, ...extra };
}

describe('buildReplies on the frob series (golden .eml)', () => {
  it('v1: one reply per patch with findings and a summary to the cover letter', () => {
    const mails = buildReplies(input(v1));
    const withFindings = v1.series.patches.filter((p) =>
      v1.review.findings.some((f) => f.at.messageId === p.mail.messageId),
    );
    expect(withFindings.length).toBeGreaterThan(0);
    expect(mails).toHaveLength(withFindings.length + 1);
    expect(mails.at(-1)?.inReplyTo).toBe(v1.series.cover?.messageId);
    compareGolden('frob-v1', mails, v1.series);
  });

  it('v2 with the history of v1: still present, fixed', () => {
    const history = historyFrom(v1, v2);
    expect([...history.values()].some((h) => h.status === 'fixed')).toBe(true);
    expect([...history.values()].some((h) => h.status === 'open')).toBe(true);
    const mails = buildReplies(input(v2, { history }));
    const summary = mails.find((m) => m.key.includes('/summary/')) as OutgoingMail;
    expect(summary.text).toMatch(/^ {2}still present since v1 \(2\/3\): \[kapi-deprecated-form\] sys_frob/m);
    expect(summary.text).toMatch(/^ {2}fixed in v2: \[kapi-error-undocumented\] sys_frob EPERM$/m);
    const reply = mails.find((m) => m.key.includes('/reply/')) as OutgoingMail;
    expect(reply.text).toContain('Still present since v1.');
    compareGolden('frob-v2', mails, v2.series);
  });

  it('is deterministic: same input, same mails, same keys and Message-IDs', () => {
    const a = buildReplies(input(v1));
    const b = buildReplies(input(v1));
    expect(a).toEqual(b);
    expect(new Set(a.map((m) => m.key)).size).toBe(a.length);
    expect(new Set(a.map((m) => m.messageId)).size).toBe(a.length);
    for (const m of a) expect(m.messageId).toBe(messageIdFor(m.key));
  });

  it('quotes the hunk lines around the finding and puts the comment, evidence and suggestion under them', () => {
    const mails = buildReplies(input(v1));
    const p3 = v1.series.patches.find((p) => p.counter === 3);
    const reply = mails.find((m) => m.inReplyTo === p3?.mail.messageId) as OutgoingMail;
    const finding = v1.review.findings.find((f) => f.check === 'kapi-error-undocumented') as ScopedFinding;
    const lines = reply.text.split('\n');
    const quoted = lines.filter((l) => l.startsWith('>'));
    // the line the finding is about, as the patch has it
    const hunkLine = p3?.mail.files[0]?.hunks
      .flatMap((h) => h.lines)
      .find((l) => l.newLine === finding.at.line && l.kind === 'add');
    expect(hunkLine).toBeDefined();
    expect(quoted).toContain(`> +${hunkLine?.text}`);
    expect(quoted.length).toBeLessThanOrEqual(8);
    const tag = lines.findIndex((l) => l.startsWith('[kapi-error-undocumented] error: '));
    expect(tag).toBeGreaterThan(lines.indexOf(`> +${hunkLine?.text}`));
    for (const e of finding.evidence) expect(reply.text).toContain(`${e.path}:${e.line}: ${e.text.trim()}`);
    expect(lines).toContain(finding.suggestion);
    expect(reply.about).toEqual({ messageId: p3?.mail.messageId, fingerprints: [finding.fingerprint] });
    expect(reply.headers['X-Kapi-Review-Fingerprints']).toBe(finding.fingerprint);
  });
});

describe('threading', () => {
  it('replies in the patch thread: Re: subject, In-Reply-To, References, To the author, Cc the list', () => {
    for (const m of buildReplies(input(v1))) {
      const parent = [v1.series.cover, ...v1.series.patches.map((p) => p.mail)].find(
        (x) => x?.messageId === m.inReplyTo,
      );
      expect(parent).toBeDefined();
      if (!parent) continue;
      expect(m.subject).toBe(`Re: ${parent.subject}`);
      expect(m.references).toEqual([...parent.references, parent.messageId]);
      expect(m.to).toEqual(['Ada Example <ada@example.org>']);
      expect(m.cc).toEqual(['linux-frob@example.org']);
      expect(m.headers['Auto-Submitted']).toBe('auto-generated');
      expect(m.headers['X-Mailer']).toBe('kapi-review');
      const eml = toEml(m, DATE);
      const back = parseMailSync(eml).value;
      expect(back.subject).toBe(m.subject);
      expect(back.inReplyTo).toBe(parent.messageId);
      expect(back.references).toEqual(m.references);
      expect(back.autoSubmitted).toBe('auto-generated');
      expect(back.subjectInfo.reply).toBe(true);
    }
  });

  it('never stacks Re:', () => {
    expect(replySubject('Re: [PATCH 1/3] frob')).toBe('Re: [PATCH 1/3] frob');
    expect(replySubject('RE: Re: AW: re[2]: [PATCH 1/3] frob')).toBe('Re: [PATCH 1/3] frob');
    expect(replySubject('Re:Re:  x')).toBe('Re: x');
    const p = v1.series.patches[2];
    if (!p) throw new Error('frob v1 has 3 patches');
    const series: Series = {
      ...v1.series,
      patches: v1.series.patches.map((x) =>
        x === p ? { ...p, mail: { ...p.mail, subject: `Re: ${p.mail.subject}` } } : x,
      ),
    };
    const reply = buildReplies({ ...input(v1), series }).find((m) => m.inReplyTo === p.mail.messageId);
    expect(reply?.subject).toBe(`Re: ${p.mail.subject}`);
  });

  it('bounds References, keeping the thread root and the parent, without duplicates', () => {
    const refs = Array.from({ length: 60 }, (_, i) => `r${i}@example.org`);
    const out = replyReferences({
      references: [...refs, 'r3@example.org'],
      messageId: 'p@example.org',
      inReplyTo: null,
    });
    expect(out.length).toBeLessThanOrEqual(20);
    expect(out[0]).toBe('r0@example.org');
    expect(out.at(-1)).toBe('p@example.org');
    expect(new Set(out).size).toBe(out.length);
    expect(replyReferences({ references: [], messageId: 'p@x', inReplyTo: 'q@x' })).toEqual(['q@x', 'p@x']);
  });

  it('Cc follows the policy and never names the bot itself', () => {
    const none = buildReplies(input(v1, { policy: { ...POLICY, cc: 'none' } }));
    for (const m of none) expect(m.cc).toEqual([]);
    const self = buildReplies(input(v1, { policy: { ...POLICY, lists: ['KAPI-review@example.net'] } }));
    for (const m of self) expect(m.cc).toEqual([]);
    // every configured list the series went to, in order, each once; one list is as before
    const two = buildReplies(
      input(v1, {
        policy: {
          ...POLICY,
          lists: ['linux-frob@example.org', 'Linux-API@example.org', 'linux-frob@example.org'],
        },
      }),
    );
    expect(two.length).toBeGreaterThan(0);
    for (const m of two) expect(m.cc).toEqual(['linux-frob@example.org', 'Linux-API@example.org']);
    for (const m of buildReplies(input(v1))) expect(m.cc).toEqual(['linux-frob@example.org']);
    const authorIsBot = buildReplies(input(v1, { policy: { ...POLICY, from: 'Bot <ada@example.org>' } }));
    for (const m of authorIsBot) {
      expect(m.to).toEqual(['linux-frob@example.org']);
      expect(m.cc).toEqual([]);
    }
  });
});

/** Frob v1's patch 3, re-posted with hostile or non-ASCII headers. */
function hostilePatch(headers: { subject: string; from?: string; messageId?: string; references?: string }) {
  const mbox = splitMboxBuffer(readFileSync(join(mailDir, 'base-frob-v1.mbox')));
  const original = parseMailSync(mbox[3]?.raw ?? '').value;
  const raw = makeMail({
    subject: headers.subject,
    from: headers.from ?? 'Ada Example <ada@example.org>',
    messageId: headers.messageId ?? 'hostile-3@example.org',
    headers: headers.references ? { References: headers.references } : {},
    body: patchBody(
      'Frobnicating is privileged.\n\nSigned-off-by: Ada <ada@example.org>',
      original.diff ?? '',
    ),
  });
  return parseMailSync(raw).value;
}

function seriesOf(mail: ReturnType<typeof hostilePatch>): Series {
  const s = buildSeries([mail]).value.series[0];
  if (!s) throw new Error('no series');
  return s;
}

function findingOn(messageId: string | null): ScopedFinding {
  const f = v1.review.findings.find((x) => x.check === 'kapi-error-undocumented') as ScopedFinding;
  return { ...f, at: { ...f.at, messageId: messageId ?? '' } };
}

function headerBlock(eml: string): string {
  return eml.slice(0, eml.indexOf('\r\n\r\n'));
}

describe('header safety', () => {
  it('a subject with CR/LF (an encoded-word attack) adds no header', () => {
    const mail = hostilePatch({
      subject: '=?utf-8?q?[PATCH]_frob:_x=0D=0ABcc:_victim@evil.example=0D=0A=0D=0Abody?=',
      from: '=?utf-8?q?Ada=0D=0AX-Evil:_1?= <ada@example.org>',
    });
    const series = seriesOf(mail);
    // the parser already blanks control characters; a PatchMail from elsewhere may not have
    const raw = { ...mail, subject: '[PATCH] frob: x\r\nBcc: victim@evil.example\r\n\r\nbody' };
    const rawSeries: Series = { ...series, patches: series.patches.map((p) => ({ ...p, mail: raw })) };
    for (const s of [series, rawSeries]) {
      const [reply] = buildReplies({ ...input(v1), series: s, findings: [findingOn(mail.messageId)] });
      if (!reply) throw new Error('no reply');
      for (const v of [
        reply.subject,
        ...reply.to,
        ...reply.cc,
        reply.from,
        reply.messageId,
        ...reply.references,
      ])
        expect(v).not.toMatch(/[\r\n]/);
      const eml = toEml(reply, DATE);
      const head = headerBlock(eml);
      expect(head).not.toMatch(/\r\nBcc:/i);
      expect(head).not.toMatch(/\r\nX-Evil:/i);
      // every header line is a field or a folded continuation
      for (const line of head.split('\r\n')) expect(line).toMatch(/^([!-9;-~]+:|[ \t])/);
      const back = parseMailSync(eml).value;
      expect(back.subject).toBe('Re: [PATCH] frob: x Bcc: victim@evil.example body');
      expect(back.to.map((a) => a.address)).toEqual(['ada@example.org']);
      expect(back.body).toBe(reply.text);
    }
  });

  it('no header value taken from mail can carry a control character (property)', () => {
    const nasty = fc.string({
      unit: fc.constantFrom('a', ' ', '\r', '\n', '\t', '\u0000', '\u001b', 'é', '<', '>', ':', '"'),
    });
    fc.assert(
      fc.property(nasty, nasty, nasty, (subject, name, id) => {
        const base = v1.series.patches[2];
        if (!base) return;
        const mail = {
          ...base.mail,
          subject: `[PATCH] ${subject}`,
          from: { name, address: 'ada@example.org' },
          references: [`${id}@x`, 'ok@example.org'],
        };
        const series: Series = { ...v1.series, cover: null, patches: [{ ...base, mail }] };
        const mails = buildReplies({ ...input(v1), series, findings: [findingOn(mail.messageId)] });
        expect(mails.length).toBeGreaterThan(0);
        for (const m of mails) {
          const values = [
            m.subject,
            m.from,
            m.messageId,
            m.inReplyTo ?? '',
            ...m.to,
            ...m.cc,
            ...m.references,
          ];
          values.push(...Object.values(m.headers));
          // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for them is the point
          for (const v of values) expect(v).not.toMatch(/[\u0000-\u001f\u007f]/);
          const head = headerBlock(toEml(m, DATE));
          for (const line of head.split('\r\n')) expect(line).toMatch(/^([!-9;-~]+:|[ \t])/);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('toEml', () => {
  it('encodes non-ASCII names and subjects (RFC 2047) and our parser reads them back', () => {
    const mail = hostilePatch({
      subject: '[PATCH] frob: régler la longueur — 长度 ✓',
      from: '=?utf-8?b?SsO2cmcgTcO8bGxlci3DkcOhbmRleg==?= <joerg@example.org>',
      references: '<root@example.org>',
    });
    expect(mail.from?.name).toBe('Jörg Müller-Ñández');
    const series = seriesOf(mail);
    const policy = { ...POLICY, from: 'kapi-review Prüfbot <kapi-review@example.net>' };
    const [reply] = buildReplies({ ...input(v1), policy, series, findings: [findingOn(mail.messageId)] });
    if (!reply) throw new Error('no reply');
    const eml = toEml(reply, DATE);
    const head = headerBlock(eml);
    expect(head).toMatch(/^[\x20-\x7e\r\n\t]*$/);
    expect(head).toContain('=?UTF-8?B?');
    const back = parseMailSync(eml).value;
    expect(back.subject).toBe('Re: [PATCH] frob: régler la longueur — 长度 ✓');
    expect(back.from).toEqual({ name: 'kapi-review Prüfbot', address: 'kapi-review@example.net' });
    expect(back.to).toEqual([{ name: 'Jörg Müller-Ñández', address: 'joerg@example.org' }]);
    expect(back.inReplyTo).toBe('hostile-3@example.org');
    expect(back.references).toEqual(['root@example.org', 'hostile-3@example.org']);
    expect(back.body).toBe(reply.text);
    expect(back.date).toBe(DATE.toISOString());
    expect(eml).toContain('\r\nContent-Type: text/plain; charset=utf-8\r\n');
    expect(eml).toContain('\r\nContent-Transfer-Encoding: 8bit\r\n');
    expect(back.body).toContain('On Mon, Mar 02, 2026 at 10:00:00AM +0000, Jörg Müller-Ñández wrote:');
  });

  it('folds long subjects at 78 columns and unfolds to the same subject', () => {
    const words = Array.from({ length: 40 }, (_, i) => `word${i}`).join(' ');
    for (const subject of [`[PATCH] ${words}`, `[PATCH] ${words} ünïcödé ${words}`]) {
      const mail = hostilePatch({ subject });
      const [reply] = buildReplies({
        ...input(v1),
        series: seriesOf(mail),
        findings: [findingOn(mail.messageId)],
      });
      if (!reply) throw new Error('no reply');
      const eml = toEml(reply, DATE);
      for (const line of headerBlock(eml).split('\r\n')) expect(line.length).toBeLessThanOrEqual(78);
      expect(parseMailSync(eml).value.subject).toBe(`Re: ${subject}`);
    }
  });

  it('writes quoted-printable when a line would pass 998 octets, and the text survives', () => {
    const f = findingOn(v1.series.patches[2]?.mail.messageId ?? null);
    const long = `KAPI_ERROR(9, -EPERM, "EPERM", "${'ä'.repeat(700)}", "=${'x'.repeat(300)}")`;
    const finding = {
      ...f,
      evidence: [...f.evidence, { path: f.at.path, line: 99, text: long, kind: 'spec' as const }],
    };
    const [reply] = buildReplies({ ...input(v1), findings: [finding] });
    if (!reply) throw new Error('no reply');
    const eml = toEml(reply, DATE);
    expect(eml).toContain('\r\nContent-Transfer-Encoding: quoted-printable\r\n');
    const body = eml.slice(eml.indexOf('\r\n\r\n') + 4);
    for (const line of body.split('\r\n')) expect(line.length).toBeLessThanOrEqual(76);
    expect(parseMailSync(eml).value.body).toBe(reply.text);
    expect(reply.text).toContain(long);
  });

  it('writes a complete message: CRLF only, Date, MIME headers, one blank line before the body', () => {
    const [m] = buildReplies(input(v1));
    if (!m) throw new Error('no reply');
    const eml = toEml(m, DATE);
    expect(eml.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
    expect(eml).toContain('\r\nDate: Tue, 03 Mar 2026 09:30:00 +0000\r\n');
    expect(eml).toContain('\r\nMIME-Version: 1.0\r\n');
    expect(eml).toContain(`\r\nMessage-ID: <${m.messageId}>\r\n`);
    expect(eml.endsWith('\r\n')).toBe(true);
    expect(headerBlock(eml).includes('\r\n\r\n')).toBe(false);
  });
});

describe('wrapping at 72 columns', () => {
  const word = fc.string({
    unit: fc.constantFrom('a', 'b', 'x', '-', '.', '(', ')', 'é'),
    minLength: 1,
    maxLength: 90,
  });
  const prose = fc.array(word, { maxLength: 60 }).map((ws) => ws.join(' '));

  it('no prose line is longer than 72 unless it is a single word (property)', () => {
    fc.assert(
      fc.property(prose, (text) => {
        const lines = wrap(text);
        for (const l of lines) if ([...l].length > WIDTH) expect(l.includes(' ')).toBe(false);
        expect(lines.join(' ')).toBe(text.split(' ').filter(Boolean).join(' '));
      }),
    );
  });

  it('in whole replies: prose wrapped, quoted, evidence and suggestion lines untouched (property)', () => {
    const base = v1.review.findings.find((f) => f.check === 'kapi-error-undocumented') as ScopedFinding;
    const code = fc.string({
      unit: fc.constantFrom('a', ' ', '\t', '(', '"', ','),
      minLength: 1,
      maxLength: 120,
    });
    fc.assert(
      fc.property(prose, code, code, (message, evidence, suggestion) => {
        const finding: ScopedFinding = {
          ...base,
          message: `x ${message}`,
          evidence: [...base.evidence, { path: 'kernel/frob.c', line: 3, text: `E${evidence}E` }],
          suggestion: `\tS${suggestion}S`,
        };
        const [reply] = buildReplies({ ...input(v1), findings: [finding] });
        if (!reply) throw new Error('no reply');
        const lines = reply.text.split('\n');
        const patch = v1.series.patches.find((p) => p.mail.messageId === base.at.messageId);
        const hunkLines = new Set(
          patch?.mail.files.flatMap((f) =>
            f.hunks.flatMap((h) =>
              h.lines.map((l) =>
                `> ${l.kind === 'add' ? '+' : l.kind === 'del' ? '-' : ' '}${l.text}`.trimEnd(),
              ),
            ),
          ),
        );
        const evidenceLine = `  kernel/frob.c:3: E${evidence}E`;
        const suggestionLine = `\tS${suggestion}S`;
        expect(lines).toContain(evidenceLine);
        expect(lines).toContain(suggestionLine);
        for (const l of lines) {
          if (l.startsWith('>')) {
            expect(hunkLines.has(l)).toBe(true);
            continue;
          }
          if (l === suggestionLine || l === evidenceLine || /^ {2}(spec|code): /.test(l)) continue;
          if ([...l].length > WIDTH) expect(l.trim().includes(' ')).toBe(false);
        }
      }),
      { numRuns: 100 },
    );
  });
});

describe('what the reply contains', () => {
  it('a finding outside the diff quotes its spec line from the evidence', () => {
    const base = v1.review.findings.find((f) => f.check === 'kapi-error-undocumented') as ScopedFinding;
    const spec = base.evidence.find((e) => e.kind === 'spec' && e.line !== base.at.line);
    if (!spec) throw new Error('the frob finding has spec evidence');
    const outside: ScopedFinding = { ...base, scope: 'file', at: { ...base.at, line: spec.line } };
    const [reply] = buildReplies({ ...input(v1), findings: [outside] });
    expect(reply?.text).toContain(
      `In ${spec.path}:${spec.line}, outside the lines this patch changes:\n\n> ${spec.text.trim()}\n`,
    );
  });

  it('findings whose quotes overlap share one quote, each comment under it in line order', () => {
    const patch = v1.series.patches.find((p) => p.counter === 2);
    const lines = patch?.mail.files[0]?.hunks.flatMap((h) => h.lines) ?? [];
    const e0 = lines.find((l) => l.text.includes('KAPI_ERROR(0,'));
    const e1 = lines.find((l) => l.text.includes('KAPI_ERROR(1,'));
    const param = lines.find((l) => l.text.includes('KAPI_PARAM(0,'));
    if (!e0?.newLine || !e1?.newLine || !param?.newLine) throw new Error('frob v1 2/3 has its spec hunk');
    const base = v1.review.findings.find((f) => f.at.messageId === patch?.mail.messageId) as ScopedFinding;
    const at = (l: typeof e0, fp: string, message: string): ScopedFinding => ({
      ...base,
      check: 'kapi-errno-alias',
      message,
      at: { ...base.at, line: l.newLine as number },
      evidence: [{ path: base.at.path, line: l.newLine as number, text: l.text.trim(), kind: 'spec' }],
      fingerprint: fp,
    });
    const findings = [
      at(e1, '2222', 'second entry'),
      at(param, '3333', 'far away entry'),
      at(e0, '1111', 'first entry'),
    ];
    const [reply] = buildReplies({ ...input(v1), findings });
    const text = reply?.text ?? '';
    // two quotes: one for the two errors (they overlap), one for the param far above
    const quotes = text.split('\n\n').filter((b) => b.split('\n').some((l) => l.startsWith('>')));
    expect(quotes).toHaveLength(2);
    expect(quotes[0]).toContain(`> +${param.text}`);
    expect(quotes[1]).toContain(`> +${e0.text}`);
    expect(quotes[1]).toContain(`> +${e1.text}`);
    const order = ['far away entry', 'first entry', 'second entry'].map((m) => text.indexOf(m));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(text.indexOf('first entry')).toBeGreaterThan(text.indexOf(`> +${e1.text}`));
    expect(reply?.about.fingerprints).toEqual(['3333', '1111', '2222']);
  });

  it('a patch touching several files names the file above its first quote', () => {
    const two = `${gitDiff('kernel/a.c', 'int a;\nint b;\n', 'int a;\nint b;\nint c = -EPERM;\n')}\n${gitDiff(
      'kernel/b.c',
      'int x;\n',
      'int x;\nint y = -EINVAL;\n',
    )}`;
    const mail = parseMailSync(
      makeMail({
        subject: '[PATCH] frob: two files',
        messageId: 'two@example.org',
        body: patchBody('Two files.', two),
      }),
    ).value;
    expect(mail.files.map((f) => f.path)).toEqual(['kernel/a.c', 'kernel/b.c']);
    const base = v1.review.findings[0] as ScopedFinding;
    const on = (path: string, line: number, text: string): ScopedFinding => ({
      ...base,
      message: `about ${path}`,
      at: { path, line, messageId: 'two@example.org' },
      evidence: [{ path, line, text }],
      fingerprint: fnv64(path),
    });
    const [reply] = buildReplies({
      ...input(v1),
      series: seriesOf(mail),
      findings: [on('kernel/b.c', 2, 'int y = -EINVAL;'), on('kernel/a.c', 3, 'int c = -EPERM;')],
    });
    const text = reply?.text ?? '';
    const a = text.indexOf('> diff --git a/kernel/a.c b/kernel/a.c');
    const b = text.indexOf('> diff --git a/kernel/b.c b/kernel/b.c');
    expect(a).toBeGreaterThan(0);
    expect(b).toBeGreaterThan(text.indexOf('about kernel/a.c'));
    expect(text).toContain('> +int c = -EPERM;');
    expect(text).toContain('> +int y = -EINVAL;');
  });

  it('finds the line by its text when the hunk applied at an offset', () => {
    const base = v1.review.findings.find((f) => f.check === 'kapi-error-undocumented') as ScopedFinding;
    const code = base.evidence.find((e) => e.kind === 'code' && e.line === base.at.line);
    if (!code) throw new Error('the frob finding has its code line');
    const moved: ScopedFinding = {
      ...base,
      at: { ...base.at, line: base.at.line + 7 },
      evidence: base.evidence.map((e) => ({ ...e, line: e.line + 7 })),
    };
    const [reply] = buildReplies({ ...input(v1), findings: [moved] });
    expect(reply?.text).toMatch(new RegExp(`^> \\+\\t\\t${code.text.replace(/[()]/g, '\\$&')}$`, 'm'));
    expect(reply?.text).not.toContain('outside the lines this patch changes');
  });

  it('operator-only checks are never mailed', () => {
    const base = v1.review.findings[0] as ScopedFinding;
    const op: ScopedFinding = {
      ...base,
      check: 'kapi-parse-error',
      severity: 'error',
      message: 'sys_frob: the spec parser lost its way here (kapi-macro-unbalanced)',
      subject: 'kapi-macro-unbalanced',
      suggestion: undefined,
      fingerprint: 'ffff0000ffff0000',
    };
    expect(buildReplies({ ...input(v1), findings: [op] })).toEqual([]);
    // among other findings: the very mails they get alone, with nothing of the parser's complaint
    const plain = buildReplies(input(v1));
    const mails = buildReplies({ ...input(v1), findings: [...v1.review.findings, op] });
    expect(plain.length).toBeGreaterThan(1);
    expect(mails).toEqual(plain);
    for (const m of mails) {
      for (const leak of ['kapi-parse-error', 'lost its way', 'kapi-macro-unbalanced', op.fingerprint])
        expect(m.text).not.toContain(leak);
    }
    // nor named among the findings a new revision fixed
    const history = historyFrom(v1, v2);
    history.set(op.fingerprint, {
      firstRevision: 1,
      status: 'fixed',
      fixedIn: 2,
      check: op.check,
      spec: 'sys_frob',
      subject: 'kapi-macro-unbalanced',
    });
    const summary = buildReplies(input(v2, { history })).find((m) => m.key.includes('/summary/'));
    expect(summary?.text).toMatch(/^ {2}fixed in v2: \[kapi-error-undocumented\] sys_frob EPERM$/m);
    expect(summary?.text).not.toContain('kapi-parse-error');
    expect(summary?.text).not.toContain('kapi-macro-unbalanced');
  });

  it("no findings, no mail; findings of another series are not this series' business", () => {
    expect(buildReplies({ ...input(v1), findings: [] })).toEqual([]);
    expect(buildReplies({ ...input(v1), findings: v2.review.findings })).toEqual([]);
  });

  it('a single patch without a cover letter gets one reply, with the history in it', () => {
    const mail = hostilePatch({ subject: '[PATCH v2] frob: require CAP_SYS_ADMIN' });
    const series = seriesOf(mail);
    const f = findingOn(mail.messageId);
    const history = new Map<string, FindingHistory>([
      [f.fingerprint, { firstRevision: 1, status: 'open' }],
      [
        '0000aaaa0000aaaa',
        {
          firstRevision: 1,
          status: 'fixed',
          check: 'kapi-count-mismatch',
          spec: 'sys_frob',
          subject: 'count:error',
        },
      ],
    ]);
    const mails = buildReplies({ ...input(v1), series, findings: [f], history });
    expect(mails).toHaveLength(1);
    expect(mails[0]?.text).toContain('Still present since v1.');
    expect(mails[0]?.text).toMatch(/^ {2}fixed in v2: \[kapi-count-mismatch\] sys_frob count:error$/m);
  });

  it('ends with the signature: the base by commit, automated, how to silence it', () => {
    for (const m of buildReplies(input(v1))) {
      const sig = m.text.slice(m.text.lastIndexOf('\n-- \n') + 5);
      expect(sig).toContain('automated review by kapi-review');
      expect(sig.replace(/\s+/g, ' ')).toContain('"kapi-review: ignore <check-id> [subject]"');
      expect(sig.replace(/\s+/g, ' ')).toContain('"kapi-review: mute"');
      expect(sig).toContain('Base: base-commit 0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c.');
    }
  });

  it('names the base by commit or release in every case, and takes no text from mail for one', () => {
    const head = 'a'.repeat(40);
    const bc = 'b'.repeat(40);
    expect(baseLine({ kind: 'commit', commit: head, from: 'head', missing: null })).toBe(
      `Base: HEAD ${head} of the reviewer's tree (the series gives no base-commit).`,
    );
    expect(baseLine({ kind: 'commit', commit: head, from: 'head', missing: bc })).toBe(
      `Base: HEAD ${head} of the reviewer's tree (base-commit ${bc} is not in it).`,
    );
    expect(baseLine({ kind: 'hunks', baseCommit: bc })).toBe(
      `Base: the patches' hunks alone, no kernel tree (base-commit ${bc}).`,
    );
    expect(baseLine({ kind: 'hunks', baseCommit: null })).toBe(
      "Base: the patches' hunks alone, no kernel tree.",
    );
    expect(baseLine({ kind: 'release', release: '6.12.5', baseCommit: null })).toBe(
      'Base: Linux 6.12.5 sources without git history.',
    );
    expect(baseLine({ kind: 'release', release: null, baseCommit: bc })).toBe(
      `Base: kernel sources without git history, not checked against base-commit ${bc}.`,
    );
    // a base-commit line from a mail that is no commit id is not repeated
    expect(baseLine({ kind: 'hunks', baseCommit: '/home/ada/linux' })).toBe(
      "Base: the patches' hunks alone, no kernel tree.",
    );
    expect(baseLine({ kind: 'commit', commit: '../x\nTo: a@b', from: 'base-commit', missing: null })).toBe(
      'Base: a kernel tree whose commit could not be named.',
    );
  });
});
