import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseMacroSpecs } from '../../../parsers/kapi/macro.js';
import { parseMacroSpecsByWindow, type WindowMemo } from '../../../parsers/kapi/macro-windows.js';
import type { ApiSpec } from '../../../parsers/kapi/model.js';
import type { Parsed } from '../../../parsers/types.js';

const FIXTURES = [
  'fixtures/kapi/frob.macro.c',
  'fixtures/kapi/frob2.macro.c',
  'fixtures/kapi/gleam-nested.macro.c',
  'fixtures/kapi/gizmo-raw.macro.c',
  'fixtures/kapi/gadget-generated.macro.c',
  'fixtures/github/gizmo-unterminated.c',
  'fixtures/kapi/trailing-comment.macro.c',
];

/** A memo that keeps every window it is asked for and counts the ones it had to parse. */
function keeping(): { memo: WindowMemo; parsed: string[] } {
  const kept = new Map<string, Parsed<ApiSpec[]>>();
  const parsed: string[] = [];
  return {
    parsed,
    memo: (text, make) => {
      let r = kept.get(text);
      if (!r) {
        r = make();
        parsed.push(text);
        kept.set(text, r);
      }
      // what a cache gives: a copy the caller may change
      return structuredClone(r);
    },
  };
}

/** Two files' worth of each fixture, so a window follows C code and another window. */
const TEXTS = FIXTURES.map((f) => {
  const t = readFileSync(f, 'utf8');
  return { f, text: `${t}\nstatic int between(void)\n{\n\treturn 0;\n}\n\n${t}` };
});

describe('macro specs read window by window', () => {
  it('give what the whole text gives, on every fixture', () => {
    let windowed = 0;
    for (const { f, text } of TEXTS) {
      const { memo, parsed } = keeping();
      expect(parseMacroSpecsByWindow(text, f, memo), f).toEqual(parseMacroSpecs(text, f));
      if (parsed.length > 0) windowed++;
    }
    // the fixtures with KAPI_END_SPEC went by windows; the generated `};` form went whole
    expect(windowed).toBeGreaterThanOrEqual(3);
  });

  it('parse only the window a later text changed', () => {
    const { f, text } = TEXTS[0] as (typeof TEXTS)[number];
    const { memo, parsed } = keeping();
    parseMacroSpecsByWindow(text, f, memo);
    const first = parsed.length;
    expect(first).toBeGreaterThan(0);
    // a later revision: lines above every spec, and one description reworded
    const later = `/* a new first line */\n\n${text.replace('KAPI_DESCRIPTION("', 'KAPI_DESCRIPTION("Now: ')}`;
    const got = parseMacroSpecsByWindow(later, f, memo);
    expect(got).toEqual(parseMacroSpecs(later, f));
    expect(parsed.length).toBe(first + 1);
  });

  it('read whole when a comment opened on the KAPI_END_SPEC line closes below it', () => {
    const { f, text } = TEXTS[3] as (typeof TEXTS)[number];
    const at = text.indexOf('KAPI_END_SPEC') + 'KAPI_END_SPEC'.length;
    const odd = `${text.slice(0, at)}/* runs on${text.slice(at)}`.replace(
      'between(void)',
      'between(void) */',
    );
    const { memo, parsed } = keeping();
    const got = parseMacroSpecsByWindow(odd, f, memo);
    expect(got).toEqual(parseMacroSpecs(odd, f));
    expect(got.issues.map((i) => i.code)).not.toContain('c-unterminated-comment');
    expect(parsed).toEqual([]);
  });

  it('read a comment opened on a KAPI_END_SPEC line as the whole text does (fixture)', () => {
    const f = 'fixtures/kapi/trailing-comment.macro.c';
    const text = readFileSync(f, 'utf8');
    const { memo } = keeping();
    const got = parseMacroSpecsByWindow(text, f, memo);
    expect(got).toEqual(parseMacroSpecs(text, f));
    expect(got.value.map((s) => [s.name, s.partial])).toEqual([
      ['sys_twirl', false],
      ['sys_untwirl', false],
    ]);
    expect(got.issues.map((i) => i.code)).not.toContain('c-unterminated-comment');
  });

  const PIECES = [
    'DEFINE_KERNEL_API_SPEC(sys_x)\n',
    'KAPI_END_SPEC;\n',
    'KAPI_END_SPEC',
    '};\n',
    ';',
    '/*',
    '*/',
    '// c\n',
    '"',
    "'",
    '\\\n',
    '#define X \\\n',
    '#ifdef A\n',
    '\n',
    '(',
    ')',
    ' x DEFINE_SYSFS_API_SPEC(y) ',
    'SYSCALL_DEFINE1(x, int, a)\n',
    'KAPI_PARAM(0, "p", "int", "d")\n',
    '\r\n',
    'DEFINE_KERNEL_API_SPEC /* c */ (sys_y)\n',
    'DEFINE_KERNEL_API_SPEC\n',
    '"DEFINE_KERNEL_API_SPEC(s)"',
    '#define KAPI_END_SPEC\n',
    '\tDEFINE_KAPI_IOCTL_SPEC(i)\n',
  ];

  it('give what the whole text gives, whatever is inserted where', () => {
    fc.assert(
      fc.property(
        fc.nat(TEXTS.length - 1),
        fc.array(fc.tuple(fc.nat(100_000), fc.constantFrom(...PIECES)), { maxLength: 5 }),
        (which, edits) => {
          const { f, text: base } = TEXTS[which] as (typeof TEXTS)[number];
          let text = base;
          for (const [at, piece] of edits) {
            const i = at % (text.length + 1);
            text = text.slice(0, i) + piece + text.slice(i);
          }
          const { memo } = keeping();
          expect(parseMacroSpecsByWindow(text, f, memo)).toEqual(parseMacroSpecs(text, f));
        },
      ),
      {
        numRuns: 400,
        // found by CI and by longer runs: a comment opened after KAPI_END_SPEC on its line, closed further down
        // and a KAPI_END_SPEC inside a `{ ... }` value, read through by the parser
        examples: [
          [
            3,
            [
              [0, 'DEFINE_KERNEL_API_SPEC(sys_x)\n'],
              [1, '// c\n'],
              [1211, '/*'],
            ],
          ],
          [
            3,
            [
              [10027, ')'],
              [14868, '#define KAPI_END_SPEC\n'],
            ],
          ],
        ],
      },
    );
  });
});
