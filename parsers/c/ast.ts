import type { Language, Tree, TreeCursor } from 'web-tree-sitter';
import { lineStarts, rowAt } from '../text/lines.js';

/**
 * A plain-object copy of a tree-sitter tree. The analysis walks function bodies many times (a
 * fixpoint over the call graph), and reading nodes through the wasm boundary costs far more than
 * reading JS objects, so the tree is copied once with a cursor and then freed by the caller.
 */
export interface CNode {
  type: string;
  named: boolean;
  /** Field name in the parent (`condition`, `body`, ...), or null. */
  field: string | null;
  start: number;
  end: number;
  /** 0-based rows, as tree-sitter reports them. */
  row: number;
  endRow: number;
  /**
   * Only on function_definition nodes: whether its body or declarator holds an ERROR or MISSING
   * node (MISSING nodes are not copied as such, so this is asked of the tree itself).
   */
  bodyError?: boolean;
  children: CNode[];
}

/** Anonymous tokens worth keeping even without a field name (the analysis reads them). */
export const KEEP_ANON: ReadonlySet<string> = new Set(['return', ';', 'case', 'default']);
/** Nodes whose children are never read. */
export const OPAQUE: ReadonlySet<string> = new Set([
  'comment',
  'string_literal',
  'char_literal',
  'concatenated_string',
  'preproc_arg',
  'system_lib_string',
]);
/** Outside functions, only containers that may hold function definitions are walked into. */
export const OUTSIDE_SKIP: ReadonlySet<string> = new Set([
  'declaration',
  'type_definition',
  'struct_specifier',
  'union_specifier',
  'enum_specifier',
  'preproc_def',
  'preproc_function_def',
  'preproc_include',
  'preproc_call',
  'expression_statement',
]);

/**
 * Named node types that tree-sitter-c (0.24) only makes of a token, so a node of one never has a
 * child; anonymous nodes are tokens too. The copy does not ask the cursor for their children. The
 * grammar itself is asked in test/parsers/c/copy-tree.test.ts (a query pattern giving one of them a
 * child is an impossible pattern), so an upgrade that changes this fails there.
 */
export const LEAF_TYPES: ReadonlySet<string> = new Set([
  'identifier',
  'field_identifier',
  'type_identifier',
  'statement_identifier',
  'primitive_type',
  'number_literal',
  'true',
  'false',
  'comment',
  'character',
  'string_content',
  'escape_sequence',
  'system_lib_string',
  'preproc_arg',
  'preproc_directive',
  'ms_restrict_modifier',
  'ms_signed_ptr_modifier',
  'ms_unsigned_ptr_modifier',
]);
/**
 * Node types none of whose children has a field name in tree-sitter-c (the same test asks the
 * grammar, field by field): the copy does not ask the cursor for the field of their children.
 */
export const NO_FIELD_TYPES: ReadonlySet<string> = new Set([
  'translation_unit',
  'compound_statement',
  'expression_statement',
  'return_statement',
  'break_statement',
  'continue_statement',
  'else_clause',
  'attributed_statement',
  'seh_leave_statement',
  'argument_list',
  'parenthesized_expression',
  'initializer_list',
  'subscript_designator',
  'field_designator',
  'generic_expression',
  'extension_expression',
  'char_literal',
  'string_literal',
  'concatenated_string',
  'null',
  'parameter_list',
  'variadic_parameter',
  'parenthesized_declarator',
  'abstract_parenthesized_declarator',
  'attributed_declarator',
  'storage_class_specifier',
  'type_qualifier',
  'alignas_qualifier',
  'gnu_asm_qualifier',
  'attribute_specifier',
  'attribute_declaration',
  'declaration_list',
  'enumerator_list',
  'field_declaration_list',
  'bitfield_clause',
  'preproc_params',
  'preproc_else',
  'preproc_defined',
  'ms_declspec_modifier',
  'ms_based_modifier',
  'ms_call_modifier',
  'ms_unaligned_ptr_modifier',
  'ms_pointer_modifier',
]);
/**
 * Tokens that usually close their parent. Where the subtree has no error, the end of one is read
 * to learn whether it is the last child (it is when it ends where the parent does), which spares
 * the cursor a failed step to a next sibling. Only a saving: which tokens are listed changes no
 * result.
 */
