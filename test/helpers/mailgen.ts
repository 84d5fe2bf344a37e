import { createTwoFilesPatch } from 'diff';

/** Builds raw RFC 822 mails for tests. Lines are joined with `eol`; the result ends with one. */
export interface MailSpec {
  subject: string;
  messageId?: string | null;
  inReplyTo?: string;
  references?: string[];
  from?: string;
  date?: string;
  headers?: Record<string, string>;
  body: string;
  eol?: string;
}

export function makeMail(m: MailSpec): string {
  const eol = m.eol ?? '\n';
  const h: string[] = [];
  h.push(`From: ${m.from ?? 'Ada Example <ada@example.org>'}`);
  h.push('To: linux-frob@example.org');
  h.push(`Date: ${m.date ?? 'Mon, 2 Mar 2026 10:00:00 +0000'}`);
  h.push(`Subject: ${m.subject}`);
  if (m.messageId !== null) h.push(`Message-ID: <${m.messageId ?? 'x@example.org'}>`);
  if (m.inReplyTo) h.push(`In-Reply-To: <${m.inReplyTo}>`);
  if (m.references?.length) h.push(`References: ${m.references.map((r) => `<${r}>`).join(' ')}`);
  for (const [k, v] of Object.entries(m.headers ?? {})) h.push(`${k}: ${v}`);
  const body = m.body.endsWith('\n') ? m.body : `${m.body}\n`;
  return `${h.join(eol)}${eol}${eol}${body.replace(/\n/g, eol)}`;
}

/** A git-style diff of one file from `before` to `after` (both given as full text). */
export function gitDiff(path: string, before: string, after: string): string {
  const p = createTwoFilesPatch(`a/${path}`, `b/${path}`, before, after, '', '', { context: 3 });
  const lines = p.split('\n');
  // createTwoFilesPatch writes an `Index:` line and a `===` rule; git writes `diff --git` and `index`
  const start = lines.findIndex((l) => l.startsWith('--- '));
  const hunks = lines.slice(start).map((l) => l.replace(/^(---|\+\+\+) (\S+)\t?$/, '$1 $2'));
  return [`diff --git a/${path} b/${path}`, 'index 1111111..2222222 100644', ...hunks].join('\n');
}

export function patchBody(message: string, diff: string, footer = ''): string {
  return `${message}\n---\n 1 file changed\n\n${diff.replace(/\n*$/, '\n')}${footer}-- \n2.39.5\n`;
}

let counter = 0;
/** A small, unique C change (the content differs per call so patches are distinguishable). */
export function smallDiff(tag = `${++counter}`): string {
  const before = 'int a;\nint b;\nint c;\n';
  const after = `int a;\nint b_${tag};\nint c;\n`;
  return gitDiff(`kernel/f${tag.replace(/\W/g, '_')}.c`, before, after);
}

export interface SeriesSpec {
  revision?: number;
  n: number;
  prefix?: string;
  idPrefix: string;
  cover?: boolean;
  title?: string;
  from?: string;
  inReplyTo?: string;
  date?: string;
  footer?: string;
}

/** A whole series as raw mails: cover (0/N) and patches 1..N, threaded shallowly under the cover. */
export function makeSeries(s: SeriesSpec): string[] {
  const rev = s.revision && s.revision > 1 ? ` v${s.revision}` : '';
  const prefix = s.prefix ?? 'PATCH';
  const width = String(s.n).length;
  const root = s.inReplyTo ?? null;
  const coverId = `${s.idPrefix}-0@example.org`;
  const mails: string[] = [];
  const title = s.title ?? 'frob: demo series';
  if (s.cover !== false)
    mails.push(
      makeMail({
        subject: `[${prefix}${rev} ${'0'.padStart(width, '0')}/${s.n}] ${title}`,
        messageId: coverId,
        ...(root ? { inReplyTo: root, references: [root] } : {}),
        from: s.from,
        date: s.date,
        body: `Cover letter of ${title}.\n\n${s.footer ?? ''}-- \n2.39.5\n`,
      }),
    );
  for (let i = 1; i <= s.n; i++) {
    const parent = s.cover !== false ? coverId : i === 1 ? root : `${s.idPrefix}-1@example.org`;
    const refs = [root, parent].filter((x, k, a): x is string => !!x && a.indexOf(x) === k);
    mails.push(
      makeMail({
        subject: `[${prefix}${rev} ${String(i).padStart(width, '0')}/${s.n}] frob: step ${i}`,
        messageId: `${s.idPrefix}-${i}@example.org`,
        ...(parent ? { inReplyTo: parent, references: refs } : {}),
        from: s.from,
        date: s.date,
        body: patchBody(
          `Step ${i} of the series.\n\nSigned-off-by: Ada Example <ada@example.org>`,
          smallDiff(`${s.idPrefix}_${i}`),
        ),
      }),
    );
  }
  return mails;
}
