/**
 * What one version of the KAPI framework defines, learned from the framework's own files rather
 * than from tables written by hand. The framework changed with every posting (nine postings, three
 * spec forms), so a spec is judged by the framework it is written for: the one its series carries,
 * else the one in the tree, else the latest known posting (see app/framework/ for the choice).
 *
 * Learned from, each fact with the file and line that defines it:
 * - the headers (`include/linux/*api_spec*.h`): every `#define`d macro with its arity, and every
 *   member of an `enum kapi_*` (the constants a spec may use);
 * - kernel-doc's parser (`kdoc_parser.py`): the section names it accepts, which are the top-level
 *   keys of a kerneldoc spec (a key it does not know becomes text of the section before it);
 * - the generator (`kdoc_apispec.py`): the keys it looks sections up by, the sub-keys it reads in a
 *   block, the short tokens of its alias tables (`'uint': 'KAPI_TYPE_UINT'`), and its indicator
 *   sections with how many a comment needs before it counts as a spec;
 * - kbuild (`scripts/Makefile.build`): the keys of the grep that decides which files get a
 *   generated `.apispec.h`;
 * - the extractor (`tools/kapi/.../source_parser.rs`): the strings it looks for in a comment.
 *
 * The learning is deliberately generous where it cannot be exact: a string the generator looks up
 * counts as a key even when only some of its code paths use it. A word the framework may know is
 * never reported as unknown; precision beats recall.
 *
 * Pure: text in, data out. A file known only by the hunks of a diff is learned from the lines the
 * hunks show and laid over the fallback framework (see `overlay`).
 */
import type { SpecForm } from './model.js';

/** Where a fact comes from: a file of the framework and the 1-based line in it. */
export interface FactSource {
  path: string;
  line: number;
  /**
   * The line as written (trimmed, at most 160 characters), for evidence. Absent in the built-in
   * frameworks: they keep facts (names, files, lines), never the postings' text.
   */
  text?: string;
  /** For a fact laid over from a fallback framework: that framework's name ('PATCH v4'). */
  from?: string;
}

export interface MacroFact extends FactSource {
  /** Number of parameters of a function-like macro (a trailing `...` counts as one); null when object-like. */
  arity: number | null;
  /** Ends in `...`: takes `arity - 1` arguments or more. */
  variadic?: boolean;
}

export interface ConstantFact extends FactSource {
  /** The enum it is a member of ('kapi_param_type'), or null for a `#define`d value. */
  group: string | null;
}

export interface TokenFact extends FactSource {
  /** The constants the generator turns the token into, one per table that has it ('KAPI_TYPE_UINT'). */
  constants: string[];
}

export interface KerneldocFacts {
  /** Top-level keys (section names): 'contexts', 'param', 'error-code', ... */
  keys: Record<string, FactSource>;
  /** Key prefixes that stand for every key they start: 'kapi-' (the catch-all), 'struct-field-'. */
  keyPrefixes: Record<string, FactSource>;
  /** Keys read inside a block ('desc', 'type', 'acquired', ...), whichever block. */
  subKeys: Record<string, FactSource>;
  /** Short tokens of the generator's alias tables, lower case. */
  tokens: Record<string, TokenFact>;
}

export interface Framework {
  /** How messages name it: 'this series', 'the tree', 'PATCH v4'. */
  name: string;
  origin: 'series' | 'tree' | 'builtin';
  /** For a built-in: the posting ('rfc-v2', 'patch-v4'). */
  posting: string | null;
  /** The files it was learned from, in the order read. */
  files: string[];
  /** The main header, for messages ('include/linux/kernel_api_spec.h'); null when none was read. */
  header: string | null;
  macros: Record<string, MacroFact>;
  constants: Record<string, ConstantFact>;
  /** What kernel-doc and the generator accept; null when the framework has no kerneldoc form. */
  kerneldoc: (KerneldocFacts & { parser: string | null; generator: string | null }) | null;
  /** The grep kbuild uses to pick the files it generates specs for. */
  kbuild: { keys: string[]; source: FactSource } | null;
  /** The generator's test for "this comment is a spec". */
  generator: { indicators: string[]; need: number; source: FactSource } | null;
  /** The extractor's test for "this comment is a spec". */
  extractor: { needles: string[]; source: FactSource } | null;
}