const CLOSERS = new Set([')', '}', ']']);

// what the copy needs to know of a node type, as bits
const KNOWN = 1;
const NAMED = 2;
const KEEP = 4; // copied even without a field name
const OPAQUE_BIT = 8;
const OUTSIDE_BIT = 16;
const FUNCTION = 32;
const LEAF = 64;
const NO_FIELDS = 128;
const CLOSER = 256;
const SPELLED = 512; // an anonymous token other than a directive: its text is its type

/** Per language: the type name and the bits of each type id (ids above the names read as ERROR). */
interface Kinds {
  names: string[];
  bits: Uint16Array;
}
const KINDS = new WeakMap<Language, Kinds>();

function kindsOf(language: Language): Kinds {
  let k = KINDS.get(language);
  if (!k) {
    // the cursor names an id it has no name for ERROR, as these do
    const names = Array.from(language.types, (t) => t || 'ERROR');
    names.push('ERROR');
    k = { names, bits: new Uint16Array(65536) };
    KINDS.set(language, k);
  }
  return k;
}

/** The bits of a type, learnt from the node the cursor is on when the type is first met. */
function bitsOf(c: TreeCursor, type: string): number {
  const named = c.nodeIsNamed;
  let b = KNOWN;
  if (named) b |= NAMED | KEEP;
  else if (KEEP_ANON.has(type)) b |= KEEP;
  if (OPAQUE.has(type)) b |= OPAQUE_BIT;
  if (OUTSIDE_SKIP.has(type)) b |= OUTSIDE_BIT;
  if (type === 'function_definition') b |= FUNCTION;
  if (!named || LEAF_TYPES.has(type)) b |= LEAF;
  if (NO_FIELD_TYPES.has(type)) b |= NO_FIELDS;
  if (CLOSERS.has(type)) b |= CLOSER;
  if (!named && !type.startsWith('#')) b |= SPELLED;
  return b;
}

/**
 * Copies the tree. Anonymous punctuation without a field name is left out, as are the insides of
 * comments, strings and of top-level declarations (only function bodies are analysed).
 *
 * Each cursor call crosses into wasm and back (the cursor is written to and read from wasm memory
 * each time), and those calls are what a copy costs; so it makes as few as it can: no look for
 * children under a token, no field asked of a child whose parent type has no fields. And where
 * the subtree holds no ERROR or MISSING node, so that no node is empty:
 * - no failed step past the last child: a child that ends where its parent ends is the last one;
 * - no start asked of a first child: no rule of the grammar begins with a token the cursor does
 *   not show, so the first child starts where its parent does;
 * - no end asked of an anonymous token (a directive such as `#if` aside): it spans its type.
 * test/parsers/c/copy-tree.test.ts asks the grammar for each of these facts.
 */
