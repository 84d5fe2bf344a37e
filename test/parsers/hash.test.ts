import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fnv64 } from '../../parsers/hash.js';

describe('fnv64 in 16-bit limbs', () => {
  /** The BigInt form it replaced. */
  function bigintFnv64(text: string): string {
    let h = 0xcbf29ce484222325n;
    for (const byte of new TextEncoder().encode(text))
      h = ((h ^ BigInt(byte)) * 0x100000001b3n) & ((1n << 64n) - 1n);
    return h.toString(16).padStart(16, '0');
  }

  it('gives the fingerprints the BigInt form gave', () => {
    expect(fnv64('')).toBe('cbf29ce484222325');
    expect(fnv64('foobar')).toBe('85944171f73967e8');
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => {
        expect(fnv64(s)).toBe(bigintFnv64(s));
      }),
      { numRuns: 3000 },
    );
  });
});
