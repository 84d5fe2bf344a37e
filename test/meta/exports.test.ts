import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { root, sourceFiles } from './files.js';

/**
 * Every exported value is imported somewhere else (a test counts: what only a test
 * needs is part of what the module offers). An export nobody imports is either dead code or a
 * name that should not be exported; both rot. Re-exports, `import * as ns` (with `ns.name`) and
 * dynamic `await import()` with destructuring count as uses.
 */
const tsFiles = (dir: string): string[] =>
  sourceFiles(dir, (n) => /\.(ts|mjs|js)$/.test(n) && !n.endsWith('.d.ts'));
const DIRS = ['app', 'checks', 'parsers', 'reporters', 'bench', 'test', 'bin'];
/** Modules whose exports are read by something other than a TypeScript import. */
const ENTRY = new Set([
  // Probot loads the App's default export; vitest loads the global setup's
  'app/github/main.ts',
  'test/setup/build.ts',
  'vitest.config.ts',
  // run as programs (child processes, npm scripts): their `main` is what runs
  'app/framework/builtin.ts',
  'test/helpers/bot-child.ts',
  'test/helpers/sender-child.ts',
  // loaded by path by sender-child.ts (its `openOutbox`)
  'test/helpers/memory-outbox.ts',
  'test/app/store-outbox.test.ts',
]);

/**
 * The values a module exports by declaration or by an `export { ... }` list. Types are left out:
 * a type in the signature of an exported function is exported for its callers to name, whether
 * or not one does yet.
 */
function exportsOf(source: string): string[] {
  const names = new Set<string>();
  const decl =
    /^export\s+(?:declare\s+)?(?:async\s+)?(?:function\*?|const|let|var|class|abstract\s+class|enum)\s+([A-Za-z_$][\w$]*)/gm;
  for (const m of source.matchAll(decl)) names.add(m[1] as string);
  for (const m of source.matchAll(/^export\s+\{([^}]*)\}(?!\s*from)/gm))
    for (const part of (m[1] as string).split(',')) {
      if (/^\s*type\s/.test(part)) continue;
      const name = part
        .trim()
        .split(/\s+as\s+/)
        .pop();
      if (name && name !== 'default') names.add(name);
    }
  return [...names];
}

/** The module a relative specifier names, as a path relative to the root (`.js` read as `.ts`). */
function target(from: string, spec: string): string {
  const abs = resolve(dirname(from), spec).replace(/\.js$/, '.ts');
  return relative(root, abs);
}

interface Uses {
  named: Map<string, Set<string>>;
  /** Modules imported as a namespace, with the text of the importing file. */
  namespace: Map<string, string[]>;
}

function usesOf(files: { path: string; source: string }[]): Uses {
  const named = new Map<string, Set<string>>();
  const namespace = new Map<string, string[]>();
  const add = (mod: string, name: string) => {
    const set = named.get(mod) ?? new Set<string>();
    set.add(name);
    named.set(mod, set);
  };
  for (const f of files) {
    const spec =
      /(?:import|export)\s+(type\s+)?(\{[^{}]*\}|\*\s+as\s+[\w$]+|[\w$]+\s*,\s*\{[^{}]*\})?\s*(?:from\s*)?['"](\.[^'"]+)['"]/g;
    for (const m of f.source.matchAll(spec)) {
      const mod = target(f.path, m[3] as string);
      const what = m[2] ?? '';
      const ns = /^\*\s+as\s+([\w$]+)/.exec(what);
      if (ns) {
        namespace.set(mod, [...(namespace.get(mod) ?? []), `${ns[1]}|${f.source}`]);
        continue;
      }
      const list = /\{([^}]*)\}/.exec(what)?.[1] ?? '';
      for (const part of list.split(',')) {
        const name = part
          .trim()
          .replace(/^type\s+/, '')
          .split(/\s+as\s+/)[0];
        if (name) add(mod, name);
      }
    }
    // const ns = await import('./x.js'), used as ns.name
    for (const m of f.source.matchAll(/const\s+([\w$]+)\s*=\s*await\s+import\(\s*['"](\.[^'"]+)['"]\s*\)/g)) {
      const mod = target(f.path, m[2] as string);
      namespace.set(mod, [...(namespace.get(mod) ?? []), `${m[1]}|${f.source}`]);
    }
    // const { a, b } = await import('./x.js')
    for (const m of f.source.matchAll(/\{([^{}]*)\}\s*=\s*await\s+import\(\s*['"](\.[^'"]+)['"]\s*\)/g))
      for (const part of (m[1] as string).split(','))
        add(target(f.path, m[2] as string), part.trim().split(':')[0]?.trim() ?? '');
  }
  return { named, namespace };
}

describe('exports', () => {
  it('every export is imported somewhere', () => {
    const files = [...DIRS.flatMap((d) => tsFiles(join(root, d)))].map((p) => ({
      path: p,
      source: readFileSync(p, 'utf8'),
    }));
    const uses = usesOf(files);
    const unused: string[] = [];
    for (const f of files) {
      const mod = relative(root, f.path);
      if (ENTRY.has(mod) || !mod.endsWith('.ts')) continue;
      const used = uses.named.get(mod) ?? new Set<string>();
      const ns = uses.namespace.get(mod) ?? [];
      for (const name of exportsOf(f.source)) {
        if (used.has(name)) continue;
        if (
          ns.some((entry) =>
            entry.slice(entry.indexOf('|') + 1).includes(`${entry.slice(0, entry.indexOf('|'))}.${name}`),
          )
        )
          continue;
        unused.push(`${mod}: ${name}`);
      }
    }
    expect(unused).toEqual([]);
  });
});
