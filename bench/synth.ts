/**
 * A synthetic, LKML-like mboxrd (as lore serves it), deterministic for a seed:
 *
 * - patch series: a cover letter `[PATCH vN 0/M]` and M patches with well-formed git diffs (1 to
 *   4 files, 1 to 4 hunks each, correct hunk counts, diffstat, `-- ` and the git version);
 * - replies to them (`Re: [PATCH vN k/M]`) quoting the commit message and diff lines, trailers;
 * - other discussion threads (bug reports, questions, pull requests) with quoted text;
 * - list-archive headers like lore's: Received chains, DKIM/ARC signatures, long Cc lists,
 *   References chains, List-* headers (about 3 KB, 30 to 45 header lines per mail);
 * - the usual damage: quoted-printable and base64 bodies, multipart/signed and HTML alternatives,
 *   RFC 2047 names, a few quoted-printable patches and patches sent as attachments, body lines
 *   starting with `From ` (escaped to `>From `).
 *
 * `patchShare` is the share of messages that carry a diff; cover letters come on top. Sizes are in
 * line with what the real postings in ../shared/corpus measure (headers 60 to 75 lines and about
 * 4 KB there, with more relay headers than lore keeps; replies 4 to 13 KB; patches 10 to 16 KB),
 * but all text here is generated.
 */

import { once } from 'node:events';
import { createWriteStream } from 'node:fs';

/** Bumped whenever the output changes: cached files carry it in their name. */
export const SYNTH_VERSION = 2;

export interface SynthInfo {
  messages: number;
  /** Messages with a diff (inline or attached). */
  patches: number;
  covers: number;
  /** Messages with a transfer encoding or MIME structure (quoted-printable, base64, multipart). */
  encoded: number;
  bytes: number;
  /** Bytes of the messages with a diff. */
  patchBytes: number;
}

type Rng = () => number;

