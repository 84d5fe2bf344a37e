/**
 * Turns command-line inputs (files, folders, `-` for stdin) into parsed mails. The only place the
 * CLI reads mail from disk; everything after this is pure.
 */
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type PatchMail, parseMailSync } from '../../parsers/mail.js';
import { splitMbox } from '../../parsers/mbox.js';
import type { Issue } from '../../parsers/types.js';

export interface InputMail {
  /** Where the message came from: `file` or `file#N` for the N-th message of an mbox. */
  origin: string;
  mail: PatchMail;
  issues: Issue[];
}

const MAIL_EXTENSIONS = /\.(patch|eml|mbox|mbx|txt|diff|msg)$/i;

/** Expands folders (recursively, sorted) into the mail-like files they contain. */
export async function expandInputs(inputs: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const input of inputs) {
    if (input === '-') {
      out.push(input);
      continue;
    }
    const st = await stat(input);
    if (st.isDirectory()) {
      const entries = (await readdir(input, { withFileTypes: true })).sort((a, b) =>
        a.name.localeCompare(b.name),
      );
      const nested: string[] = [];
      for (const e of entries) {
        const p = join(input, e.name);
        if (e.isDirectory()) nested.push(p);
        else if (e.isFile() && MAIL_EXTENSIONS.test(e.name)) out.push(p);
      }
      out.push(...(await expandInputs(nested)));
    } else out.push(input);
  }
  return out;
}

const SMALL_FILE = 4 * 1024 * 1024;

/** Reads every message of every input, streaming each file through the mbox splitter. */
export async function* readMails(
  inputs: string[],
  stdin: AsyncIterable<Uint8Array> = process.stdin,
): AsyncGenerator<InputMail> {
  for (const file of await expandInputs(inputs)) {
    // small files in one read (a patch is a few KB: streaming it costs more event-loop turns
    // than bytes); big mboxes stream, so memory stays bounded by the largest message
    const small = file !== '-' && statSync(file).size <= SMALL_FILE;
    const stream = file === '-' ? stdin : small ? [readFileSync(file)] : createReadStream(file);
    for await (const msg of splitMbox(stream as AsyncIterable<Uint8Array>)) {
      const parsed = parseMailSync(msg.raw);
      const origin = msg.fromLine === null ? file : `${file}#${msg.index + 1}`;
      yield { origin, mail: parsed.value, issues: [...msg.issues, ...parsed.issues] };
    }
  }
}
