import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseReviewTrailers } from '../../parsers/review-trailers.js';

const keys = (body: string) => parseReviewTrailers(body).value.map((t) => `${t.key}: ${t.address}`);

describe('review trailers in a reply', () => {
  it('reads the trailers a reviewer writes, with name, address and line', () => {
    const body = [
      'On Mon, 2 Mar 2026, Ann wrote:',
      '> +	return -EPERM;',
      '',
      'Looks right to me.',
      '',
      'Reviewed-by: Ada Example <ada@example.org>',
      'acked-by: bo@example.net',
      'Tested-by: "Lee, Chen" <chen@example.com> # on arm64',
      '',
    ].join('\n');
    expect(parseReviewTrailers(body)).toEqual({
      value: [
        { key: 'Reviewed-by', name: 'Ada Example', address: 'ada@example.org', line: 6 },
        { key: 'Acked-by', name: '', address: 'bo@example.net', line: 7 },
        { key: 'Tested-by', name: 'Lee, Chen', address: 'chen@example.com', line: 8 },
      ],
      issues: [],
    });
  });

  it('leaves out quoted trailers, the signature, a proposed patch and trailers of authorship', () => {
    const body = [
      '> Signed-off-by: Ann Author <ann@example.org>',
      '> Reviewed-by: Quoted Back <quoted@example.org>',
      '  >> Acked-by: Deeper <deeper@example.org>',
      'Signed-off-by: Not A Review <nar@example.org>',
      'Co-developed-by: Not Either <ne@example.org>',
      'Nacked-by: Grumpy <grumpy@example.org>',
      'How about this instead:',
      'diff --git a/kernel/frob.c b/kernel/frob.c',
      'Reviewed-by: In The Patch <in@example.org>',
      '-- ',
      'Reviewed-by: In The Signature <sig@example.org>',
    ].join('\n');
    expect(keys(body)).toEqual(['Nacked-by: grumpy@example.org']);
    expect(keys('Reviewed-by: Sig <a@example.org>\n-- \nAcked-by: B <b@example.org>')).toEqual([
      'Reviewed-by: a@example.org',
    ]);
    expect(keys('Acked-by: x@example.org\n--- a/f\n+++ b/f\nReviewed-by: y@example.org')).toEqual([
      'Acked-by: x@example.org',
    ]);
  });

  it('joins a trailer wrapped before its address; reports one without an address; keeps each once', () => {
    const r = parseReviewTrailers(
      [
        'Reviewed-by: A Very Long Name Indeed',
        '<long@example.org>',
        'Acked-by: me',
        'Tested-by: two <a@example.org>, people <b@example.org>',
        'REVIEWED-BY: Again <LONG@example.org>',
      ].join('\r\n'),
    );
    expect(r.value).toEqual([
      { key: 'Reviewed-by', name: 'A Very Long Name Indeed', address: 'long@example.org', line: 1 },
    ]);
    expect(r.issues.map((i) => [i.code, i.line])).toEqual([
      ['trailer-no-address', 3],
      ['trailer-no-address', 4],
    ]);
  });

  it('keeps a hostile quoted name as data (the page escapes it); markup that is no mailbox is refused', () => {
    const bare = parseReviewTrailers('Reviewed-by: <script>alert(5)</script> <evil@example.org>');
    expect(bare.value).toEqual([]);
    expect(bare.issues.map((i) => i.code)).toEqual(['trailer-no-address']);
    const quoted = parseReviewTrailers('Acked-by: "<img src=x onerror=alert(6)>" <x@example.org>').value;
    expect(quoted).toEqual([
      { key: 'Acked-by', name: '<img src=x onerror=alert(6)>', address: 'x@example.org', line: 1 },
    ]);
  });

  it('never throws, and every trailer it gives names one address on a line of the body', () => {
    const line = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.constantFrom(
        'Reviewed-by: A <a@example.org>',
        '> Acked-by: B <b@example.org>',
        'Tested-by:',
        '<c@example.org>',
        '-- ',
        'diff --git a/x b/x',
        'Acked-by: "x\u0000y" <d@example.org>',
      ),
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 30 }), fc.constantFrom('\n', '\r\n'), (lines, eol) => {
        const body = lines.join(eol);
        const r = parseReviewTrailers(body);
        const bodyLines = body.replace(/\r\n?/g, '\n').split('\n');
        for (const t of r.value) {
          expect(t.address).toMatch(/^[^@\s]+@[^@\s]+$/);
          expect(bodyLines[t.line - 1]?.toLowerCase()).toContain(t.key.toLowerCase());
        }
      }),
    );
    expect(parseReviewTrailers('')).toEqual({ value: [], issues: [] });
    expect(parseReviewTrailers(undefined as unknown as string)).toEqual({ value: [], issues: [] });
  });
});
