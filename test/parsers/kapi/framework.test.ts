/**
 * Learning a KAPI framework from its own files: the made-up frob framework of
 * fixtures/framework/ (v1 from the series that adds it, v2 from a tree), and small files written
 * here in the shapes of the real ones. Each fact must name the file and line that defines it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  emptyFramework,
  endMacros,
  type FrameworkFile,
  formsOf,
  holdsFramework,
  knowsKey,
  knowsName,
  knowsSubKey,
  knowsToken,
  learnFramework,
  newestForm,
  overlay,
  roleOf,
  wholeFile,
} from '../../../parsers/kapi/framework.js';
import { builtinFrameworks, latestBuiltin, postingsWith } from '../../../parsers/kapi/frameworks.js';

const tree = join(import.meta.dirname, '..', '..', '..', 'fixtures', 'framework', 'tree-v2');
const treeFile = (path: string): FrameworkFile => wholeFile(path, readFileSync(join(tree, path), 'utf8'));
const V2 = [
  'include/linux/kernel_api_spec.h',
  'tools/lib/python/kdoc/kdoc_parser.py',
  'tools/lib/python/kdoc/kdoc_apispec.py',
  'scripts/Makefile.build',
].map(treeFile);

const lineOf = (f: FrameworkFile, needle: string): number =>
  f.lines.find((l) => l.text.includes(needle))?.n ?? -1;

describe('learnFramework on the frob framework v2 (fixtures/framework/tree-v2)', () => {
  const fw = learnFramework(V2, 'the tree', 'tree');
  const [header, kdocParser, generator, kbuild] = V2 as [
    FrameworkFile,
    FrameworkFile,
    FrameworkFile,
    FrameworkFile,
  ];

  it('reads every file it has a role for, and holds a framework', () => {
    expect(holdsFramework(V2)).toBe(true);
    expect(fw.files.sort()).toEqual(V2.map((f) => f.path).sort());
    expect(fw.header).toBe('include/linux/kernel_api_spec.h');
  });

  it('macros with their arity and line; enum members with their enum', () => {
    expect(fw.macros.KAPI_PARAM).toMatchObject({ arity: 4, line: lineOf(header, '#define KAPI_PARAM(') });
    expect(fw.macros.DEFINE_KERNEL_API_SPEC).toMatchObject({ arity: 1, path: header.path });
    expect(fw.macros.DEFINE_KERNEL_API_SPEC?.text).toMatch(/^#define DEFINE_KERNEL_API_SPEC\(fn\)/);
    expect(fw.constants.KAPI_TYPE_UINT).toMatchObject({
      group: 'kapi_param_type',
      line: lineOf(header, 'KAPI_TYPE_UINT,'),
    });
    expect(fw.constants.KAPI_PARAM_USER?.group).toBe('kapi_param_flags');
    // the include guard is no macro of the framework
    expect(knowsName(fw, '_LINUX_KERNEL_API_SPEC_H')).toBeNull();
    // v2 dropped these
    expect(knowsName(fw, 'KAPI_FROB_HINT')).toBeNull();
    expect(endMacros(fw)).toEqual([]);
  });

  it("kernel-doc's sections are the keys; the generator adds sub-keys, tokens and indicators", () => {
    expect(knowsKey(fw, 'frob-note')).toMatchObject({
      path: kdocParser.path,
      line: lineOf(kdocParser, "'frob-note'"),
    });
    expect(knowsKey(fw, 'frob-hint')).toBeNull();
    expect(knowsKey(fw, 'contexts')).not.toBeNull();
    // returns? in a section-name regex means return and returns
    expect(knowsKey(fw, 'return')).not.toBeNull();
    expect(knowsKey(fw, 'returns')).not.toBeNull();
    expect(knowsSubKey(fw, 'check-type')).toMatchObject({ path: generator.path });
    expect(knowsToken(fw, 'sleepable')).toMatchObject({ constants: ['KAPI_CTX_SLEEPABLE'] });
    expect(knowsToken(fw, 'sleepabel')).toBeNull();
    expect(fw.generator).toMatchObject({
      indicators: ['contexts', 'param', 'error'],
      need: 2,
      source: { path: generator.path, line: lineOf(generator, 'indicators = [') },
    });
  });

  it("kbuild's grep keys come from the Makefile line", () => {
    expect(fw.kbuild).toMatchObject({
      keys: ['contexts', 'frob-ctx'],
      source: { path: kbuild.path, line: lineOf(kbuild, 'grep') },
    });
    expect(fw.extractor).toBeNull();
  });

  it('reads the kerneldoc forms and no longer the macro form (no *_END macros)', () => {
    expect(formsOf(fw)).toEqual(['kerneldoc-2', 'kerneldoc-3']);
    expect(newestForm(fw)).toBe('kerneldoc-3');
  });
});

describe('learnFramework on small files in the shapes of the real ones', () => {
  it('RFC v3-style kbuild: an escaped grep group; RFC v3-style section regex; one indicator is enough', () => {
    const mk = wholeFile(
      'scripts/Makefile.build',
      "x := $(shell find . -exec grep -l '^\\s*\\*\\s*\\(api-type\\|context-flags\\|lock\\):' {} \\;)",
    );
    const parser = wholeFile(
      'scripts/lib/kdoc/kdoc_parser.py',
      [
        "doc_sect = doc_com + KernRe(r'\\s*(\\@[.\\w\\-]+|description|' +",
        "    r'@?api-type|@?param-type|@?lock|@?lock-desc|' +",
        "    r'@?kapi-.*)\\s*:([^:].*)?$', flags=re.I)",
      ].join('\n'),
    );
    const gen = wholeFile(
      'scripts/lib/kdoc/kdoc_apispec.py',
      [
        'def out_function(self, sections):',
        "    api_indicators = ['api-type', 'param-type', 'lock']",
        '    for indicator in api_indicators:',
        '        if indicator in sections:',
        '            return True',
      ].join('\n'),
    );
    const fw = learnFramework([mk, parser, gen], 'this series', 'series');
    expect(fw.kbuild?.keys).toEqual(['api-type', 'context-flags', 'lock']);
    expect(knowsKey(fw, 'param-type')).toMatchObject({ line: 2 });
    expect(knowsKey(fw, 'kapi-anything')).not.toBeNull();
    expect(knowsKey(fw, 'description')).not.toBeNull();
    expect(fw.generator).toMatchObject({ indicators: ['api-type', 'param-type', 'lock'], need: 1 });
    expect(formsOf(fw)).toContain('kerneldoc-1');
  });

  it('the extractor\'s strings come from contains("key:") tests', () => {
    const rs = wholeFile(
      'tools/kapi/src/extractor/source_parser.rs',
      'if doc.contains("contexts:") || doc.contains("error:") || line.contains("*/") {',
    );
    const fw = learnFramework([rs], 'x', 'series');
    expect(fw.extractor).toMatchObject({ needles: ['contexts:', 'error:'], source: { line: 1 } });
  });

  it('files of no role are ignored; kernel-doc alone (no apispec generator) is no KAPI framework', () => {
    const files = [
      wholeFile('kernel/frob.c', '#define KAPI_NOT_A_FRAMEWORK 1\n'),
      wholeFile('tools/lib/python/kdoc/kdoc_parser.py', "known = 'description|context|returns?'\n"),
    ];
    expect(roleOf('kernel/frob.c')).toBeNull();
    expect(holdsFramework(files)).toBe(false);
    const fw = learnFramework(files, 'x', 'tree');
    expect(fw.kerneldoc).toBeNull();
    expect(fw.macros).toEqual({});
  });

  it('never throws on garbage, cut-off or hostile text', () => {
    const junk = [
      '#define KAPI_X(',
      '#define \\\n',
      'enum kapi_x { A, B',
      "'''unterminated docstring",
      "indicators = ['a', 'b'",
      'grep (((((:',
      '\u0000\u0001\u202e',
      'x'.repeat(100_000),
    ].join('\n');
    for (const path of [
      'include/linux/kernel_api_spec.h',
      'tools/lib/python/kdoc/kdoc_parser.py',
      'tools/lib/python/kdoc/kdoc_apispec.py',
      'scripts/Makefile.build',
      'tools/kapi/src/extractor/source_parser.rs',
    ])
      expect(() => learnFramework([wholeFile(path, junk)], 'x', 'series')).not.toThrow();
  });

  it('a file known only by hunks is learned from the lines shown, at their own numbers', () => {
    const partial: FrameworkFile = {
      path: 'include/linux/kernel_api_spec.h',
      lines: [
        { n: 700, text: '#define KAPI_NEW_THING(x) .new_thing = x,' },
        { n: 701, text: '' },
      ],
      whole: false,
    };
    const fw = learnFramework([partial], 'this series', 'series');
    expect(fw.macros.KAPI_NEW_THING).toMatchObject({ line: 700, arity: 1 });
  });
});