function rng(seed: number): Rng {
  // mulberry32: small, fast, good enough for test data
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

const int = (r: Rng, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
const pick = <T>(r: Rng, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;

const WORDS = (
  'the a page lock mm kernel range len start return error spec syscall memory fault map user task ' +
  'signal we should can not this that patch series review fix bug folio cgroup driver device irq ' +
  'probe reset queue buffer cache flush state when if it is in of for with but also only still ' +
  'case path code value pointer count limit timeout context caller helper check test commit change'
).split(' ');
const FIRST = ['Ada', 'Linus', 'Greg', 'Andrew', 'Vlastimil', 'Jonathan', 'Sasha', 'Mauro', 'Randy', 'Jan'];
const LAST = ['Example', 'Sample', 'Tester', 'Hacker', 'Writer', 'Reviewer', 'Builder', 'Porter'];
const NAMES_8BIT = ['Jörg Müller', 'José García', 'Zoë Ødegård', 'Ilpo Järvinen'];
const LISTS = ['linux-kernel@vger.kernel.org', 'linux-mm@kvack.org', 'linux-api@vger.kernel.org'];
const DIRS = ['mm', 'kernel', 'fs', 'drivers/net', 'include/linux', 'arch/x86/kernel', 'lib', 'net/core'];
const SUBSYS = ['mm', 'sched', 'fs', 'net', 'mm/mlock', 'kapi', 'x86/mm', 'lib', 'selftests/mm'];
const DAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

function words(r: Rng, n: number): string {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(pick(r, WORDS));
  return out.join(' ');
}

function sentence(r: Rng): string {
  const s = words(r, int(r, 6, 16));
  return `${s.charAt(0).toUpperCase()}${s.slice(1)}.`;
}

/** Text wrapped at ~72 columns. */
function paragraph(r: Rng, sentences: number): string[] {
  const lines: string[] = [];
  let cur = '';
  for (let i = 0; i < sentences; i++) {
    for (const w of sentence(r).split(' ')) {
      if (cur.length + w.length + 1 > 72) {
        lines.push(cur);
        cur = w;
      } else cur = cur ? `${cur} ${w}` : w;
    }
  }
  if (cur) lines.push(cur);
  return lines;
}

function b64(r: Rng, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += B64[Math.floor(r() * 64)];
  return s;
}

function hex(r: Rng, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += '0123456789abcdef'[Math.floor(r() * 16)];
  return s;
}

interface Person {
  name: string;
  addr: string;
}

function person(r: Rng): Person {
  const eight = r() < 0.08;
  const name = eight ? pick(r, NAMES_8BIT) : `${pick(r, FIRST)} ${pick(r, LAST)}`;
  const user = `${name
    .split(' ')[0]
    ?.normalize('NFD')
    .replace(/[^A-Za-z]/g, '')
    .toLowerCase()}${int(r, 1, 400)}`;
  return { name, addr: `${user}@${pick(r, ['example.org', 'example.com', 'example.net'])}` };
}

/** RFC 2047 for names with 8-bit characters, as most mailers write them. */
function addressHeader(p: Person): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the ASCII range is the point
  if (/^[\x00-\x7f]*$/.test(p.name)) return `${p.name} <${p.addr}>`;
  const q = Buffer.from(p.name, 'utf8')
    .toString('latin1')
    .replace(/[^A-Za-z0-9]/g, (c) =>
      c === ' ' ? '_' : `=${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`,
    );
  return `=?UTF-8?q?${q}?= <${p.addr}>`;
}

function date(r: Rng, i: number): string {
  const day = 1 + (Math.floor(i / 4000) % 28);
  const t = `${String(i % 24).padStart(2, '0')}:${String(int(r, 0, 59)).padStart(2, '0')}:${String(int(r, 0, 59)).padStart(2, '0')}`;
  return `${DAYS[day % 7]}, ${day} ${MONTHS[Math.floor(i / 112000) % 12]} 2026 ${t} ${pick(r, ['+0000', '+0100', '-0700', '+0200'])}`;
}

/** A header folded at spaces (or, in long base64 runs, where a space may be added) near `width`. */
function folded(name: string, value: string, width = 76): string[] {
  const lines: string[] = [];
  let rest = `${name}: ${value}`;
  while (rest.length > width) {
    let cut = rest.lastIndexOf(' ', width);
    if (cut <= 1) {
      // a long signature value: folding whitespace inside b= is allowed by DKIM
      cut = width;
      lines.push(rest.slice(0, cut));
      rest = `\t${rest.slice(cut)}`;
      continue;
    }
    lines.push(rest.slice(0, cut));
    rest = `\t${rest.slice(cut + 1)}`;
  }
  lines.push(rest);
  return lines;
}

/** The relay and list headers an archived list mail carries before its own ones. */
function transportHeaders(r: Rng, list: string, when: string): string[] {
  const h: string[] = [];
  h.push(`Return-Path: <${list.replace('@', '+bounces-')}>`);
  for (let k = int(r, 2, 4); k > 0; k--) {
    h.push(
      `Received: from relay${k}.example.net (relay${k}.example.net [192.0.2.${int(r, 1, 254)}])`,
      '\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits))',
      '\t(No client certificate requested)',
      `\tby lists.example.org (Postfix) with ESMTPS id ${hex(r, 10).toUpperCase()}`,
      `\tfor <${list}>; ${when}`,
    );
  }
  h.push(
    ...folded(
      'ARC-Seal',
      `i=1; a=rsa-sha256; d=example.org; s=arc-20240116; t=${int(r, 1e9, 2e9)}; cv=none; b=${b64(r, 344)}`,
    ),
  );
  h.push(
    ...folded(
      'ARC-Message-Signature',
      `i=1; a=rsa-sha256; d=example.org; s=arc-20240116; t=${int(r, 1e9, 2e9)}; c=relaxed/simple; bh=${b64(r, 43)}=; h=From:To:Cc:Subject:Date:Message-ID:In-Reply-To:References:MIME-Version:Content-Type; b=${b64(r, 344)}`,
    ),
  );
  h.push(
    'ARC-Authentication-Results: i=1; lists.example.org; dmarc=pass (p=none dis=none)',
    '\theader.from=example.org; spf=pass smtp.mailfrom=example.org',
  );
  h.push(
    ...folded(
      'DKIM-Signature',
      `v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.org; s=k20201202; t=${int(r, 1e9, 2e9)}; bh=${b64(r, 43)}=; h=From:To:Cc:Subject:Date:In-Reply-To:References; b=${b64(r, 344)}`,
    ),
  );
  h.push('Authentication-Results: lists.example.org; dkim=pass (2048-bit key) header.d=example.org');
  return h;
}

function listHeaders(list: string): string[] {
  const name = list.split('@')[0] as string;
  return [
    'Precedence: bulk',
    `X-Mailing-List: ${list}`,
    `List-Id: <${name}.lists.example.org>`,
    `List-Subscribe: <mailto:${name}+subscribe@lists.example.org>`,
    `List-Unsubscribe: <mailto:${name}+unsubscribe@lists.example.org>`,
  ];
}

interface Msg {
  from: Person;
  subject: string;
  id: string;
  inReplyTo: string | null;
  refs: string[];
  when: string;
  list: string;
  cc: Person[];
  /** Content-Type/Content-Transfer-Encoding lines plus the body, already encoded. */
  mime: string[];
  body: string;
}

function render(r: Rng, m: Msg): string {
  const h = transportHeaders(r, m.list, m.when);
  h.push(`From: ${addressHeader(m.from)}`, `To: ${m.list}`);
  if (m.cc.length > 0) h.push(...folded('Cc', m.cc.map(addressHeader).join(', ')));
  h.push(`Subject: ${m.subject}`, `Date: ${m.when}`, `Message-ID: <${m.id}>`);
  if (m.inReplyTo) h.push(`In-Reply-To: <${m.inReplyTo}>`);
  if (m.refs.length > 0) h.push(...folded('References', m.refs.map((x) => `<${x}>`).join(' ')));
  h.push(...listHeaders(m.list), 'MIME-Version: 1.0', ...m.mime);
  return `${h.join('\n')}\n\n${m.body}`;
}

/** Quoted-printable with soft line breaks at 76 columns. */
function quotedPrintable(text: string): string {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const bytes = Buffer.from(line, 'utf8');
    let enc = '';
    for (let i = 0; i < bytes.length; i++) {
      const c = bytes[i] as number;
      const last = i === bytes.length - 1;
      const plain = c >= 33 && c <= 126 && c !== 61;
      const token =
        plain || (c === 32 && !last)
          ? String.fromCharCode(c)
          : `=${c.toString(16).toUpperCase().padStart(2, '0')}`;
      if (enc.length + token.length > 75) {
        out.push(`${enc}=`);
        enc = '';
      }
      enc += token;
    }
    out.push(enc);
  }
  return out.join('\n');
}

function base64Body(text: string): string {
  return `${(
    Buffer.from(text, 'utf8')
      .toString('base64')
      .match(/.{1,76}/g) ?? []
  ).join('\n')}\n`;
}

// ------------------------------------------------------------------------------------------
// Patches
// ------------------------------------------------------------------------------------------

const CODE = [
  (r: Rng) => `\tret = ${pick(r, WORDS)}_${pick(r, WORDS)}(${pick(r, WORDS)}, ${pick(r, WORDS)});`,
  (r: Rng) => `\tif (!${pick(r, WORDS)})`,
  () => '\t\treturn -ENOMEM;',
  (r: Rng) => `\tif (${pick(r, WORDS)} > ${pick(r, ['PAGE_SIZE', 'MAX_LEN', 'INT_MAX', 'LIMIT'])})`,
  () => '\t\tgoto out;',
  (r: Rng) => `\tspin_lock(&${pick(r, WORDS)}->lock);`,
  (r: Rng) => `\tspin_unlock(&${pick(r, WORDS)}->lock);`,
  (r: Rng) => `\t/* ${words(r, int(r, 3, 9))} */`,
  (r: Rng) => `\t${pick(r, ['unsigned long', 'int', 'size_t', 'struct page *'])} ${pick(r, WORDS)};`,
  () => '',
  () => '\t}',
  (r: Rng) => `\t\t${pick(r, WORDS)}->${pick(r, WORDS)} = ${int(r, 0, 4096)};`,
];

function codeLine(r: Rng): string {
  return pick(r, CODE)(r);
}

interface FilePatch {
  path: string;
  text: string[];
  add: number;
  del: number;
}

function hunkLines(
  r: Rng,
  start: number,
): { lines: string[]; header: string; next: number; add: number; del: number } {
  const lines: string[] = [];
  let oldN = 0;
  let newN = 0;
  let add = 0;
  let del = 0;
  const ctx = (): void => {
    const l = codeLine(r);
    lines.push(` ${l}`);
    oldN++;
    newN++;
  };
  for (let k = 0; k < 3; k++) ctx();
  for (let blocks = int(r, 1, 3); blocks > 0; blocks--) {
    for (let k = int(r, 0, 6); k > 0; k--) {
      lines.push(`-${codeLine(r)}`);
      oldN++;
      del++;
    }
    for (let k = int(r, 1, 12); k > 0; k--) {
      lines.push(`+${codeLine(r)}`);
      newN++;
      add++;
    }
    for (let k = int(r, 1, 4); k > 0; k--) ctx();
  }
  for (let k = 0; k < 2; k++) ctx();
  const fn = `static int ${pick(r, WORDS)}_${pick(r, WORDS)}(struct ${pick(r, WORDS)} *${pick(r, WORDS)})`;
  const header = `@@ -${start},${oldN} +${start},${newN} @@ ${fn}`;
  return { lines, header, next: start + oldN + int(r, 10, 300), add, del };
}

function filePatch(r: Rng, n: number): FilePatch {
  const dir = pick(r, DIRS);
  const path = `${dir}/${pick(r, WORDS)}_${n % 53}.${dir === 'include/linux' ? 'h' : 'c'}`;
  const text = [
    `diff --git a/${path} b/${path}`,
    `index ${hex(r, 12)}..${hex(r, 12)} 100644`,
    `--- a/${path}`,
    `+++ b/${path}`,
  ];
  let start = int(r, 1, 400);
  let add = 0;
  let del = 0;
  for (let h = r() < 0.9 ? int(r, 1, 3) : int(r, 4, 12); h > 0; h--) {
    const hk = hunkLines(r, start);
    text.push(hk.header, ...hk.lines);
    start = hk.next;
    add += hk.add;
    del += hk.del;
  }
  return { path, text, add, del };
}

interface PostedPatch {
  subject: string;
  title: string;
  id: string;
  author: Person;
  quote: string[];
}

function patchBody(r: Rng, files: FilePatch[], revision: number): string {
  const lines: string[] = [];
  for (let p = int(r, 1, 3); p > 0; p--) lines.push(...paragraph(r, int(r, 2, 5)), '');
  if (r() < 0.01) lines.push('From the datasheet, the register is 32 bits wide.', '');
  lines.push(`Signed-off-by: ${pick(r, FIRST)} ${pick(r, LAST)} <dev${int(r, 1, 400)}@example.org>`, '---');
  if (revision > 1) lines.push(`v${revision}: ${words(r, 8)}`, '');
  let add = 0;
  let del = 0;
  for (const f of files) {
    const n = f.add + f.del;
    lines.push(
      ` ${f.path.padEnd(40)} | ${String(n).padStart(3)} ${'+'.repeat(Math.min(f.add, 30))}${'-'.repeat(Math.min(f.del, 20))}`,
    );
    add += f.add;
    del += f.del;
  }
  lines.push(
    ` ${files.length} file${files.length > 1 ? 's' : ''} changed, ${add} insertions(+), ${del} deletions(-)`,
    '',
  );
  for (const f of files) lines.push(...f.text);
  lines.push('-- ', '2.43.0', '');
  return lines.join('\n');
}

// ------------------------------------------------------------------------------------------
// The stream of messages
// ------------------------------------------------------------------------------------------

interface Series {
  revision: number;
  total: number;
  next: number;
  author: Person;
  coverId: string | null;
  title: string;
  subsys: string;
  list: string;
  cc: Person[];
}

class MailGenerator {
  private n = 0;
  private series: Series | null = null;
  /** Recent patches that replies quote (a small ring: memory stays bounded). */
  private readonly recent: PostedPatch[] = [];
  /** Recent discussion threads that get more replies. */
  private readonly threads: { subject: string; ids: string[]; list: string; quote: string[] }[] = [];
  readonly info: SynthInfo = { messages: 0, patches: 0, covers: 0, encoded: 0, bytes: 0, patchBytes: 0 };

  constructor(
    private readonly r: Rng,
    private readonly patchShare: number,
  ) {}

  private id(p: Person): string {
    return `2026${String(this.n).padStart(8, '0')}.${hex(this.r, 6)}-${this.n}-${p.addr.split('@')[0]}@${p.addr.split('@')[1]}`;
  }

  /** The next message, as mbox text (From_ line, escaped body, separator). */
  next(): string {
    const r = this.r;
    let text: string;
    let isPatch = false;
    if (r() < this.patchShare) {
      const s = this.series;
      if (s === null || s.next > s.total) {
        const started = this.startSeries();
        if (started !== null) {
          this.info.covers++;
          text = started;
        } else {
          text = this.patch();
          isPatch = true;
        }
      } else {
        text = this.patch();
        isPatch = true;
      }
    } else {
      text = r() < 0.55 && this.recent.length > 0 ? this.replyToPatch() : this.discussion();
    }
    const escaped = text.replace(/^(>*From )/gm, '>$1');
    const chunk = `From mboxrd@z Thu Jan  1 00:00:00 1970\n${escaped}\n`;
    const size = Buffer.byteLength(chunk);
    this.info.messages++;
    this.info.bytes += size;
    if (isPatch) {
      this.info.patches++;
      this.info.patchBytes += size;
    }
    this.n++;
    return chunk;
  }

  /** Starts a series; returns its cover letter, or null for a lone patch. */
  private startSeries(): string | null {
    const r = this.r;
    const total = r() < 0.35 ? 1 : r() < 0.8 ? int(r, 2, 6) : int(r, 7, 20);
    const author = person(r);
    const cc: Person[] = [];
    for (let k = int(r, 1, 10); k > 0; k--) cc.push(person(r));
    const s: Series = {
      revision: r() < 0.6 ? 1 : int(r, 2, 7),
      total,
      next: 1,
      author,
      coverId: null,
      title: words(r, int(r, 3, 8)),
      subsys: pick(r, SUBSYS),
      list: pick(r, LISTS),
      cc,
    };
    this.series = s;
    if (total === 1) return null;
    const id = this.id(author);
    s.coverId = id;
    const rev = s.revision > 1 ? ` v${s.revision}` : '';
    const body: string[] = [];
    for (let p = int(r, 2, 6); p > 0; p--) body.push(...paragraph(r, int(r, 2, 6)), '');
    body.push(`${author.name} (${total}):`);
    for (let k = 1; k <= total; k++) body.push(`  ${s.subsys}: ${words(r, 5)}`);
    body.push(
      '',
      `base-commit: ${hex(r, 40)}`,
      `change-id: 20260301-${words(r, 2).replace(' ', '-')}-${hex(r, 6)}`,
      '',
      'Best regards,',
      `-- `,
      `${author.name} <${author.addr}>`,
      '',
    );
    return render(r, {
      from: author,
      subject: `[PATCH${rev} 0/${total}] ${s.subsys}: ${s.title}`,
      id,
      inReplyTo: null,
      refs: [],
      when: date(r, this.n),
      list: s.list,
      cc,
      mime: ['Content-Type: text/plain; charset="utf-8"', 'Content-Transfer-Encoding: 7bit'],
      body: body.join('\n'),
    });
  }

  private patch(): string {
    const r = this.r;
    const s = this.series as Series;
    const k = s.next++;
    const files: FilePatch[] = [];
    for (let f = r() < 0.95 ? int(r, 1, 3) : int(r, 4, 10); f > 0; f--) files.push(filePatch(r, this.n + f));
    const body = patchBody(r, files, s.revision);
    const id = this.id(s.author);
    const rev = s.revision > 1 ? ` v${s.revision}` : '';
    const title = `${s.subsys}: ${words(r, int(r, 3, 7))}`;
    const subject = s.total === 1 ? `[PATCH${rev}] ${title}` : `[PATCH${rev} ${k}/${s.total}] ${title}`;
    const kind = r();
    let mime: string[];
    let content = body;
    if (kind < 0.02) {
      this.info.encoded++;
      mime = ['Content-Type: text/plain; charset=UTF-8', 'Content-Transfer-Encoding: quoted-printable'];
      content = quotedPrintable(body);
    } else if (kind < 0.025) {
      this.info.encoded++;
      const boundary = `----=_Part_${hex(r, 12)}`;
      const cut = body.indexOf('\ndiff --git ');
      mime = [`Content-Type: multipart/mixed; boundary="${boundary}"`];
      content = [
        'This is a multi-part message in MIME format.',
        `--${boundary}`,
        'Content-Type: text/plain; charset=UTF-8',
        '',
        body.slice(0, cut),
        `--${boundary}`,
        `Content-Type: text/x-patch; charset=UTF-8; name="000${k}-${s.subsys.replace('/', '-')}.patch"`,
        `Content-Disposition: attachment; filename="000${k}-${s.subsys.replace('/', '-')}.patch"`,
        '',
        body.slice(cut + 1),
        `--${boundary}--`,
        '',
      ].join('\n');
    } else {
      mime = [
        'Content-Type: text/plain; charset="utf-8"',
        `Content-Transfer-Encoding: ${r() < 0.5 ? '8bit' : '7bit'}`,
      ];
    }
    const text = render(r, {
      from: s.author,
      subject,
      id,
      inReplyTo: s.coverId,
      refs: s.coverId ? [s.coverId] : [],
      when: date(r, this.n),
      list: s.list,
      cc: s.cc,
      mime,
      body: content,
    });
    const bodyLines = body.split('\n');
    const diffAt = bodyLines.findIndex((l) => l.startsWith('diff --git '));
    const quote = [...bodyLines.slice(0, 6), ...bodyLines.slice(diffAt, diffAt + int(r, 8, 30))];
    this.recent.push({ subject, title, id, author: s.author, quote });
    if (this.recent.length > 64) this.recent.shift();
    return text;
  }

  private replyBody(to: Person, when: string, quote: string[], trailer: boolean): string {
    const r = this.r;
    const out: string[] = [`On ${when}, ${to.name} wrote:`];
    let q = 0;
    while (q < quote.length) {
      const take = int(r, 2, 10);
      for (const l of quote.slice(q, q + take)) out.push(l === '' ? '>' : `> ${l}`);
      q += take;
      if (r() < 0.6) out.push('', ...paragraph(r, int(r, 1, 4)), '');
      if (r() < 0.15) break;
    }
    if (r() < 0.02) out.push('', 'From what I can see the fault is elsewhere.');
    if (trailer)
      out.push('', `Reviewed-by: ${pick(r, FIRST)} ${pick(r, LAST)} <rev${int(r, 1, 400)}@example.org>`);
    if (r() < 0.5) out.push('', 'Thanks,', pick(r, FIRST));
    if (r() < 0.3) out.push('', '-- ', `${words(r, 4)}`);
    return `${out.join('\n')}\n`;
  }

  private replyToPatch(): string {
    const r = this.r;
    const p = pick(r, this.recent);
    const from = person(r);
    const when = date(r, this.n);
    const body = this.replyBody(p.author, when, p.quote, r() < 0.2);
    return this.finishDiscussion(from, `Re: ${p.subject}`, p.id, [p.id], pick(r, LISTS), body);
  }

  private discussion(): string {
    const r = this.r;
    const from = person(r);
    const when = date(r, this.n);
    if (this.threads.length > 0 && r() < 0.7) {
      const t = pick(r, this.threads);
      const body = this.replyBody(person(r), when, t.quote, false);
      const parent = t.ids[t.ids.length - 1] as string;
      const text = this.finishDiscussion(from, `Re: ${t.subject}`, parent, t.ids.slice(-12), t.list, body);
      const id = this.lastId;
      if (id) t.ids.push(id);
      t.quote = body.split('\n').slice(0, 20);
      return text;
    }
    const subject = pick(r, [
      `${pick(r, SUBSYS)}: ${words(r, int(r, 3, 7))}`,
      `[BUG] ${words(r, int(r, 3, 6))}`,
      `[GIT PULL] ${pick(r, SUBSYS)} fixes for 6.${int(r, 12, 19)}-rc${int(r, 1, 7)}`,
      `Question about ${words(r, int(r, 2, 5))}`,
      `[syzbot] ${words(r, 4)} in ${pick(r, WORDS)}_${pick(r, WORDS)}`,
    ]);
    const lines: string[] = ['Hi,', ''];
    for (let p = int(r, 1, 6); p > 0; p--) lines.push(...paragraph(r, int(r, 2, 6)), '');
    if (r() < 0.3)
      for (let k = int(r, 5, 30); k > 0; k--) lines.push(`[ ${int(r, 0, 999)}.${hex(r, 6)}] ${words(r, 6)}`);
    lines.push('', 'Thanks,', from.name.split(' ')[0] as string, '');
    const body = lines.join('\n');
    const list = pick(r, LISTS);
    const text = this.finishDiscussion(from, subject, null, [], list, body);
    if (this.lastId) this.threads.push({ subject, ids: [this.lastId], list, quote: lines.slice(2, 20) });
    if (this.threads.length > 64) this.threads.shift();
    return text;
  }

  private lastId: string | null = null;

  /** Renders a discussion mail, in one of the encodings mailers use. */
  private finishDiscussion(
    from: Person,
    subject: string,
    parent: string | null,
    refs: string[],
    list: string,
    body: string,
  ): string {
    const r = this.r;
    const id = this.id(from);
    this.lastId = id;
    const cc: Person[] = [];
    for (let k = int(r, 0, 8); k > 0; k--) cc.push(person(r));
    const kind = r();
    let mime: string[];
    let content = body;
    if (kind < 0.08) {
      this.info.encoded++;
      mime = ['Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: quoted-printable'];
      content = quotedPrintable(body.replace(/'/g, '\u2019'));
    } else if (kind < 0.09) {
      this.info.encoded++;
      mime = ['Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: base64'];
      content = base64Body(body);
    } else if (kind < 0.11) {
      this.info.encoded++;
      const boundary = `sig${hex(r, 16)}`;
      mime = [
        `Content-Type: multipart/signed; micalg=pgp-sha256; protocol="application/pgp-signature"; boundary="${boundary}"`,
      ];
      content = [
        `--${boundary}`,
        'Content-Type: text/plain; charset=us-ascii',
        'Content-Disposition: inline',
        '',
        body,
        `--${boundary}`,
        'Content-Type: application/pgp-signature; name="signature.asc"',
        '',
        '-----BEGIN PGP SIGNATURE-----',
        '',
        ...(b64(r, 600).match(/.{1,64}/g) ?? []),
        '-----END PGP SIGNATURE-----',
        '',
        `--${boundary}--`,
        '',
      ].join('\n');
    } else if (kind < 0.115) {
      this.info.encoded++;
      const boundary = `alt${hex(r, 16)}`;
      mime = [`Content-Type: multipart/alternative; boundary="${boundary}"`];
      content = [
        `--${boundary}`,
        'Content-Type: text/plain; charset="UTF-8"',
        '',
        body,
        `--${boundary}`,
        'Content-Type: text/html; charset="UTF-8"',
        '',
        `<div dir="ltr">${body.replace(/\n/g, '<br>')}</div>`,
        `--${boundary}--`,
        '',
      ].join('\n');
    } else {
      mime = [`Content-Type: text/plain; charset=${pick(r, ['us-ascii', 'utf-8', '"UTF-8"', 'iso-8859-1'])}`];
      if (r() < 0.5) mime.push('Content-Transfer-Encoding: 7bit');
    }
    return render(r, {
      from,
      subject,
      id,
      inReplyTo: parent,
      refs,
      when: date(r, this.n),
      list,
      cc,
      mime,
      body: content,
    });
  }
}

/** Writes about `bytes` of mboxrd to `path`; returns what it wrote. */
export async function writeSyntheticMbox(
  path: string,
  bytes: number,
  patchShare = 0.05,
  seed = 1,
): Promise<SynthInfo> {
  const gen = new MailGenerator(rng(seed), patchShare);
  const out = createWriteStream(path, { highWaterMark: 1 << 20 });
  let pending: string[] = [];
  let pendingBytes = 0;
  while (gen.info.bytes < bytes) {
    const chunk = gen.next();
    pending.push(chunk);
    pendingBytes += chunk.length;
    if (pendingBytes > 1 << 20) {
      if (!out.write(pending.join(''))) await once(out, 'drain');
      pending = [];
      pendingBytes = 0;
    }
  }
  if (pending.length > 0) out.write(pending.join(''));
  out.end();
  await once(out, 'finish');
  return gen.info;
}

/**
 * Writes one synthetic stream into several files at once, each cut at the first message boundary
 * past its size: the smaller files are prefixes of the larger ones (same seed, same messages), so
 * a scaling run compares like with like. Returns what each file got.
 */
export async function writeSyntheticMboxes(
  targets: { path: string; bytes: number }[],
  patchShare = 0.05,
  seed = 1,
): Promise<SynthInfo[]> {
  const gen = new MailGenerator(rng(seed), patchShare);
  const open = targets.map((t) => ({
    ...t,
    out: createWriteStream(t.path, { highWaterMark: 1 << 20 }),
    done: false,
  }));
  const infos: SynthInfo[] = targets.map(() => ({ ...gen.info }));
  let pending: string[] = [];
  let pendingBytes = 0;
  const flush = async (): Promise<void> => {
    if (pending.length === 0) return;
    const text = pending.join('');
    pending = [];
    pendingBytes = 0;
    for (const f of open) if (!f.done && !f.out.write(text)) await once(f.out, 'drain');
  };
  while (open.some((f) => !f.done)) {
    const chunk = gen.next();
    pending.push(chunk);
    pendingBytes += chunk.length;
    if (pendingBytes > 1 << 20) await flush();
    for (const [i, f] of open.entries()) {
      if (f.done || gen.info.bytes < f.bytes) continue;
      await flush();
      infos[i] = { ...gen.info };
      f.done = true;
      f.out.end();
      await once(f.out, 'finish');
    }
  }
  return infos;
}

/** The messages one at a time (for tests: no file). */
export function* syntheticMessages(count: number, patchShare = 0.05, seed = 1): Generator<string> {
  const gen = new MailGenerator(rng(seed), patchShare);
  for (let i = 0; i < count; i++) yield gen.next();
}
