/**
 * Generated mails for the ingest tests: the pieces that decide where a diff is and how the body is
 * encoded (subject, body, transfer encoding, charset, MIME layout, header name case, line ends).
 */
import fc from 'fast-check';
import { gitDiff, patchBody } from './mailgen.js';

export const bin = (s: string): Buffer => Buffer.from(s, 'latin1');

export const DIFF = gitDiff('kernel/frob.c', 'int a;\nint b;\nint c;\n', 'int a;\nint b2;\nint c;\n');
export const PATCH_BODY = patchBody('frob: rename b\n\nSigned-off-by: Ada Example <ada@example.org>', DIFF);
/** A diff without `+++ ` lines: only its `diff --git ` line can give it away. */
export const MODE_DIFF = 'diff --git a/tools/frob.sh b/tools/frob.sh\nold mode 100644\nnew mode 100755\n';

export const nameCase = (name: string) =>
  fc.constantFrom(
    name,
    name.toLowerCase(),
    name.toUpperCase(),
    name.replace(/[aeiou]/g, (c) => c.toUpperCase()),
  );
export const subjectArb = fc.constantFrom(
  '[PATCH 0/3] frob: cover',
  '[PATCH v2 2/3] frob: middle',
  '[RFC 1/2] frob: rfc',
  'PATCH 1/2 frob: bracketless',
  'Re: [PATCH 1/3] frob: reply',
  'RE : [PATCH 1/3] frob: reply',
  'Aw: [PATCH 0/2] frob',
  '=?UTF-8?q?=5BPATCH_1/2=5D_frob?=',
  '=?UTF-8?B?W1BBVENIIDAvMl0gZnJvYg==?=',
  '[GIT PULL] frob 1/2 fixes',
  'frob: plain subject',
  '\x01Re: [PATCH 1/2] control',
);
export const bodyArb = fc.constantFrom(
  PATCH_BODY,
  `\ufeff${DIFF}\n`,
  MODE_DIFF,
  `\ufeff${MODE_DIFF}`,
  `words\n\n${MODE_DIFF}`,
  'just words\n',
  `> ${DIFF.split('\n').join('\n> ')}\n`,
  '--- a/x.c\n+++ b/x.c\n@@ -1 +1 @@\n-a\n+b\n',
  'text\n\nFrom the list\n',
);
export const encodingArb = fc.constantFrom(
  null,
  '7bit',
  '8bit',
  'quoted-printable',
  'base64',
  'x-uuencode',
  'Base64',
);
export const charsetArb = fc.constantFrom(
  null,
  'utf-8',
  'us-ascii',
  'iso-8859-1',
  'utf-16',
  'utf-16le',
  'iso-2022-jp',
  'x-bogus',
);
export const layoutArb = fc.constantFrom(
  'single',
  'multipart',
  'attachment',
  'rfc822',
  'no-blank',
  'malformed',
);

export function encodeBody(text: string, encoding: string | null, charset: string | null): Buffer {
  let bytes: Buffer = Buffer.from(text, 'utf8');
  if (charset?.startsWith('utf-16')) bytes = Buffer.from(`\ufeff${text}`, 'utf16le');
  if (charset === 'iso-2022-jp') bytes = bin(text.replace(/diff/g, 'd\x1b(Biff'));
  const enc = encoding?.toLowerCase();
  if (enc === 'base64') return bin(`${(bytes.toString('base64').match(/.{1,76}/g) ?? []).join('\n')}\n`);
  if (enc === 'quoted-printable')
    return bin(
      [...bytes]
        .map((c, i) =>
          c === 0x0a
            ? '\n'
            : i % 7 === 0 || c > 0x7e || c === 0x3d
              ? `=${c.toString(16).toUpperCase().padStart(2, '0')}`
              : String.fromCharCode(c),
        )
        .join(''),
    );
  return bytes;
}

export function generated(
  nameCases: string[],
  subject: string,
  body: string,
  encoding: string | null,
  charset: string | null,
  layout: string,
  crlf: boolean,
): Buffer {
  const [ct, cte, subj] = nameCases as [string, string, string];
  const type = `text/plain${charset ? `; charset=${charset}` : ''}`;
  const head = ['From: Ada <ada@example.org>', `${subj}: ${subject}`, 'Message-ID: <g@example.org>'];
  const enc = encodeBody(body, encoding, charset);
  let parts: Buffer[];
  if (layout === 'single' || layout === 'no-blank' || layout === 'malformed') {
    head.push(`${ct}: ${type}`);
    if (encoding) head.push(`${cte}: ${encoding}`);
    if (layout === 'malformed') head.push('this line is no header field');
    parts = [bin(`${head.join('\n')}\n${layout === 'no-blank' ? '' : '\n'}`), enc];
  } else if (layout === 'rfc822') {
    head.push(`${ct}: message/rfc822`);
    const inner = `${ct}: ${type}\n${encoding ? `${cte}: ${encoding}\n` : ''}\n`;
    parts = [bin(`${head.join('\n')}\n\n${inner}`), enc];
  } else {
    head.push(`${ct}: multipart/mixed; boundary="b1"`);
    const disp = layout === 'attachment' ? 'Content-Disposition: attachment; filename="0001-x.patch"\n' : '';
    const inner = `${ct}: ${layout === 'attachment' ? 'text/x-patch' : type}\n${disp}${encoding ? `${cte}: ${encoding}\n` : ''}\n`;
    parts = [
      bin(`${head.join('\n')}\n\npreamble\n--b1\n${ct}: text/plain\n\nsee attached\n--b1\n${inner}`),
      enc,
      bin('\n--b1--\n'),
    ];
  }
  const raw = Buffer.concat(parts);
  return crlf ? bin(raw.toString('latin1').replace(/\n/g, '\r\n')) : raw;
}
