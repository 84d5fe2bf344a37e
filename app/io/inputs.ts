/**
 * Turns command-line inputs (files, folders, `-` for stdin) into parsed mails. The only place the
 * CLI reads mail from disk; everything after this is pure.
 *
 * Only regular files are read, and stdin when `-` says so: a FIFO, a device or a socket given as
 * an input (or found in a folder under a mail-like name) is refused before it is opened, and so
 * is every path that cannot be read, with a FileError that names it (app/io/files.ts).
 */
import type { Dirent } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type PatchMail, parseMailSync } from '../../parsers/mail.js';
import { splitMbox } from '../../parsers/mbox.js';
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
export async function expandInputs(inputs: string[]): Promise<string[]> {
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

/** Reads every message of every input, streaming each file through the mbox splitter. */
export async function* readMails(
  inputs: string[],
  stdin: AsyncIterable<Uint8Array> = process.stdin,
): AsyncGenerator<InputMail> {
  for (const file of await expandInputs(inputs)) {
    // a regular file, checked again when it is opened; memory stays bounded by the largest
    // message whatever the file's size (the splitter caps each message)
    const chunks = file === '-' ? stdin : regularFileChunks(file);
    for await (const msg of splitMbox(chunks)) {
      const parsed = parseMailSync(msg.raw);
      const origin = msg.fromLine === null ? file : `${file}#${msg.index + 1}`;
      yield { origin, mail: parsed.value, issues: [...msg.issues, ...parsed.issues] };
    }
  }
}
