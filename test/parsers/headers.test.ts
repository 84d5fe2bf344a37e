import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Address,
  addressOf,
  decodeEncodedWords,
  parseAddressList,
  punycodeDecode,
  unfoldHeader,
} from '../../parsers/headers.js';
import { parseMail, parseMailSync } from '../../parsers/mail.js';
import type { Issue } from '../../parsers/types.js';

const codes = (issues: Issue[]) => issues.map((i) => i.code);

describe('unfoldHeader', () => {
  it.each([
    ['a\r\n b', 'a b'],
    ['a\n\tb', 'a\tb'],
    ['a\r\n  b\r\n c', 'a  b c'],
    ['no folding', 'no folding'],
    ['a\r\nb', 'a\r\nb'], // a line break without whitespace after it is no folding
  ])('%j -> %j', (input, expected) => {
    expect(unfoldHeader(input)).toBe(expected);
  });
});

describe('decodeEncodedWords', () => {
  it.each([
    ['UTF-8 B', '=?UTF-8?B?SsO2cmcgTcO8bGxlcg==?=', 'Jörg Müller'],
    ['ISO-8859-1 Q (RFC 2047 8)', '=?ISO-8859-1?Q?Andr=E9_Pirard?=', 'André Pirard'],
    ['lower-case encoding and charset', '=?utf-8?q?caf=c3=a9?=', 'café'],
    ['language suffix (RFC 2231)', '=?utf-8*en?q?Hello?=', 'Hello'],
    ['text around a word', '[PATCH] =?utf-8?q?caf=C3=A9?= fix', '[PATCH] café fix'],
    ['Q: underscore, =XX, literal =', '=?utf-8?Q?x=3Dy_and_a=zz?=', 'x=y and a=zz'],
    ['KOI8-R', '=?koi8-r?B?8NLJ18XU?=', 'Привет'],
    ['GB2312', '=?gb2312?B?1cXI/Q==?=', '张三'],
    ['4-byte UTF-8', '=?utf-8?b?8J+Ygg==?=', '😂'],
    ['windows-1252 quotes', '=?windows-1252?Q?=93quoted=94?=', '“quoted”'],
    ['ISO-8859-1 read as windows-1252 (WHATWG)', '=?iso-8859-1?q?=80?=', '€'],
    ['misspelled charset', '=?win-1252?Q?=93q=94?=', '“q”'],
    ['ISO-8859-15', '=?ISO-8859-15?Q?=A4uro?=', '€uro'],
    ['empty word', '=?utf-8?q??=', ''],
    // RFC 2047 section 8: whitespace between adjacent encoded words is dropped, other text stays
    ['(a)', '(=?ISO-8859-1?Q?a?=)', '(a)'],
    ['(a b)', '(=?ISO-8859-1?Q?a?= b)', '(a b)'],
    ['(ab)', '(=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=)', '(ab)'],
    ['(ab), two spaces', '(=?ISO-8859-1?Q?a?=  =?ISO-8859-1?Q?b?=)', '(ab)'],
    ['(ab), folded', '(=?ISO-8859-1?Q?a?=\r\n    =?ISO-8859-1?Q?b?=)', '(ab)'],
    ['(a b), encoded space', '(=?ISO-8859-1?Q?a_b?=)', '(a b)'],
    ['(a b), two charsets', '(=?ISO-8859-1?Q?a?= =?ISO-8859-2?Q?_b?=)', '(a b)'],
    ['two adjacent UTF-8 words', '=?utf-8?q?J=C3=B6rg?= =?utf-8?q?_M=C3=BCller?=', 'Jörg Müller'],
    ['a character split across two words', '=?UTF-8?Q?=C3?= =?UTF-8?B?qQ==?=', 'é'],
    ['words joined with no space', '=?UTF-8?B?w6k=?==?UTF-8?B?w6k=?=', 'éé'],
    ['text between words stays', '=?utf-8?q?a?= b =?utf-8?q?c?=', 'a b c'],
    ['not an encoding letter', '=?utf-8?x?abc?=', '=?utf-8?x?abc?='],
    ['no closing ?=', '=?utf-8?q?abc', '=?utf-8?q?abc'],
  ])('%s', (_label, input, expected) => {
    const r = decodeEncodedWords(input);
    expect(r.text).toBe(expected);
    expect(r.issues).toEqual([]);
  });

  it.each([
    ['unknown charset, UTF-8 bytes', '=?x-unknown?q?caf=C3=A9?=', 'café', 'mail-unknown-charset'],
    ['unknown charset, 8-bit bytes', '=?x-unknown?q?caf=E9?=', 'café', 'mail-unknown-charset'],
    ['bad base64 stays as written', '=?utf-8?b?@@@?= x', '=?utf-8?b?@@@?= x', 'mail-bad-encoded-word'],
    ['truncated base64 stays as written', '=?utf-8?b?QUJDR?=', '=?utf-8?b?QUJDR?=', 'mail-bad-encoded-word'],
    ['invalid UTF-8 bytes', '=?utf-8?q?a=FFb?=', 'a\uFFFDb', 'mail-bad-encoded-word'],
  ])('%s: reported, never thrown', (_label, input, expected, code) => {
    const r = decodeEncodedWords(input);
    expect(r.text).toBe(expected);
    expect(codes(r.issues)).toEqual([code]);
  });

  it('keeps a malformed word between good ones, with the text around it', () => {
    const r = decodeEncodedWords('=?utf-8?q?a?= =?utf-8?b?!!?= =?utf-8?q?b?=');
    expect(r.text).toBe('a =?utf-8?b?!!?= b');
    expect(codes(r.issues)).toEqual(['mail-bad-encoded-word']);
  });

  it('reports a repeated problem once', () => {
    const r = decodeEncodedWords('=?x-a?q?1?= x =?x-a?q?2?= y =?x-a?q?3?=');
    expect(r.text).toBe('1 x 2 y 3');
    expect(r.issues).toHaveLength(1);
  });

  it('returns strings without "=?" unchanged (property)', () => {
    const noWord = fc.string({ unit: 'binary', maxLength: 300 }).filter((s) => !s.includes('=?'));
    fc.assert(
      fc.property(noWord, (s) => {
        const r = decodeEncodedWords(s);
        expect(r.text).toBe(s);
        expect(r.issues).toEqual([]);
      }),
      { numRuns: 500 },
    );
  });

  it('gives back any text encoded as UTF-8 words split at any byte (property)', () => {
    const encoded = fc.record({
      text: fc.string({ unit: 'binary', minLength: 1, maxLength: 60 }),
      cuts: fc.array(fc.nat(), { maxLength: 5 }),
      b: fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }),
      sep: fc.constantFrom('', ' ', '  ', '\r\n ', '\t'),
    });
    fc.assert(
      fc.property(encoded, ({ text, cuts, b, sep }) => {
        const bytes = Buffer.from(text, 'utf8');
        const at = [...new Set(cuts.map((c) => c % bytes.length))].sort((x, y) => x - y);
        const chunks: Buffer[] = [];
        let prev = 0;
        for (const c of [...at, bytes.length]) {
          if (c > prev) chunks.push(bytes.subarray(prev, c));
          prev = c;
        }
        const words = chunks.map((c, i) =>
          b[i]
            ? `=?UTF-8?B?${c.toString('base64')}?=`
            : `=?utf-8?Q?${[...c].map((x) => `=${x.toString(16).padStart(2, '0')}`).join('')}?=`,
        );
        const r = decodeEncodedWords(words.join(sep));
        expect(r.text).toBe(text);
        expect(r.issues).toEqual([]);
      }),
      { numRuns: 500 },
    );
  });

  it('never throws on hostile input (property)', () => {
    const piece = fc.constantFrom(
      '=?',
      '?=',
      '?q?',
      '?B?',
      'utf-8',
      'x-bad',
      '=C3',
      '=ZZ',
      '_',
      ' ',
      '@@',
      'A==',
    );
    const hostile = fc.oneof(
      fc.array(piece, { maxLength: 30 }).map((a) => a.join('')),
      fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) }),
    );
    fc.assert(
      fc.property(hostile, (s) => {
        expect(typeof decodeEncodedWords(s).text).toBe('string');
      }),
      { numRuns: 1000 },
    );
  });
});