/** One file of a framework as text, or as the lines of a diff's hunks. */
export interface FrameworkFile {
  path: string;
  /** The lines with their 1-based numbers in the file; gaps where only hunks are known. */
  lines: readonly { n: number; text: string }[];
  /** False when only some lines are known (a diff's hunks on a file we do not have whole). */
  whole: boolean;
}

export function wholeFile(path: string, text: string): FrameworkFile {
  return { path, lines: text.split('\n').map((t, i) => ({ n: i + 1, text: t })), whole: true };
}

type Role = 'header' | 'kdoc-parser' | 'generator' | 'kbuild' | 'extractor';

/** Which part of the framework a path is, if any. */
export function roleOf(path: string): Role | null {
  if (/^include\/linux\/[a-z0-9_]*api_spec\.h$/.test(path)) return 'header';
  if (/(^|\/)kdoc_apispec\.py$/.test(path)) return 'generator';
  if (/(^|\/)kdoc_parser\.py$/.test(path)) return 'kdoc-parser';
  if (path === 'scripts/Makefile.build') return 'kbuild';
  if (/^tools\/kapi\/.*source_parser\.rs$/.test(path)) return 'extractor';
  return null;
}

/**
 * Where to look for a framework in a tree, for readers that cannot list directories. Any other
 * path that `roleOf` accepts counts too when a series touches it.
 */
export const FRAMEWORK_PATHS: readonly string[] = [
  'include/linux/kernel_api_spec.h',
  'include/linux/syscall_api_spec.h',
  'include/linux/ioctl_api_spec.h',
  'scripts/Makefile.build',
  'scripts/lib/kdoc/kdoc_parser.py',
  'scripts/lib/kdoc/kdoc_apispec.py',
  'tools/lib/python/kdoc/kdoc_parser.py',
  'tools/lib/python/kdoc/kdoc_apispec.py',
  'tools/kapi/src/extractor/source_parser.rs',
];

/** The fact source for line `n` of a file. */
function sourceAt(file: FrameworkFile, n: number): FactSource {
  const at = file.whole ? file.lines[n - 1] : undefined;
  const text = ((at?.n === n ? at : file.lines.find((l) => l.n === n))?.text ?? '').trim();
  return { path: file.path, line: n, text: text.length > 160 ? `${text.slice(0, 157)}...` : text };
}

const KEY_RE = /^[a-z][a-z0-9_]*(?:-[a-z0-9_]+)*$/;
const TOKEN_RE = /^[a-z][a-z0-9_]*$/;

function emptyKerneldoc(): KerneldocFacts {
  return { keys: {}, keyPrefixes: {}, subKeys: {}, tokens: {} };
}

const own = (o: object, k: string): boolean => Object.hasOwn(o, k);

function put<T>(table: Record<string, T>, key: string, value: T): void {
  if (!own(table, key)) table[key] = value;
}

// ---------------------------------------------------------------------------------------------
// C headers

/**
 * The lines with C comments blanked (line numbers kept) and backslash continuations joined onto
 * the line that starts them.
 */
