/**
 * parsers/c/ast.ts copyTree as it was before it learnt to spare cursor calls (commit 9ff0347): one
 * cursor step per node, every field asked, a look for children under every node it copies. Its
 * walk is kept unchanged as the bench's same-run baseline (bench/copytree.ts) and as the oracle the
 * test (test/parsers/c/copy-tree.test.ts) compares the new copy with.
 */
import type { Tree } from 'web-tree-sitter';
// the rules of what is copied are copyTree's own: the two differ only in how they walk
import { type CNode, KEEP_ANON, OPAQUE, OUTSIDE_SKIP } from '../parsers/c/ast.js';
import { lineStarts, rowAt } from '../parsers/text/lines.js';

export function copyTreeOracle(tree: Tree, text: string): CNode {
  const starts = lineStarts(text);
  // type and field names by id: reading ids is cheaper than reading names through the boundary
  const types = new Map<number, { type: string; named: boolean }>();
  const fields = new Map<number, string | null>();
  const c = tree.walk();
  try {
    const make = (): CNode | undefined => {
      const tid = c.nodeTypeId;
      let t = types.get(tid);
      if (!t) {
        t = { type: c.nodeType, named: c.nodeIsNamed };
        types.set(tid, t);
      }
      const fid = c.currentFieldId;
      let f = fields.get(fid);
      if (f === undefined) {
        f = c.currentFieldName;
        fields.set(fid, f);
      }
      if (!t.named && f === null && !KEEP_ANON.has(t.type)) return undefined;
      const start = c.startIndex;
      const end = c.endIndex;
      const node: CNode = {
        type: t.type,
        named: t.named,
        field: f,
        start,
        end,
        row: rowAt(starts, start),
        endRow: rowAt(starts, Math.max(start, end - 1)),
        children: [],
      };
      if (t.type === 'function_definition') {
        const n = c.currentNode;
        node.bodyError =
          (n.childForFieldName('body')?.hasError ?? false) ||
          (n.childForFieldName('declarator')?.hasError ?? false);
      }
      return node;
    };
    const root = make() as CNode;
    // the nodes whose children are being visited; `inFn` counts function_definitions among them
    const stack: CNode[] = [];
    let inFn = 0;
    const descend = (node: CNode | undefined): boolean => {
      if (!node || OPAQUE.has(node.type)) return false;
      if (inFn === 0 && OUTSIDE_SKIP.has(node.type)) return false;
      if (!c.gotoFirstChild()) return false;
      stack.push(node);
      if (node.type === 'function_definition') inFn++;
      return true;
    };
    if (!descend(root)) return root;
    for (;;) {
      const node = make();
      if (node) (stack[stack.length - 1] as CNode).children.push(node);
      if (descend(node)) continue;
      while (!c.gotoNextSibling()) {
        if (!c.gotoParent()) return root;
        const done = stack.pop();
        if (done?.type === 'function_definition') inFn--;
        if (stack.length === 0) return root;
      }
    }
  } finally {
    c.delete();
  }
}