type Row = [string, string, Address[], string[]?];
const a = (name: string, address: string): Address => ({ name, address });

describe('parseAddressList', () => {
  const rows: Row[] = [
    ['name-addr', 'Ada Example <ada@example.org>', [a('Ada Example', 'ada@example.org')]],
    ['bare addr-spec', 'ada@example.org', [a('', 'ada@example.org')]],
    ['case is kept', 'Ada <ADA@Example.ORG>', [a('Ada', 'ADA@Example.ORG')]],
    ['quoted name with a comma', '"Quoted, Name" <a@b.org>', [a('Quoted, Name', 'a@b.org')]],
    ['backslash escapes', String.raw`"A \"B\" C \\ D" <a@b.org>`, [a('A "B" C \\ D', 'a@b.org')]],
    ['comment names a bare address', 'a@b.org (Comment Name)', [a('Comment Name', 'a@b.org')]],
    ['nested comment', 'a@b.org (Comment (nested) Name)', [a('Comment (nested) Name', 'a@b.org')]],
    ['comment after a name-addr', 'Ada <a@b.org> (work)', [a('Ada', 'a@b.org')]],
    ['comment before the address', '(Ada) a@b.org', [a('Ada', 'a@b.org')]],
    ['whitespace inside a name kept', 'Ada  Example <a@b.org>', [a('Ada  Example', 'a@b.org')]],
    ['quoted word then atom', '"Ada" Example <a@b.org>', [a('Ada Example', 'a@b.org')]],
    [
      'a kernel Cc line',
      'Linus Torvalds <torvalds@linux-foundation.org>, linux-kernel@vger.kernel.org, "Paul E. McKenney" <paulmck@kernel.org>',
      [
        a('Linus Torvalds', 'torvalds@linux-foundation.org'),
        a('', 'linux-kernel@vger.kernel.org'),
        a('Paul E. McKenney', 'paulmck@kernel.org'),
      ],
    ],
    [
      'folded',
      'Ada Example\r\n <ada@example.org>,\r\n\tbo@example.net',
      [a('Ada Example', 'ada@example.org'), a('', 'bo@example.net')],
    ],
    // groups are flattened, their names dropped, order kept
    ['group', 'Group: a@b.org, Bo <c@d.org>;', [a('', 'a@b.org'), a('Bo', 'c@d.org')]],
    [
      'group between mailboxes',
      'x@y.org, Team: a@b.org;, e@f.org',
      [a('', 'x@y.org'), a('', 'a@b.org'), a('', 'e@f.org')],
    ],
    ['empty group', 'undisclosed-recipients:;', []],
    ['empty group without ;', 'undisclosed-recipients:', []],
    ['semicolon as a separator', 'a@b.org; c@d.org', [a('', 'a@b.org'), a('', 'c@d.org')]],
    // encoded words
    ['UTF-8 B-encoded name', '=?UTF-8?B?SsO2cmcgTcO8bGxlcg==?= <jm@x.org>', [a('Jörg Müller', 'jm@x.org')]],
    [
      'Q-encoded ISO-8859-1 name',
      '=?iso-8859-1?q?J=F6rg_M=FCller?= <jm@x.org>',
      [a('Jörg Müller', 'jm@x.org')],
    ],
    [
      'two adjacent encoded words',
      '=?UTF-8?Q?Micha=C5=82?= =?UTF-8?Q?_Miros=C5=82aw?= <mirq@rere.qmqm.pl>',
      [a('Michał Mirosław', 'mirq@rere.qmqm.pl')],
    ],
    [
      'encoded word and plain word',
      '=?utf-8?q?J=C3=B6rg?= Example <j@x.org>',
      [a('Jörg Example', 'j@x.org')],
    ],
    // RFC 2047 5(3) says an encoded word inside a quoted string is not one; mail clients (and
    // mailparser, which this replaces) decode it anyway, and so do we: mailers do write this
    [
      'encoded word in a quoted string',
      '"=?utf-8?b?SsO2cmc=?= Example" <j@x.org>',
      [a('Jörg Example', 'j@x.org')],
    ],
    ['raw UTF-8 name', 'Jörg Müller <jm@x.org>', [a('Jörg Müller', 'jm@x.org')]],
    // angle-addr shapes
    ['spaces inside the brackets', 'Name < a@b.org >', [a('Name', 'a@b.org')]],
    ['spaces around the @', 'Name <a @ b.org>', [a('Name', 'a@b.org')]],
    ['two addresses in one bracket', 'Name <a@b.org c@d.org>', [a('Name c@d.org', 'a@b.org')]],
    ['source route', '<@relay1,@relay2:user@example.com>', [a('', 'user@example.com')]],
    ['quoted local part', '"john doe"@example.com', [a('', '"john doe"@example.com')]],
    ['quoted local part that needs no quotes', '"john.doe"@example.com', [a('', 'john.doe@example.com')]],
    ['domain literal with colons', 'user@[IPv6:2001:db8::1]', [a('', 'user@[IPv6:2001:db8::1]')]],
    ['IDNA domain', 'a@xn--mller-kva.de', [a('', 'a@müller.de')]],
    ['name equal to the address', '"a@b.org" <a@b.org>', [a('', 'a@b.org')]],
    ['quoted address alone', '"a@b.org"', [a('', 'a@b.org')]],
    ['address then name', 'a@b.org John', [a('John', 'a@b.org')]],
    ['name then bare address', 'John a@b.org', [a('John', 'a@b.org')]],
    // damage
    ['stray commas', ', , a@b.org,, c@d.org ,', [a('', 'a@b.org'), a('', 'c@d.org')]],
    ['unquoted comma in a name', 'Doe, John <j@x.org>', [a('Doe, John', 'j@x.org')]],
    ['missing > at the end', 'Name <a@b.org', [a('Name', 'a@b.org')], ['mail-bad-address']],
    [
      'missing > before the next entry',
      'Name <a@b.org, Bo <c@d.org>',
      [a('Name', 'a@b.org'), a('Bo', 'c@d.org')],
      ['mail-bad-address'],
    ],
    ['stray >', 'Ada <ada@example.org>>', [a('Ada', 'ada@example.org')], ['mail-bad-address']],
    [
      'unclosed quote',
      '"Ada Example <ada@example.org>',
      [a('Ada Example', 'ada@example.org')],
      ['mail-bad-address'],
    ],
    ['unclosed comment', 'a@b.org (Ada', [a('Ada', 'a@b.org')], ['mail-bad-address']],
    ['no address at all', 'garbage', [], ['mail-bad-address']],
    ['local name only', '<root>', [], ['mail-bad-address']],
    ['empty brackets', '<>', [], ['mail-bad-address']],
    ['empty', '', []],
    [
      'garbage around a usable address',
      'Ada ) <ada@example.org> , junk',
      [a('Ada', 'ada@example.org')],
      ['mail-bad-address'],
    ],
    // RFC 2047 5: no encoded word in an addr-spec; one that hides another mailbox is dropped
    ['encoded address', '=?utf-8?q?a?=@b.org', [a('', 'a@b.org')]],
    [
      'encoded address hiding two',
      `=?utf-8?b?${Buffer.from('a@b.org, evil@x.org').toString('base64')}?= <x@y.org>`,
      [a('a@b.org, evil@x.org', 'x@y.org')],
    ],
    [
      'encoded word as the whole address',
      `<=?utf-8?b?${Buffer.from('a b@c').toString('base64')}?=>`,
      [],
      ['mail-bad-address'],
    ],
  ];

  it.each(rows)('%s: %j', (_label, input, expected, issueCodes = []) => {
    const issues: Issue[] = [];
    expect(parseAddressList(input, issues)).toEqual(expected);
    expect([...new Set(codes(issues))]).toEqual(issueCodes);
  });

  it('works without an issue sink', () => {
    expect(parseAddressList('garbage, a@b.org')).toEqual([a('', 'a@b.org')]);
  });

  it('never throws, and every address it returns has an @ (property)', () => {
    const piece = fc.constantFrom(
      'Ada',
      ' ',
      '"',
      '\\',
      '<',
      '>',
      '(',
      ')',
      ',',
      ';',
      ':',
      '@',
      '[',
      ']',
      'a@b.org',
      '=?utf-8?q?J=C3=B6rg?=',
      '=?x?b?@@?=',
      '\r\n ',
      '\u0000',
    );
    const input = fc.oneof(
      fc.array(piece, { maxLength: 40 }).map((p) => p.join('')),
      fc.string({ unit: 'binary', maxLength: 300 }),
      fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) }),
    );
    fc.assert(
      fc.property(input, (s) => {
        const issues: Issue[] = [];
        const list = parseAddressList(s, issues);
        for (const x of list) {
          expect(x.address).toContain('@');
          expect(typeof x.name).toBe('string');
        }
        for (const i of issues) expect(typeof i.message).toBe('string');
      }),
      { numRuns: 2000 },
    );
  });

  it('stays linear on long hostile values', () => {
    for (const unit of ['@[', '"', '(', '<', '=?utf-8?q?', 'a ', ',']) {
      const s = unit.repeat(200_000 / unit.length);
      const t0 = performance.now();
      parseAddressList(s);
      expect(performance.now() - t0).toBeLessThan(2000);
    }
  });
});

