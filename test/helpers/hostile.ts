/**
 * Hostile input for the tests of the review limits and the worker pool, all generated: a spec with
 * thousands of entries, and C files that are slow to review for real (the C analysis of a few MB
 * takes seconds: tree-sitter's parse and the errno analysis of every function), plus a patch mail
 * that adds such files to a tree.
 */

/** A syscall whose kerneldoc spec lists `errors` errors: `errors + 3` spec entries. */
export function manyErrorsFile(errors: number, name = 'frob'): string {
  const out = [
    '// SPDX-License-Identifier: GPL-2.0',
    '#include <linux/syscalls.h>',
    '',
    '/**',
    ` * sys_${name} - A syscall with a very long list of errors`,
    ' * @a: The value',
    ' *',
    ' * contexts: process',
    ' *',
    ' * param: a',
    ' *   type: int, input',
    ' *',
  ];
  for (let i = 0; i < errors; i++) out.push(` * error: EPERM, condition ${i}`, ` *   desc: Refused (${i}).`);
  out.push(
    ' */',
    `SYSCALL_DEFINE1(${name}, int, a)`,
    '{',
    '\tif (a < 0)',
    '\t\treturn -EPERM;',
    '\treturn 0;',
    '}',
    '',
  );
  return out.join('\n');
}

/**
 * A C file of about `bytes` bytes: one syscall with a small spec (so the whole file is analysed)
 * and then helper functions with error paths up to the size. About 1.7 s per MB of real work to
 * review on the machine this was written on, and linear in the size.
 */
export function slowCFile(bytes: number, name = 'huge'): string {
  const out = [
    '// SPDX-License-Identifier: GPL-2.0',
    '#include <linux/syscalls.h>',
    '',
    '/**',
    ` * sys_${name} - A syscall in a very large file`,
    ' * @a: The value',
    ' *',
    ' * contexts: process',
    ' *',
    ' * param: a',
    ' *   type: int, input',
    ' *',
    ' * error: EPERM, a is negative',
    ' *   desc: Negative values are refused.',
    ' */',
    `SYSCALL_DEFINE1(${name}, int, a)`,
    '{',
    '\tif (a < 0)',
    '\t\treturn -EPERM;',
    `\treturn ${name}_helper0(a);`,
    '}',
    '',
  ];
  let size = out.join('\n').length;
  for (let i = 0; size < bytes; i++) {
    const f = [
      `static int ${name}_helper${i}(int a)`,
      '{',
      '\tint err = 0;',
      `\tif (a > ${i})`,
      '\t\terr = -EINVAL;',
      `\telse if (a == ${i})`,
      `\t\treturn ${name}_helper${i + 1}(a - 1);`,
      '\treturn err;',
      '}',
      '',
    ].join('\n');
    out.push(f);
    size += f.length + 1;
  }
  return out.join('\n');
}

/** One patch mail (mboxrd-free: a single message) that adds `files` (path -> text) to the tree. */
export function addFilesMail(opts: {
  messageId: string;
  subject: string;
  files: Record<string, string>;
  from?: string;
  to?: string;
  date?: string;
}): string {
  const diff: string[] = [];
  for (const [path, text] of Object.entries(opts.files)) {
    const lines = text.endsWith('\n') ? text.slice(0, -1).split('\n') : text.split('\n');
    diff.push(
      `diff --git a/${path} b/${path}`,
      'new file mode 100644',
      '--- /dev/null',
      `+++ b/${path}`,
      `@@ -0,0 +1,${lines.length} @@`,
      `+${lines.join('\n+')}`,
    );
  }
  return [
    `From: ${opts.from ?? 'Eve Example <eve@example.org>'}`,
    `To: ${opts.to ?? 'linux-frob@example.org'}`,
    `Subject: ${opts.subject}`,
    `Message-ID: <${opts.messageId}>`,
    `Date: ${opts.date ?? 'Mon, 02 Mar 2026 11:00:00 +0000'}`,
    '',
    'Add files.',
    '',
    'Signed-off-by: Eve Example <eve@example.org>',
    '---',
    ...diff,
    '-- ',
    '2.47.0',
    '',
  ].join('\n');
}

/** Polls `cond` every 20 ms until it holds; throws after `ms`. */
export async function until(cond: () => boolean, ms = 30_000, what = 'the condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`${what} did not hold within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