describe('overlay', () => {
  it('keeps the fallback, adds what the series defines, and cites each fact where it came from', () => {
    const base = latestBuiltin();
    const top = learnFramework(
      [wholeFile('scripts/Makefile.build', "has = $(shell grep -lE '^\\s*\\*\\s*(context-flags):' $(1))")],
      'this series',
      'series',
    );
    const fw = overlay(base, top);
    expect(fw.name).toBe('this series');
    expect(fw.kbuild).toMatchObject({
      keys: ['context-flags'],
      source: { path: 'scripts/Makefile.build', line: 1 },
    });
    expect(fw.kbuild?.source.from).toBeUndefined();
    expect(fw.generator?.source.from).toBe(base.name);
    expect(knowsName(fw, 'DEFINE_KERNEL_API_SPEC')?.from).toBe(base.name);
    // the built-in itself is not changed
    expect(base.generator?.source.from).toBeUndefined();
    expect(emptyFramework('x', 'tree').kerneldoc).toBeNull();
  });
});

describe('the built-in frameworks (frameworks.data.ts, learned from the corpus postings)', () => {
  const byPosting = new Map(builtinFrameworks().map((f) => [f.posting, f]));

  it('are RFC v2, RFC v3 and PATCH v4, oldest first; the latest is PATCH v4', () => {
    expect(builtinFrameworks().map((f) => f.name)).toEqual(['RFC v2', 'RFC v3', 'PATCH v4']);
    expect(latestBuiltin().posting).toBe('patch-v4');
  });

  it("hold names, files and lines, never the postings' text", () => {
    const json = JSON.stringify(builtinFrameworks());
    expect(json).not.toMatch(/"text":/);
    expect(json).not.toMatch(/#define/);
  });

  it('RFC v2 reads the macro form only; RFC v3 adds flat kerneldoc keys; PATCH v4 drops *_END', () => {
    expect(formsOf(byPosting.get('rfc-v2') ?? latestBuiltin())).toEqual(['macro']);
    expect(formsOf(byPosting.get('rfc-v3') ?? latestBuiltin())).toEqual(['macro', 'kerneldoc-1']);
    expect(formsOf(latestBuiltin())).toEqual(['kerneldoc-2', 'kerneldoc-3']);
  });

  it('know who defined what: KAPI_SINCE_VERSION until RFC v3, contexts: from PATCH v4', () => {
    expect(postingsWith('macro', 'KAPI_SINCE_VERSION').map((p) => p.framework.name)).toEqual([
      'RFC v2',
      'RFC v3',
    ]);
    expect(postingsWith('key', 'contexts').map((p) => p.framework.name)).toEqual(['PATCH v4']);
    expect(postingsWith('key', 'context-flags').map((p) => p.framework.name)).toEqual(['RFC v3', 'PATCH v4']);
    expect(postingsWith('macro', 'KAPI_NO_SUCH_MACRO')).toEqual([]);
  });

  it("PATCH v4's kbuild grep, generator rule and extractor strings", () => {
    const p4 = latestBuiltin();
    expect(p4.kbuild?.keys).toEqual(['contexts', 'context-flags', 'context']);
    expect(p4.generator?.need).toBe(2);
    expect(p4.generator?.indicators).toContain('long-desc');
    expect(p4.extractor?.needles).toEqual([
      'context-flags:',
      'param-count:',
      'side-effect:',
      'state-trans:',
      'error-code:',
    ]);
  });
});
