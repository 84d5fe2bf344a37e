import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { collectTextParts, parseContentType, type RawHeader } from '../../parsers/mime.js';

/** The parameter split as it was written first (a string grown a character at a time): the reference. */
function referenceSplit(value: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i] as string;
    if (c === '"' && value[i - 1] !== '\\') quoted = !quoted;
    if (c === ';' && !quoted) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

function referenceParse(value: string | null): { type: string; params: Record<string, string> } {
  if (!value) return { type: 'text/plain', params: {} };
  const parts = referenceSplit(value);
  const type = (parts.shift() ?? '').trim().toLowerCase() || 'text/plain';
  const params: Record<string, string> = {};
  for (const p of parts) {
    const eq = p.indexOf('=');
    if (eq <= 0) continue;
    const key = p.slice(0, eq).trim().toLowerCase();
    let val = p.slice(eq + 1).trim();
    if (val.startsWith('"') && val.endsWith('"') && val.length >= 2)
      val = val.slice(1, -1).replace(/\\(.)/g, '$1');
    params[key] = val;
  }
  return { type, params };
}

describe('parseContentType', () => {
  it('splits parameters on the semicolons outside quotes, as before', () => {
    const piece = fc.constantFrom(
      ';',
      '"',
      '\\',
      '=',
      ' ',
      'text/plain',
      'charset',
      'utf-8',
      'name',
      'a;b',
      'é',
    );
    fc.assert(
      fc.property(fc.array(fc.oneof(piece, fc.string({ maxLength: 4 })), { maxLength: 12 }), (pieces) => {
        const value = pieces.join('');
        expect(parseContentType(value)).toEqual(referenceParse(value));
      }),
      { numRuns: 2000 },
    );
    expect(parseContentType('text/plain; name="a;b.patch"; charset=utf-8')).toEqual({
      type: 'text/plain',
      params: { name: 'a;b.patch', charset: 'utf-8' },
    });
  });
});

describe('collectTextParts', () => {
  const header = (name: string, value: string): RawHeader => ({ name, value, line: 1 });
  it('takes the file name from Content-Disposition, else from the type', () => {
    const body = Buffer.from('diff --git a/x b/x\n');
    const named = (headers: RawHeader[]) => collectTextParts(headers, body, [])[0]?.filename ?? null;
    const type = header('content-type', 'application/octet-stream; name="y.diff"');
    expect(named([type, header('content-disposition', 'attachment; filename="x.patch"')])).toBe('x.patch');
    expect(named([type, header('content-disposition', 'inline')])).toBe('y.diff');
    expect(named([type])).toBe('y.diff');
    expect(collectTextParts([header('content-type', 'application/octet-stream')], body, [])).toEqual([]);
  });
});
