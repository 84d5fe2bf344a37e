import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { Language, Parser } from 'web-tree-sitter';

/**
 * Loads the tree-sitter C grammar once per process. This lives in app/ because it reads the
 * grammar's wasm file; parsers/c/ receives the ready Parser as an argument and stays pure.
 */
let pending: Promise<Parser> | undefined;

async function load(): Promise<Parser> {
  await Parser.init();
  const wasmPath = createRequire(import.meta.url).resolve('tree-sitter-c/tree-sitter-c.wasm');
  const language = await Language.load(new Uint8Array(await readFile(wasmPath)));
  const parser = new Parser();
  parser.setLanguage(language);
  return parser;
}

/** The shared C parser. Reuse it: creating one costs far more than parsing a file. */
export function loadCParser(): Promise<Parser> {
  if (!pending) {
    pending = load();
    // a failed load (e.g. a missing grammar) may be retried by a later call
    pending.catch(() => {
      pending = undefined;
    });
  }
  return pending;
}
