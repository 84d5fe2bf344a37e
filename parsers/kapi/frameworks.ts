/**
 * The built-in frameworks: one per known posting, oldest first, learned from the postings' own
 * framework patches (frameworks.data.ts is generated; see app/framework/builtin.ts). Used when
 * neither the series nor the tree carries a framework, and as the history that tells a word the
 * framework dropped from a word no framework ever had.
 */
import { type FactSource, type Framework, knowsWord, type WordKind } from './framework.js';
import { BUILTIN_FRAMEWORKS } from './frameworks.data.js';

export function builtinFrameworks(): readonly Framework[] {
  return BUILTIN_FRAMEWORKS;
}

/** The latest known posting's framework. */
export function latestBuiltin(): Framework {
  const fw = BUILTIN_FRAMEWORKS[BUILTIN_FRAMEWORKS.length - 1];
  if (!fw) throw new Error('no built-in KAPI framework (frameworks.data.ts is empty)');
  return fw;
}

export function builtinByPosting(posting: string): Framework | null {
  return BUILTIN_FRAMEWORKS.find((f) => f.posting === posting) ?? null;
}

/** The known postings whose framework has this word, with where each defines it. */
export function postingsWith(kind: WordKind, word: string): { framework: Framework; source: FactSource }[] {
  const out: { framework: Framework; source: FactSource }[] = [];
  for (const fw of BUILTIN_FRAMEWORKS) {
    const src = knowsWord(fw, kind, word);
    if (src) out.push({ framework: fw, source: src });
  }
  return out;
}