describe('addressOf', () => {
  it.each([
    ['Ada Example <Ada@Example.org>', 'ada@example.org'],
    ['"Doe, Jane" <jane@example.org>', 'jane@example.org'],
    ['<list@vger.kernel.org>  ', 'list@vger.kernel.org'],
    [' bot@kapi.example.org ', 'bot@kapi.example.org'],
    ['LINUX-MM@KVACK.ORG', 'linux-mm@kvack.org'],
    ['Name <>', ''],
    ['', ''],
  ])('%j -> %j', (value, expected) => {
    expect(addressOf(value)).toBe(expected);
  });

  it('takes a parsed Address, and nothing as no address', () => {
    expect(addressOf({ name: 'x', address: 'X@Y.org' })).toBe('x@y.org');
    expect(addressOf(null)).toBe('');
    expect(addressOf(undefined)).toBe('');
    expect(addressOf({ name: 'x' } as unknown as Address)).toBe('');
  });

  it('gives what the parser reads for a plain mailbox (property)', () => {
    const local = fc.stringMatching(/^[a-zA-Z0-9._+-]{1,12}$/);
    // no `xn--` label: the parser shows an IDNA domain in Unicode
    const domain = fc.stringMatching(/^[a-zA-Z0-9]{1,12}(\.[a-zA-Z]{1,6})?$/);
    const name = fc.stringMatching(/^[a-zA-Z ]{0,12}$/);
    fc.assert(
      fc.property(local, domain, name, (l, d, n) => {
        const value = n.trim() ? `"${n}" <${l}@${d}>` : `${l}@${d}`;
        const [parsed] = parseAddressList(value);
        expect(addressOf(value)).toBe((parsed?.address ?? '').toLowerCase());
      }),
    );
  });
});

