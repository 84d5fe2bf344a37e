/**
 * A synthetic, lore-like mboxrd: mostly discussion mail with quoted text, a share of patch mails
 * with real-looking diffs, some `From ` lines that need mboxrd escaping. Deterministic for a seed.
 */

import { once } from 'node:events';
import { createWriteStream } from 'node:fs';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const WORDS =
  'the page lock mm kernel range len start return error spec syscall memory fault map user task signal we should can not this that patch series review fix bug'.split(
    ' ',
  );

function sentence(r: () => number, n: number): string {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(WORDS[Math.floor(r() * WORDS.length)] as string);
  return out.join(' ');
}

function patchMail(r: () => number, i: number): string {
  const lines: string[] = [];
  const n = 20 + Math.floor(r() * 200);
  const ctx = `static int helper_${i}(unsigned long start, size_t len)`;
  lines.push(`diff --git a/mm/file${i % 97}.c b/mm/file${i % 97}.c`, 'index 1234567..89abcde 100644');
  lines.push(
    `--- a/mm/file${i % 97}.c`,
    `+++ b/mm/file${i % 97}.c`,
    `@@ -10,${n + 6} +10,${2 * n + 6} @@ ${ctx}`,
  );
  lines.push(' {', '\tint ret;', '');
  for (let k = 0; k < n; k++) {
    lines.push(`-\tret = old_call_${k}(start, len);`);
    lines.push(`+\tret = new_call_${k}(start, len);`, `+\tif (ret)\t/* ${sentence(r, 4)} */`);
  }
  lines.push('\treturn ret;', ' }', '');
  const body = `${sentence(r, 30)}.\n${sentence(r, 25)}.\n\nSigned-off-by: Dev ${i % 50} <dev${i % 50}@example.org>\n---\n mm/file.c | ${3 * n} ++-\n\n${lines.join('\n')}\n-- \n2.39.5\n`;
  return [
    `From: Dev ${i % 50} <dev${i % 50}@example.org>`,
    'To: linux-mm@kvack.org',
    `Subject: [PATCH v${1 + (i % 3)} ${1 + (i % 5)}/5] mm: change ${sentence(r, 4)}`,
    `Date: Mon, 2 Mar 2026 ${String(i % 24).padStart(2, '0')}:00:00 +0000`,
    `Message-ID: <synth-${i}@example.org>`,
    `In-Reply-To: <synth-${i - (i % 5)}@example.org>`,
    'Content-Type: text/plain; charset=UTF-8',
    '',
    body,
  ].join('\n');
}

function discussionMail(r: () => number, i: number): string {
  const quoted: string[] = [];
  for (let k = 0; k < 5 + Math.floor(r() * 30); k++) quoted.push(`> ${sentence(r, 10)}`);
  const text: string[] = [];
  for (let k = 0; k < 3 + Math.floor(r() * 15); k++) text.push(sentence(r, 12));
  if (r() < 0.05) text.push('', 'From the logs it looks like the fault is elsewhere.');
  return [
    `From: Person ${i % 300} <p${i % 300}@example.net>`,
    'To: linux-kernel@vger.kernel.org',
    `Subject: Re: [PATCH ${1 + (i % 5)}/5] mm: ${sentence(r, 5)}`,
    `Date: Tue, 3 Mar 2026 ${String(i % 24).padStart(2, '0')}:30:00 +0000`,
    `Message-ID: <reply-${i}@example.net>`,
    `In-Reply-To: <synth-${i - (i % 5)}@example.org>`,
    `References: <synth-${i - (i % 5)}@example.org>`,
    '',
    `On Mon, Person wrote:\n${quoted.join('\n')}\n\n${text.join('\n')}\n`,
  ].join('\n');
}

/** Writes about `bytes` of mboxrd to `path`; returns the number of messages and patches. */
export async function writeSyntheticMbox(
  path: string,
  bytes: number,
  patchShare = 0.05,
  seed = 1,
): Promise<{ messages: number; patches: number; bytes: number }> {
  const r = rng(seed);
  const out = createWriteStream(path);
  let written = 0;
  let messages = 0;
  let patches = 0;
  while (written < bytes) {
    const isPatch = r() < patchShare;
    const msg = isPatch ? patchMail(r, messages) : discussionMail(r, messages);
    const escaped = msg.replace(/^(>*From )/gm, '>$1');
    const chunk = `From mboxrd@z Thu Jan  1 00:00:00 1970\n${escaped}\n`;
    written += Buffer.byteLength(chunk);
    messages++;
    if (isPatch) patches++;
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return { messages, patches, bytes: written };
}
