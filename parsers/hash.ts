/**
 * Stable hashes of text, for keys and fingerprints that must not change between runs, platforms
 * or Node versions (finding fingerprints, outbox keys, Message-IDs). Pure.
 */
const utf8 = new TextEncoder();
const hex4 = (x: number): string => x.toString(16).padStart(4, '0');

/**
 * 64-bit FNV-1a of the UTF-8 bytes, as 16 hex digits: stable across runs, platforms and Node
 * versions. In four 16-bit limbs (a BigInt per byte made every finding cost a few microseconds
 * of allocation); the prime 0x100000001b3 is 0x1b3 + 0x100 << 32.
 */
export function fnv64(text: string): string {
  let h0 = 0x2325;
  let h1 = 0x8422;
  let h2 = 0x9ce4;
  let h3 = 0xcbf2;
  for (const byte of utf8.encode(text)) {
    h0 ^= byte;
    const t0 = h0 * 0x1b3;
    const t1 = h1 * 0x1b3 + (t0 >>> 16);
    const t2 = h2 * 0x1b3 + h0 * 0x100 + (t1 >>> 16);
    const t3 = h3 * 0x1b3 + h1 * 0x100 + (t2 >>> 16);
    h0 = t0 & 0xffff;
    h1 = t1 & 0xffff;
    h2 = t2 & 0xffff;
    h3 = t3 & 0xffff;
  }
  return hex4(h3) + hex4(h2) + hex4(h1) + hex4(h0);
}