describe('punycodeDecode (RFC 3492)', () => {
  it.each([
    ['mller-kva', 'müller'],
    ['bcher-kva', 'bücher'],
    ['ihqwcrb4cv8a8dqg056pqjye', '他们为什么不说中文'],
    ['abc-', 'abc'],
  ])('%s -> %s', (input, expected) => {
    expect(punycodeDecode(input)).toBe(expected);
  });

  it('rejects what is not punycode', () => {
    expect(punycodeDecode('a-!!')).toBeNull();
    expect(punycodeDecode('ü-x')).toBeNull();
  });
});

describe('parseMail on encoded and damaged headers', () => {
  const head = (h: string) => `${h}\nMessage-ID: <m@x>\nDate: Mon, 2 Mar 2026 10:00:00 +0000\n\nbody\n`;

  it('decodes the subject and names, joins repeated To and Cc headers', () => {
    const raw = head(
      [
        'From: =?utf-8?b?SsO2cmc=?= <j@x.org>',
        'To: a@x.org',
        'To: "Doe, John" <jd@x.org>',
        'Cc: =?iso-8859-1?q?Andr=E9?= <andre@x.org>, list@vger.kernel.org',
        'Subject: [PATCH] mm: =?UTF-8?Q?caf=C3=A9?=\n =?UTF-8?Q?_cr=C3=A8me?=',
      ].join('\n'),
    );
    const { value: m, issues } = parseMailSync(raw);
    expect(issues).toEqual([]);
    expect(m.from).toEqual(a('Jörg', 'j@x.org'));
    expect(m.to).toEqual([a('', 'a@x.org'), a('Doe, John', 'jd@x.org')]);
    expect(m.cc).toEqual([a('André', 'andre@x.org'), a('', 'list@vger.kernel.org')]);
    expect(m.subject).toBe('[PATCH] mm: café crème');
  });

  it('reads only the first From header', () => {
    const { value: m } = parseMailSync(head('From: a@x.org\nFrom: b@x.org\nSubject: x'));
    expect(m.from).toEqual(a('', 'a@x.org'));
  });

  it('reports what it could not read at the header line', () => {
    const raw = head('Subject: =?x-klingon?q?tlhIngan?=\nFrom: nobody\nCc: Ada <ada@x.org');
    const { value: m, issues } = parseMailSync(raw);
    expect(m.subject).toBe('tlhIngan');
    expect(m.from).toBeNull();
    expect(m.cc).toEqual([a('Ada', 'ada@x.org')]);
    expect(issues.map((i) => [i.code, i.line])).toEqual([
      ['mail-bad-address', 2],
      ['mail-missing-from', undefined],
      ['mail-bad-address', 3],
      ['mail-unknown-charset', 1],
    ]);
    expect(issues[0]?.message).toMatch(/^from: /);
  });

  it('parseMail is parseMailSync behind a promise', async () => {
    const raw = head('From: Ada <ada@x.org>\nSubject: [PATCH] x');
    expect(await parseMail(raw)).toEqual(parseMailSync(raw));
  });
});