function logicalCLines(lines: FrameworkFile['lines']): { n: number; text: string }[] {
  const out: { n: number; text: string }[] = [];
  let inComment = false;
  let pending: { n: number; text: string } | null = null;
  let prev = -1;
  for (const { n, text } of lines) {
    if (n !== prev + 1 && pending) {
      // a gap between hunks ends whatever was being continued
      out.push(pending);
      pending = null;
      inComment = false;
    }
    prev = n;
    let s = '';
    for (let i = 0; i < text.length; i++) {
      if (inComment) {
        if (text[i] === '*' && text[i + 1] === '/') {
          inComment = false;
          i++;
          s += ' ';
        }
        continue;
      }
      const c = text[i];
      if (c === '/' && text[i + 1] === '*') {
        inComment = true;
        i++;
        continue;
      }
      if (c === '/' && text[i + 1] === '/') break;
      if (c === '"' || c === "'") {
        // copy a literal whole, so that comment markers inside it stay text
        let j = i + 1;
        while (j < text.length && text[j] !== c) j += text[j] === '\\' ? 2 : 1;
        s += text.slice(i, j + 1);
        i = j;
        continue;
      }
      s += c;
    }
    const cont = /\\\s*$/.test(s);
    if (cont) s = s.replace(/\\\s*$/, ' ');
    if (pending) pending.text += ` ${s}`;
    else pending = { n, text: s };
    if (!cont) {
      out.push(pending);
      pending = null;
    }
  }
  if (pending) out.push(pending);
  return out;
}

function learnHeader(file: FrameworkFile, fw: Framework): void {
  let inEnum: string | null = null;
  for (const { n, text } of logicalCLines(file.lines)) {
    const def = /^\s*#\s*define\s+([A-Za-z_]\w*)(\(([^)]*)\))?/.exec(text);
    if (def) {
      const name = def[1] as string;
      if (/^_*[A-Z0-9_]*API_SPEC_H_*$/.test(name) || name.startsWith('_')) continue; // include guards
      const params = def[3];
      const arity =
        def[2] === undefined ? null : params?.trim() === '' ? 0 : (params ?? '').split(',').length;
      const variadic = /\.\.\.\s*$/.test(params ?? '');
      put(fw.macros, name, { ...sourceAt(file, n), arity, ...(variadic ? { variadic } : {}) });
      continue;
    }
    if (/^\s*#/.test(text)) continue;
    let rest = text;
    if (inEnum === null) {
      const open = /\benum\s+([A-Za-z_]\w*)\s*\{/.exec(rest);
      if (!open) continue;
      inEnum = open[1] as string;
      rest = rest.slice(open.index + open[0].length);
    }
    const close = rest.indexOf('}');
    const body = close >= 0 ? rest.slice(0, close) : rest;
    for (const m of body.matchAll(/(?:^|,)\s*([A-Za-z_]\w*)\s*(?:=[^,]*)?/g))
      put(fw.constants, m[1] as string, { ...sourceAt(file, n), group: inEnum });
    if (close >= 0) inEnum = null;
  }
}

// ---------------------------------------------------------------------------------------------
// Python (kernel-doc and its apispec generator)

interface PyString {
  value: string;
  n: number;
  /** Text on the line before and after the literal, for the patterns around it. */
  before: string;
  after: string;
}

/** Every string literal of a Python file, with `#` comments skipped. Triple quotes are docstrings: skipped. */
function pyStrings(lines: FrameworkFile['lines']): PyString[] {
  const out: PyString[] = [];
  let inTriple: string | null = null;
  for (const { n, text } of lines) {
    let i = 0;
    const found: { value: string; start: number; end: number }[] = [];
    while (i < text.length) {
      if (inTriple) {
        const end = text.indexOf(inTriple, i);
        if (end < 0) break;
        i = end + 3;
        inTriple = null;
        continue;
      }
      const c = text[i] as string;
      if (c === '#') break;
      if (c === '"' || c === "'") {
        if (text.startsWith(c.repeat(3), i)) {
          inTriple = c.repeat(3);
          i += 3;
          continue;
        }
        let j = i + 1;
        let value = '';
        while (j < text.length && text[j] !== c) {
          if (text[j] === '\\' && j + 1 < text.length) {
            value += text.slice(j, j + 2);
            j += 2;
          } else value += text[j++];
        }
        found.push({ value, start: i, end: j + 1 });
        i = j + 1;
        continue;
      }
      i++;
    }
    for (const f of found)
      out.push({
        value: f.value,
        n,
        // r'...', b'...', f'...': the prefix is part of the literal, not of the text before it
        before: text.slice(0, f.start).replace(/(?<![\w])[rRbBuUfF]{1,2}$/, ''),
        after: text.slice(f.end),
      });
  }
  return out;
}

/**
 * Section names from one string of kernel-doc's parser: a regex alternation (`@?param-type|...`),
 * a single name, or a name pattern (`struct-field-[a-z\-]+`, `kapi-.*`) that becomes a prefix.
 */
function sectionNames(s: string): { keys: string[]; prefixes: string[] } | null {
  const keys: string[] = [];
  const prefixes: string[] = [];
  for (const alt0 of s.split('|')) {
    const alt = alt0
      .trim()
      .replace(/\)?\\s\*:.*$/, '')
      .replace(/^(?:\\s\*|\\?\((?:\?:)?|\s)+/, '')
      .replace(/^(?:\\?@\??)+/, '')
      .replace(/\(\?!-\)$/, '')
      .replace(/\)+\s*$/, '');
    const opt = /^([a-z][a-z0-9-]*[a-z0-9])([a-z])\?$/.exec(alt); // returns? -> return, returns
    if (opt) keys.push(opt[1] as string, `${opt[1]}${opt[2]}`);
    else if (KEY_RE.test(alt)) keys.push(alt);
    else {
      const p = /^([a-z][a-z0-9-]*-)(?:\.\*|\.\+|\[[^\]]*\][+*])$/.exec(alt);
      if (p) prefixes.push(p[1] as string);
    }
  }
  return keys.length + prefixes.length > 0 ? { keys, prefixes } : null;
}

