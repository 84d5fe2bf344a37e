import { parseMailSync } from '../../parsers/mail.js';
import { seriesMailKind } from '../../parsers/series.js';

/**
 * A message without its In-Reply-To and References fields (continuation lines included); every
 * other byte stays as it was.
 */
function withoutThreading(raw: Buffer): Buffer {
  const text = raw.toString('latin1');
  const blank = /\r?\n\r?\n/.exec(text);
  const end = blank ? blank.index + 1 : text.length;
  const head = text
    .slice(0, end)
    .replace(/^(?:in-reply-to|references)[ \t]*:[^\n]*\n(?:[ \t][^\n]*\n)*/gim, '');
  return Buffer.from(head + text.slice(end), 'latin1');
}

/**
 * What `b4 am -o -` hands on of a posting, as far as series assembly is concerned: the patches
 * only (no cover letter), without threading headers, in one mboxrd with b4's From_ lines.
 */
export function b4AmStyle(raws: Buffer[]): Buffer {
  const patches = raws.filter((raw) => seriesMailKind(parseMailSync(raw).value) !== 'cover');
  return toMboxrd(patches.map(withoutThreading), 'From git@z Thu Jan  1 00:00:00 1970');
}

/** Messages in one mboxrd: a From_ line each, body lines matching /^>*From / escaped. */
export function toMboxrd(raws: Buffer[], fromLine = 'From mboxrd@z Thu Jan  1 00:00:00 1970'): Buffer {
  return Buffer.concat(
    raws.map((raw) => {
      const text = raw.toString('latin1').replace(/^(>*From )/gm, '>$1');
      return Buffer.from(`${fromLine}\n${text.endsWith('\n') ? text : `${text}\n`}\n`, 'latin1');
    }),
  );
}
