/**
 * Which functions of a file the error analysis (errors.ts) needs for some of them: the roots and
 * what they reach.
 */
import type { CNode } from './ast.js';
import type { FnDef } from './errors.js';

/**
 * The definitions of `roots` and of every function they name, transitively. A name counts as a
 * use wherever an identifier spells it (a call, a parenthesised call, a function pointer): more
 * than the calls the analysis follows, so every function it asks about is in the set and the
 * roots' error sets are what the analysis of the whole file gives them.
 */
export function reachableDefs(defs: readonly FnDef[], roots: ReadonlySet<string>, text: string): FnDef[] {
  const byName = new Map<string, FnDef[]>();
  for (const d of defs) {
    const list = byName.get(d.name);
    if (list) list.push(d);
    else byName.set(d.name, [d]);
  }
  const keep = new Set<string>();
  const todo = [...roots].filter((r) => byName.has(r));
  for (const r of todo) keep.add(r);
  for (let name = todo.pop(); name !== undefined; name = todo.pop())
    for (const d of byName.get(name) ?? []) {
      const nodes: CNode[] = [d.body];
      for (let n = nodes.pop(); n; n = nodes.pop()) {
        if (n.type === 'identifier') {
          const id = text.slice(n.start, n.end);
          if (byName.has(id) && !keep.has(id)) {
            keep.add(id);
            todo.push(id);
          }
        }
        for (const ch of n.children) nodes.push(ch);
      }
    }
  return defs.filter((d) => keep.has(d.name));
}