function learnKdocParser(file: FrameworkFile, kd: KerneldocFacts): void {
  for (const s of pyStrings(file.lines)) {
    const alternation = s.value.includes('|');
    // a lone name counts where it stands in a list, tuple or set of names
    if (!alternation && !/(?:^|[[(,{])\s*$/.test(s.before)) continue;
    const found = sectionNames(s.value);
    if (!found) continue;
    const src = sourceAt(file, s.n);
    for (const k of found.keys) put(kd.keys, k, src);
    for (const p of found.prefixes) put(kd.keyPrefixes, p, src);
    // a (name, True, [...]) tuple: the section has a -count variant
    if (found.keys.length === 1 && /^\s*,\s*True\b/.test(s.after))
      put(kd.keys, `${found.keys[0]}-count`, src);
  }
}

function learnGenerator(file: FrameworkFile, fw: Framework): void {
  const kd = fw.kerneldoc as KerneldocFacts;
  const strings = pyStrings(file.lines);
  for (const s of strings) {
    const src = sourceAt(file, s.n);
    // alias tables: 'uint': 'KAPI_TYPE_UINT' (or a tuple whose first member is the constant)
    const alias = /^\s*:\s*\(?\s*['"](KAPI_[A-Z0-9_]+)['"]/.exec(s.after);
    if (alias && TOKEN_RE.test(s.value)) {
      const c = alias[1] as string;
      put(kd.tokens, s.value, { ...src, constants: [] });
      const t = kd.tokens[s.value] as TokenFact;
      if (!t.constants.includes(c)) t.constants.push(c);
      continue;
    }
    // a sub-key a line is tested for: startswith(('allows:', 'desc:'))
    const colon = /^([a-z][a-z0-9_-]*):$/.exec(s.value);
    if (colon) {
      put(kd.subKeys, colon[1] as string, src);
      continue;
    }
    if (!KEY_RE.test(s.value)) continue;
    // a section looked up by name: _get_section(sections, 'contexts')
    if (/\bsections\s*,\s*$/.test(s.before)) {
      put(kd.keys, s.value, src);
      continue;
    }
    // a block's sub-key: subfields.get('desc'), subfields['type'], 'x' in subfields,
    // a `for field in ['acquired', ...]` list, or a ('allows', 'KAPI_CAP_ALLOWS') tuple
    if (
      /(?<!\bargs)\.get\(\s*$/.test(s.before) ||
      /\w\[\s*$/.test(s.before) ||
      /^\s*in\s+\w*fields?\b/.test(s.after) ||
      /\bin\s+\[[^\]]*$/.test(s.before) ||
      /^\s*:\s*['"][a-z][a-z0-9_-]*['"]\s*,?\s*$/.test(s.after) ||
      (/\(\s*$/.test(s.before) && /^\s*,\s*['"]KAPI_[A-Z0-9_]+['"]\s*\)/.test(s.after))
    )
      put(kd.subKeys, s.value, src);
  }
  // the indicator sections and how many the generator wants
  const lines = file.lines;
  for (const [i, { n, text }] of lines.entries()) {
    if (!/\b\w*indicators?\w*\s*=\s*\[/.test(text)) continue;
    const found: string[] = [];
    let j = i;
    for (; j < lines.length; j++) {
      const t = (lines[j] as { text: string }).text;
      for (const m of t.matchAll(/['"]([a-z][a-z0-9-]*)['"]/g)) found.push(m[1] as string);
      if (t.includes(']')) break;
    }
    if (found.length === 0) continue;
    let need = 1;
    for (let k = j; k < Math.min(lines.length, j + 30); k++) {
      const t = (lines[k] as { text: string }).text.replace(/#.*$/, '');
      const ge = /[\w)\]]\s*>=\s*(\d+)\b/.exec(t);
      const gt = /[\w)\]]\s*>\s*(\d+)\b/.exec(t);
      if (ge) need = Number(ge[1]);
      else if (gt) need = Number(gt[1]) + 1;
      if (ge || gt || /^\s*def\s/.test(t)) break;
    }
    fw.generator = { indicators: found, need, source: sourceAt(file, n) };
    break;
  }
}

// ---------------------------------------------------------------------------------------------
// kbuild and the extractor

function learnKbuild(file: FrameworkFile, fw: Framework): void {
  const keys: string[] = [];
  let source: FactSource | null = null;
  for (const { n, text } of file.lines) {
    if (!/\bgrep\b/.test(text)) continue;
    // (a|b|c): or \(a\|b\|c\): after the comment-star part of the pattern
    const m = /\\?\(((?:[a-z][a-z0-9-]*\\?\|)*[a-z][a-z0-9-]*)\\?\)\s*:/.exec(text);
    if (!m) continue;
    for (const k of (m[1] as string).split(/\\?\|/)) if (!keys.includes(k)) keys.push(k);
    source ??= sourceAt(file, n);
  }
  if (source) fw.kbuild = { keys, source };
}

function learnExtractor(file: FrameworkFile, fw: Framework): void {
  const needles: string[] = [];
  let source: FactSource | null = null;
  for (const { n, text } of file.lines)
    for (const m of text.matchAll(/\bcontains\(\s*"([a-z][a-z0-9-]*:)"\s*\)/g)) {
      if (!needles.includes(m[1] as string)) needles.push(m[1] as string);
      source ??= sourceAt(file, n);
    }
  if (source) fw.extractor = { needles, source };
}

// ---------------------------------------------------------------------------------------------
// The model

export function emptyFramework(
  name: string,
  origin: Framework['origin'],
  posting: string | null = null,
): Framework {
  return {
    name,
    origin,
    posting,
    files: [],
    header: null,
    macros: {},
    constants: {},
    kerneldoc: null,
    kbuild: null,
    generator: null,
    extractor: null,
  };
}

/** Does this set of files hold a KAPI framework (a KAPI header, or the apispec generator)? */
export function holdsFramework(files: readonly FrameworkFile[]): boolean {
  return files.some((f) => {
    const role = roleOf(f.path);
    if (role === 'generator') return true;
    return role === 'header' && f.lines.some((l) => /\b(?:DEFINE_KERNEL_API_SPEC|KAPI_[A-Z])/.test(l.text));
  });
}

/**
 * The framework the files define. Files whose path `roleOf` does not know are ignored; kbuild and
 * kernel-doc's parser count only for what concerns KAPI in them (the apispec grep, the KAPI
 * sections).
 */
export function learnFramework(
  files: readonly FrameworkFile[],
  name: string,
  origin: Framework['origin'],
  posting: string | null = null,
): Framework {
  const fw = emptyFramework(name, origin, posting);
  const ordered = [...files].sort((a, b) => rank(a.path) - rank(b.path) || a.path.localeCompare(b.path));
  for (const f of ordered) {
    const role = roleOf(f.path);
    if (role === null) continue;
    fw.files.push(f.path);
    switch (role) {
      case 'header':
        learnHeader(f, fw);
        if (fw.header === null || f.path.endsWith('/kernel_api_spec.h')) fw.header = f.path;
        break;
      case 'kdoc-parser': {
        const kd = emptyKerneldoc();
        learnKdocParser(f, kd);
        if (Object.keys(kd.keys).length > 0 || Object.keys(kd.keyPrefixes).length > 0) {
          fw.kerneldoc ??= { ...emptyKerneldoc(), parser: null, generator: null };
          fw.kerneldoc.parser = f.path;
          mergeKerneldoc(fw.kerneldoc, kd);
        }
        break;
      }
      case 'generator':
        fw.kerneldoc ??= { ...emptyKerneldoc(), parser: null, generator: null };
        fw.kerneldoc.generator = f.path;
        learnGenerator(f, fw);
        break;
      case 'kbuild':
        learnKbuild(f, fw);
        break;
      case 'extractor':
        learnExtractor(f, fw);
        break;
    }
  }
  // kernel-doc's parser alone (no apispec generator) is ordinary kernel-doc: no KAPI form
  if (fw.kerneldoc && fw.kerneldoc.generator === null) fw.kerneldoc = null;
  return fw;
}

function rank(path: string): number {
  const order: Role[] = ['header', 'kdoc-parser', 'generator', 'kbuild', 'extractor'];
  const r = roleOf(path);
  return r === null ? order.length : order.indexOf(r);
}

function mergeKerneldoc(into: KerneldocFacts, from: KerneldocFacts): void {
  for (const k of ['keys', 'keyPrefixes', 'subKeys', 'tokens'] as const)
    for (const [name, v] of Object.entries(from[k])) put(into[k] as Record<string, unknown>, name, v);
}

/**
 * A framework learned from files known in part (a diff's hunks) laid over a fallback: the fallback's
 * facts stay, what the hunks define is added, and a part the hunks replace (kbuild's grep, the
 * indicators) is taken from the hunks. The name and origin are those of `top`.
 */
export function overlay(base: Framework, top: Framework): Framework {
  const out: Framework = structuredClone(base);
  if (base.origin !== top.origin) {
    // what stays from the fallback is cited as the fallback's
    const tag = (f: FactSource | null | undefined): void => {
      if (f) f.from ??= base.name;
    };
    for (const table of [out.macros, out.constants] as Record<string, FactSource>[])
      for (const f of Object.values(table)) tag(f);
    if (out.kerneldoc)
      for (const k of ['keys', 'keyPrefixes', 'subKeys', 'tokens'] as const)
        for (const f of Object.values(out.kerneldoc[k] as Record<string, FactSource>)) tag(f);
    tag(out.kbuild?.source);
    tag(out.generator?.source);
    tag(out.extractor?.source);
  }
  out.name = top.name;
  out.origin = top.origin;
  out.posting = top.posting;
  out.files = [...new Set([...top.files, ...base.files])];
  out.header = top.header ?? base.header;
  for (const [k, v] of Object.entries(top.macros)) out.macros[k] = v;
  for (const [k, v] of Object.entries(top.constants)) out.constants[k] = v;
  if (top.kerneldoc) {
    out.kerneldoc ??= { ...emptyKerneldoc(), parser: null, generator: null };
    out.kerneldoc.parser = top.kerneldoc.parser ?? out.kerneldoc.parser;
    out.kerneldoc.generator = top.kerneldoc.generator ?? out.kerneldoc.generator;
    for (const k of ['keys', 'keyPrefixes', 'subKeys', 'tokens'] as const)
      for (const [name, v] of Object.entries(top.kerneldoc[k]))
        (out.kerneldoc[k] as Record<string, unknown>)[name] = v;
  }
  out.kbuild = top.kbuild ?? out.kbuild;
  out.generator = top.generator ?? out.generator;
  out.extractor = top.extractor ?? out.extractor;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Questions the checks ask

export const FORM_RANK: Readonly<Record<SpecForm, number>> = {
  macro: 0,
  'kerneldoc-1': 1,
  'kerneldoc-2': 2,
  'kerneldoc-3': 3,
};

/** Macros that close a block or a spec (*_END, KAPI_END_SPEC) the framework defines. */
export function endMacros(fw: Framework): string[] {
  return Object.keys(fw.macros).filter((m) => /^KAPI_(?:\w+_END|END_SPEC)$/.test(m));
}

/** Is `key` (lower case, no '@') a top-level key of this framework's kerneldoc? */
export function knowsKey(fw: Framework, key: string): FactSource | null {
  const kd = fw.kerneldoc;
  if (!kd) return null;
  if (own(kd.keys, key)) return kd.keys[key] as FactSource;
  for (const [p, src] of Object.entries(kd.keyPrefixes)) if (key.startsWith(p)) return src;
  return null;
}

export function knowsSubKey(fw: Framework, key: string): FactSource | null {
  const kd = fw.kerneldoc;
  if (!kd) return null;
  const k = key.toLowerCase();
  const alt = k.replace(/-/g, '_');
  if (own(kd.subKeys, k)) return kd.subKeys[k] as FactSource;
  if (own(kd.subKeys, alt)) return kd.subKeys[alt] as FactSource;
  return null;
}

export function knowsToken(fw: Framework, token: string): FactSource | null {
  const kd = fw.kerneldoc;
  if (!kd) return null;
  const t = token.toLowerCase();
  return own(kd.tokens, t) ? (kd.tokens[t] as FactSource) : null;
}

/** The kinds of word a spec uses: a header's names, kerneldoc's keys and sub-keys, short tokens. */
export type WordKind = 'macro' | 'constant' | 'key' | 'subkey' | 'token';

/** Where the framework defines a word of a kind, or null. */
export function knowsWord(fw: Framework, kind: WordKind, word: string): FactSource | null {
  switch (kind) {
    case 'macro':
    case 'constant':
      return knowsName(fw, word);
    case 'key':
      return knowsKey(fw, word);
    case 'subkey':
      return knowsSubKey(fw, word);
    case 'token':
      return knowsToken(fw, word);
  }
}

/** A KAPI_* (or DEFINE_*) name the headers define, as a macro or an enum member. */
export function knowsName(fw: Framework, name: string): FactSource | null {
  if (own(fw.macros, name)) return fw.macros[name] as FactSource;
  if (own(fw.constants, name)) return fw.constants[name] as FactSource;
  return null;
}

/**
 * The spec forms this framework reads: the macro form while its headers define the *_END macros
 * a hand-written spec needs; kerneldoc gen 1 while kernel-doc knows the flat keys (`param-type:`);
 * gen 2 while the generator reads blocks; gen 3 when it also has short tokens.
 */
export function formsOf(fw: Framework): readonly SpecForm[] {
  const known = FORMS.get(fw);
  if (known) return known;
  const forms: SpecForm[] = [];
  if (own(fw.macros, 'DEFINE_KERNEL_API_SPEC') && endMacros(fw).length > 0) forms.push('macro');
  const kd = fw.kerneldoc;
  if (kd) {
    if (knowsKey(fw, 'param-type')) forms.push('kerneldoc-1');
    if (knowsKey(fw, 'param') || knowsKey(fw, 'error')) forms.push('kerneldoc-2');
    if (Object.keys(kd.tokens).length > 0) forms.push('kerneldoc-3');
  }
  FORMS.set(fw, forms);
  return forms;
}

/** formsOf per framework, asked per spec by kapi-deprecated-form: worked out once. */
const FORMS = new WeakMap<Framework, readonly SpecForm[]>();

/** The newest form the framework reads (what a new spec should be written in), or null. */
export function newestForm(fw: Framework): SpecForm | null {
  const forms = formsOf(fw);
  return forms.length === 0 ? null : (forms[forms.length - 1] as SpecForm);
}
