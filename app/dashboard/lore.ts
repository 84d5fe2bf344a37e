/**
 * Where the dashboard points for a mail: the message, its thread and its raw text on lore (or any
 * public-inbox), built by parsers/lore-refs.ts from one configured inbox URL, and the `b4 am` line
 * that fetches a revision. Pure.
 *
 * The inbox URL names a public-inbox inbox: `https://lore.kernel.org/all` (the default: lore's
 * inbox of every list), `https://lore.kernel.org/linux-mm`, or `https://host/path/inbox`; a bare
 * host (`https://lore.kernel.org`, as `check --lore-url` takes it) means its `all` inbox.
 */
import { loreBaseUrl, messageUrl, readListUrl } from '../../parsers/lore-refs.js';

export const DEFAULT_LORE_INBOX = 'https://lore.kernel.org/all';

export interface LoreLinks {
  /** The inbox URL, normalised: `https://lore.kernel.org/all`. */
  readonly inbox: string;
  /** The message's page; null for a Message-ID no URL can carry. */
  message(messageId: string): string | null;
  /** The thread the message is in, all of it on one page. */
  thread(messageId: string): string | null;
  /** The message as it was sent (its raw text). */
  raw(messageId: string): string | null;
  /** The whole thread as a gzipped mbox (what `b4 am` fetches). */
  mbox(messageId: string): string | null;
}

/** A Message-ID that a URL path segment can carry (URL parsers resolve `.` and `..`). */
function linkable(messageId: string): boolean {
  return messageId !== '' && messageId !== '.' && messageId !== '..' && !/[\r\n\0]/.test(messageId);
}

/** The links under one inbox URL; an error message when the URL is no http(s) inbox. */
export function loreLinks(inboxUrl: string): { links: LoreLinks } | { error: string } {
  const normal = loreBaseUrl(inboxUrl);
  if (normal.value === null) return { error: normal.issues[0]?.message ?? `not a URL: ${inboxUrl}` };
  const hasPath = new URL(normal.value).pathname.replace(/\/+$/, '') !== '';
  const parts = hasPath ? readListUrl(normal.value).value : { baseUrl: normal.value, list: 'all' };
  if (!parts) return { error: `not a public-inbox inbox URL: ${inboxUrl}` };
  const { baseUrl, list } = parts;
  const at =
    (view: '' | 'raw' | 't.mbox.gz', suffix = '') =>
    (messageId: string) =>
      linkable(messageId) ? messageUrl(baseUrl, list, messageId, view) + suffix : null;
  return {
    links: {
      inbox: `${baseUrl}/${list}`,
      message: at(''),
      thread: at('', 'T/#u'),
      raw: at('raw'),
      mbox: at('t.mbox.gz'),
    },
  };
}

/** A word the shell reads back as exactly `s`: as it is when it is plain, else single-quoted. */
function shellWord(s: string): string {
  if (/^[A-Za-z0-9@%+=:,./_-]+$/.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * `b4 am -v N MSGID`: fetches revision N of the series whose thread holds the message (b4 picks
 * the newest revision of a thread unless told, and a reroll may be posted in the thread of the
 * revision before). A Message-ID is quoted for the shell when it needs it, and one that starts
 * with `-` goes in angle brackets (b4 takes them off) so that it cannot read as an option.
 */
export function b4AmCommand(messageId: string, revision: number): string {
  const id = messageId.startsWith('-') ? `<${messageId}>` : messageId;
  return `b4 am -v ${revision} ${shellWord(id)}`;
}
