/**
 * Turns command-line inputs (files, folders, `-` for stdin) into parsed mails. The only place the
 * CLI reads mail from disk; everything after this is pure.
 *
 * Only regular files are read, and stdin when `-` says so: a FIFO, a device or a socket given as
 * an input (or found in a folder under a mail-like name) is refused before it is opened, and so
 * is every path that cannot be read, with a FileError that names it (app/io/files.ts).
 */
import { createHash } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type PatchMail, parseMailSync } from '../../parsers/mail.js';
import { splitMbox } from '../../parsers/mbox.js';
import { type DroppedCopy, MailCollector } from '../../parsers/series.js';
import type { Issue } from '../../parsers/types.js';
import { notRegular, regularFileChunks, statFile, toFileError } from './files.js';

export { FileError } from './files.js';

export interface InputMail {
  /** Where the message came from: `file` or `file#N` for the N-th message of an mbox. */
  origin: string;
  mail: PatchMail;
  issues: Issue[];
}

const MAIL_EXTENSIONS = /\.(patch|eml|mbox|mbx|txt|diff|msg)$/i;

/**
 * Expands folders (recursively, sorted) into the mail-like files they contain. Throws a FileError
 * for an input that cannot be read or is not a regular file or folder, and for a special file in
 * a folder under a mail-like name; symbolic links inside folders are not followed.
 */
async function expandInputs(inputs: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const input of inputs) {
    if (input === '-') {
      out.push(input);
      continue;
    }
    const st = await statFile(input);
    if (st.isDirectory()) {
      let entries: Dirent[];
      try {
        entries = await readdir(input, { withFileTypes: true });
      } catch (e) {
        throw toFileError(e, input);
      }
      entries.sort((a, b) => a.name.localeCompare(b.name));
      const nested: string[] = [];
      for (const e of entries) {
        const p = join(input, e.name);
        if (e.isDirectory()) nested.push(p);
        else if (!MAIL_EXTENSIONS.test(e.name) || e.isSymbolicLink()) continue;
        else if (e.isFile()) out.push(p);
        else throw notRegular(p, await statFile(p));
      }
      out.push(...(await expandInputs(nested)));
    } else if (st.isFile()) out.push(input);
    else throw notRegular(input, st);
  }
  return out;
}

const NO_ISSUES: Issue[] = [];

/** The issues of one message read, by where it came from. */
export interface OriginIssues {
  origin: string;
  messageId: string | null;
  issues: Issue[];
}

export interface CollectedMails {
  /** Messages read, copies included. */
  messages: number;
  /** One mail per Message-ID (the copy buildSeries keeps), follow-ups compacted. */
  mails: PatchMail[];
  /** The copies dropped as they were read: buildSeries(mails, dropped). */
  dropped: DroppedCopy[];
  /** Every message's issues, in the order read, copies included. */
  issues: OriginIssues[];
}

/**
 * readMails for series building, in memory that follows the series rather than the input: a
 * copy of a Message-ID is dropped as it is read (a byte-identical copy without even being
 * parsed again), follow-ups keep no body (parsers/series.ts MailCollector), and no raw bytes are
 * kept. `more`, called once the inputs are read, adds mails from elsewhere (lore).
 */
export async function collectMails(
  inputs: string[],
  stdin: AsyncIterable<Uint8Array> = process.stdin,
  more: () => Promise<readonly InputMail[]> = async () => [],
): Promise<CollectedMails> {
  const collector = new MailCollector({ compact: true });
  const issues: OriginIssues[] = [];
  /** Raw bytes seen (by digest) of mails with a Message-ID: what a copy needs to be counted. */
  const seen = new Map<string, { messageId: string; fingerprint: string; issues: Issue[] }>();
  let messages = 0;
  const note = (origin: string, messageId: string | null, list: Issue[]) => {
    if (list.length > 0) issues.push({ origin, messageId, issues: list });
  };
  for (const file of await expandInputs(inputs)) {
    const chunks = file === '-' ? stdin : regularFileChunks(file);
    for await (const msg of splitMbox(chunks)) {
      messages++;
      const origin = msg.fromLine === null ? file : `${file}#${msg.index + 1}`;
      const digest = createHash('sha256').update(msg.raw).digest('base64');
      const copy = seen.get(digest);
      if (copy) {
        collector.addCopy(copy.messageId, copy.fingerprint);
        note(origin, copy.messageId, [...msg.issues, ...copy.issues]);
        continue;
      }
      const parsed = parseMailSync(msg.raw);
      const { fingerprint, messageId } = collector.add(parsed.value);
      // what is kept of every distinct message holds nothing of its text (no slices of it)
      const issues =
        parsed.issues.length === 0 ? NO_ISSUES : (JSON.parse(JSON.stringify(parsed.issues)) as Issue[]);
      if (messageId) seen.set(digest, { messageId, fingerprint, issues });
      note(origin, messageId, [...msg.issues, ...issues]);
    }
  }
  for (const m of await more()) {
    messages++;
    collector.add(m.mail);
    note(m.origin, m.mail.messageId, m.issues);
  }
  return { messages, mails: collector.mails, dropped: collector.dropped, issues };
}
