import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeEncodedWords } from '../../parsers/headers.js';
import { parseDate, parseMailSync } from '../../parsers/mail.js';
import {
  formatAddress,
  headerText,
  MAX_MESSAGE_ID,
  type MailMessage,
  rfc5322Date,
  toEml,
} from '../../parsers/mail-writer.js';
import { splitHeaders } from '../../parsers/mime.js';

/**
 * The mail writer against the readers: what toEml encodes, parseMailSync (and the header readers
 * under it) decode back. Text is any well-formed Unicode; header text comes back as headerText
 * makes it (control characters blanked, whitespace runs collapsed).
 */
const DATE = new Date(Date.UTC(2026, 2, 3, 9, 30, 0));

function mail(over: Partial<MailMessage> = {}): MailMessage {
  return {
    from: 'kapi-review <bot@example.net>',
    to: ['Ada Example <ada@example.org>'],
    cc: [],
    subject: 'Re: [PATCH] frob',
    messageId: 'reply-1@example.net',
    inReplyTo: null,
    references: [],
    headers: {},
    text: 'Hello.\n',
    ...over,
  };
}

const read = (m: MailMessage) => parseMailSync(toEml(m, DATE)).value;
const headerBlock = (eml: string): string => eml.slice(0, eml.indexOf('\r\n\r\n'));

/** Any well-formed text, with the characters that matter to a writer drawn often. */
const anyText = (maxLength: number) =>
  fc
    .string({
      unit: fc.oneof(
        fc.constantFrom(' ', 'a', 'Z', '=', '?', '"', '\\', '<', '>', ',', ';', ':', '(', ')', '@', '_'),
        fc.constantFrom(
          'é',
          'ß',
          '长',
          '😂',
          '\u00a0',
          '\t',
          '\r',
          '\n',
          '\u0000',
          '\u001b',
          '\u0085',
          '\u2028',
        ),
        fc.constantFrom('=?utf-8?q?x?=', '=?', '?='),
        fc.string({ unit: 'binary', maxLength: 1 }),
      ),
      maxLength,
    })
    .filter((s) => !/\p{Cs}/u.test(s));

const localPart = fc.stringMatching(/^[a-z0-9][a-z0-9._+-]{0,15}$/);
const domain = fc.stringMatching(/^[a-z0-9]{1,12}(\.[a-z]{2,6}){1,2}$/);
const addrSpec = fc.tuple(localPart, domain).map(([l, d]) => `${l}@${d}`);

