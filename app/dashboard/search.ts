/**
 * What a search of the series list may mean besides text in a title, author, list or lineage: a
 * Message-ID (bare, in angle brackets, `mid:`, or a lore URL), a file path, or a syscall. Pure;
 * the read model (queries.ts) looks each one up.
 */
import { readThreadRef } from '../../parsers/lore-refs.js';

export interface SearchTerms {
  /** A Message-ID without brackets, when the search can be one. */
  messageId: string | null;
  /** A path without `a/`, `b/` or `./` in front, when the search looks like one. */
  path: string | null;
  /** A syscall's name without `sys_` (`frob` for `sys_frob`, `frob()`, `frob(2)`). */
  syscall: string | null;
}

/** The ways a search text can name a series beyond its title. */
export function searchTerms(q: string): SearchTerms {
  const s = q.trim();
  const none: SearchTerms = { messageId: null, path: null, syscall: null };
  if (s === '' || /\s/.test(s)) return none;
  let messageId: string | null = null;
  if (s.includes('@') || /^(https?:\/\/|mid:|<)/i.test(s))
    messageId = readThreadRef(s).value?.messageId ?? null;
  if (messageId !== null) return { ...none, messageId };
  const path = /^[\w.+/-]+$/.test(s) && (s.includes('/') || /\.[A-Za-z]{1,4}$/.test(s)) ? s : null;
  const syscall = /^(?:compat_)?(?:sys_)?([A-Za-z_]\w*)(?:\(\d*\))?$/.exec(s)?.[1] ?? null;
  return {
    messageId: null,
    path: path === null ? null : path.replace(/^(?:\.\/|[ab]\/(?=.*\/))/, '').replace(/^\/+/, '') || null,
    syscall,
  };
}

/** Whether a touched file matches a searched path: the file, a folder above it, or its tail. */
export function pathMatches(file: string, path: string): boolean {
  const dir = path.replace(/\/+$/, '');
  return file === dir || file.startsWith(`${dir}/`) || file.endsWith(`/${dir}`);
}