export function copyTree(tree: Tree, text: string): CNode {
  const starts = lineStarts(text);
  const { names, bits } = kindsOf(tree.language);
  const fields = tree.language.fields;
  const unknown = names.length - 1;
  // no error anywhere: every function_definition's bodyError is false, and the whole tree is clean
  const clean = !tree.rootNode.hasError;
  // the row of the last start read: starts come in preorder, so they never decrease
  let line = 0;
  let nextLine = starts[1] ?? Number.POSITIVE_INFINITY;
  // whether the function_definition just copied has no error in it
  let fnClean = false;
  const c = tree.walk();
  try {
    // `sure`: the node lies in a clean subtree; `from`: its start when known (its parent's), else -1
    const make = (tid: number, b: number, f: string | null, sure: boolean, from: number): CNode => {
      const type = names[tid < unknown ? tid : unknown] as string;
      const start = from >= 0 ? from : c.startIndex;
      const end = sure && b & SPELLED && text.startsWith(type, start) ? start + type.length : c.endIndex;
      if (start >= nextLine || start < (starts[line] as number)) {
        // mostly the next line or one a little further; a search otherwise
        const after = starts[line + 2] ?? Number.POSITIVE_INFINITY;
        line = start >= nextLine && start < after ? line + 1 : rowAt(starts, start);
        nextLine = starts[line + 1] ?? Number.POSITIVE_INFINITY;
      }
      const last = end - 1 > start ? end - 1 : start;
      const node: CNode = {
        type,
        named: (b & NAMED) !== 0,
        field: f,
        start,
        end,
        row: line,
        endRow: last < nextLine ? line : rowAt(starts, last),
        children: [],
      };
      if (b & FUNCTION) {
        if (clean) {
          node.bodyError = false;
          fnClean = true;
        } else {
          const n = c.currentNode;
          fnClean = !n.hasError;
          node.bodyError =
            !fnClean &&
            ((n.childForFieldName('body')?.hasError ?? false) ||
              (n.childForFieldName('declarator')?.hasError ?? false));
        }
      }
      return node;
    };
    const kind = (tid: number): number => {
      let b = bits[tid] as number;
      if (b === 0) {
        b = bitsOf(c, names[tid < unknown ? tid : unknown] as string);
        bits[tid] = b;
      }
      return b;
    };

    const rootTid = c.nodeTypeId;
    const rootBits = kind(rootTid);
    const root = make(rootTid, rootBits, fields[c.currentFieldId] as string | null, false, -1);
    if (rootBits & (OPAQUE_BIT | OUTSIDE_BIT | LEAF) || !c.gotoFirstChild()) return root;
    // the nodes whose children are being visited (the cursor is on a child of the last), their
    // bits, and from which of them on the subtree is known to be clean
    const parents: CNode[] = [root];
    const parentBits: number[] = [rootBits];
    let top = root;
    let topBits = rootBits;
    let cleanFrom = clean ? 0 : Number.POSITIVE_INFINITY;
    let inFn = rootBits & FUNCTION ? 1 : 0;
    // whether the cursor is on the first child of `top`
    let first = true;
    for (;;) {
      const isFirst = first;
      first = false;
      const tid = c.nodeTypeId;
      const b = kind(tid);
      const f = topBits & NO_FIELDS ? null : (fields[c.currentFieldId] as string | null);
      // the end of this node when known, to tell whether it is its parent's last child
      let end = -1;
      if (b & KEEP || f !== null) {
        const sure = parents.length > cleanFrom;
        const node = make(tid, b, f, sure, sure && isFirst ? top.start : -1);
        top.children.push(node);
        if (!(b & (OPAQUE_BIT | LEAF)) && !(inFn === 0 && b & OUTSIDE_BIT) && c.gotoFirstChild()) {
          parents.push(node);
          parentBits.push(b);
          top = node;
          topBits = b;
          if (b & FUNCTION) {
            inFn++;
            if (fnClean && cleanFrom === Number.POSITIVE_INFINITY) cleanFrom = parents.length - 1;
          }
          first = true;
          continue;
        }
        end = node.end;
      } else if (b & CLOSER && parents.length > cleanFrom) end = c.endIndex;
      if (!(end === top.end && parents.length > cleanFrom) && c.gotoNextSibling()) continue;
      // this was the last child: up to the first ancestor with a next sibling
      for (;;) {
        c.gotoParent();
        const done = parents.pop() as CNode;
        parentBits.pop();
        if (parents.length === 0) return root;
        if (done.type === 'function_definition') inFn--;
        if (parents.length === cleanFrom) cleanFrom = clean ? 0 : Number.POSITIVE_INFINITY;
        top = parents[parents.length - 1] as CNode;
        topBits = parentBits[parentBits.length - 1] as number;
        if (!(done.end === top.end && parents.length > cleanFrom) && c.gotoNextSibling()) break;
      }
    }
  } finally {
    c.delete();
  }
}

export function field(n: CNode, name: string): CNode | undefined {
  for (const ch of n.children) if (ch.field === name) return ch;
  return undefined;
}

export function namedChildren(n: CNode): CNode[] {
  return n.children.filter((ch) => ch.named && ch.type !== 'comment');
}