describe('toEml, read back', () => {
  it('a subject comes back as written (property)', () => {
    fc.assert(
      fc.property(anyText(200), (subject) => {
        const eml = toEml(mail({ subject }), DATE);
        expect(headerBlock(eml)).toMatch(/^[\x20-\x7e\r\n\t]*$/);
        expect(parseMailSync(eml).value.subject).toBe(headerText(subject));
      }),
      { numRuns: 500 },
    );
  });

  it('any other header comes back through the header readers (property)', () => {
    fc.assert(
      fc.property(anyText(200), (value) => {
        const eml = toEml(mail({ headers: { 'X-Kapi-Note': value } }), DATE);
        const headers = splitHeaders(Buffer.from(eml, 'utf8'), []).headers;
        const note = headers.find((h) => h.name === 'x-kapi-note');
        expect(decodeEncodedWords(note?.value ?? '').text).toBe(headerText(value));
      }),
      { numRuns: 300 },
    );
  });

  it('display names and addresses come back as formatAddress wrote them (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(anyText(80), addrSpec), { minLength: 1, maxLength: 4 }), (people) => {
        const values = people.map(([name, address]) => formatAddress({ name, address }) as string);
        const back = read(mail({ from: values[0] as string, to: values, cc: values.slice(1) }));
        const expected = people.map(([name, address]) => ({
          name: [...headerText(name)].slice(0, 200).join('').trim(),
          address,
        }));
        expect(back.from).toEqual(expected[0]);
        expect(back.to).toEqual(expected);
        expect(back.cc).toEqual(expected.slice(1));
      }),
      { numRuns: 300 },
    );
  });

  it('the text comes back byte for byte, in 8bit or quoted-printable (property)', () => {
    const line = fc.oneof(
      { weight: 4, arbitrary: anyText(100).map((s) => s.replace(/[\r\n]/g, ' ')) },
      {
        weight: 1,
        arbitrary: fc.constantFrom('ä'.repeat(600), `=${'x'.repeat(1200)}`, `${'a '.repeat(600)} `),
      },
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 8 }), (lines) => {
        const text = `${lines.join('\n')}\n`;
        const eml = toEml(mail({ text }), DATE);
        const body = eml.slice(eml.indexOf('\r\n\r\n') + 4);
        for (const l of body.split('\r\n')) expect(Buffer.byteLength(l)).toBeLessThanOrEqual(998);
        expect(read(mail({ text })).body).toBe(text);
      }),
      { numRuns: 300 },
    );
  });

  it('Message-ID, In-Reply-To and References come back, folded within 78 columns (property)', () => {
    const id = fc.tuple(fc.stringMatching(/^[A-Za-z0-9.$%+_-]{1,40}$/), domain).map(([l, d]) => `${l}@${d}`);
    fc.assert(
      fc.property(id, fc.option(id), fc.array(id, { maxLength: 12 }), (messageId, inReplyTo, references) => {
        const eml = toEml(mail({ messageId, inReplyTo, references }), DATE);
        for (const l of headerBlock(eml).split('\r\n')) expect(l.length).toBeLessThanOrEqual(78);
        const back = parseMailSync(eml).value;
        expect(back.messageId).toBe(messageId);
        expect(back.inReplyTo).toBe(inReplyTo);
        expect(back.references).toEqual(references);
      }),
    );
  });

  it('the date comes back to the second (property)', () => {
    const second = fc.integer({ min: 0, max: 4_102_444_799 }).map((s) => new Date(s * 1000));
    fc.assert(
      fc.property(second, (d) => {
        expect(parseDate(rfc5322Date(d))).toBe(d.toISOString());
        expect(parseMailSync(toEml(mail(), d)).value.date).toBe(d.toISOString());
      }),
    );
  });
});

describe('toEml', () => {
  it('writes a whole message: fixed headers in order, CRLF, one blank line, the text', () => {
    const eml = toEml(
      mail({ inReplyTo: 'p@example.org', references: ['r@example.org', 'p@example.org'] }),
      DATE,
    );
    expect(eml).toBe(
      [
        'From: kapi-review <bot@example.net>',
        'To: Ada Example <ada@example.org>',
        'Subject: Re: [PATCH] frob',
        'Date: Tue, 03 Mar 2026 09:30:00 +0000',
        'Message-ID: <reply-1@example.net>',
        'In-Reply-To: <p@example.org>',
        'References: <r@example.org> <p@example.org>',
        'MIME-Version: 1.0',
        'Content-Type: text/plain; charset=utf-8',
        'Content-Transfer-Encoding: 8bit',
        '',
        'Hello.',
        '',
      ].join('\r\n'),
    );
  });

  it('leaves out what cannot be carried: a bad header name, a standard header twice, a long Message-ID', () => {
    const eml = toEml(
      mail({
        inReplyTo: `${'x'.repeat(MAX_MESSAGE_ID)}@example.org`,
        headers: { 'Bad Name': 'x', Subject: 'second', 'X-Ok': 'a\r\nBcc: victim@example.org' },
      }),
      DATE,
    );
    const head = headerBlock(eml);
    expect(head).not.toContain('In-Reply-To');
    expect(head).not.toContain('Bad Name');
    expect(head.match(/^Subject:/gm)).toHaveLength(1);
    expect(head).toContain('\r\nX-Ok: a Bcc: victim@example.org');
    expect(head).not.toMatch(/\r\nBcc:/);
  });

  it('encodes a non-ASCII domain as IDNA and a non-ASCII name as encoded words', () => {
    const head = headerBlock(toEml(mail({ to: ['Jörg <joerg@bücher.example>'] }), DATE));
    expect(head).toContain('To: =?UTF-8?B?SsO2cmc=?= <joerg@xn--bcher-kva.example>');
  });
});
