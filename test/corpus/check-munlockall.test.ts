import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../app/cli/main.js';
import { kernelFile, kernelTarballPresent } from '../../app/context/kernel-source.js';
import { buildPostImages } from '../../app/context/postimage.js';
import { directoryTree } from '../../app/context/tree.js';
import { parseMail } from '../../parsers/mail.js';
import { gitDiff } from '../helpers/mailgen.js';

/**
 * The issue's end-to-end case: the Debian 6.12 tree with the RFC v2 mlock-family specs applied
 * (patches 10-14 of ../shared/corpus/rfc-v2) is the --tree; a patch that adds `return -EINVAL;`
 * to munlockall must be reported as kapi-error-undocumented on the added line, with the spec's
 * error list and the code line as evidence and a suggested KAPI_ERROR entry.
 */
const corpus = join(import.meta.dirname, '..', '..', '..', 'shared', 'corpus', 'rfc-v2');
const present = existsSync(corpus) && (kernelTarballPresent() || Boolean(process.env.KAPI_KERNEL_TREE));
if (!present)
  console.warn('check-munlockall corpus test skipped: needs ../shared/corpus and linux-source-6.12');

const FAMILY = ['10-mlock', '11-mlock2', '12-mlockall', '13-munlock', '14-munlockall'];

describe.skipIf(!present)(
  'kapi-review check --tree (6.12 + RFC v2 mlock specs): munlockall gains -EINVAL',
  () => {
    let tree = '';
    let mbox = '';
    let withSpecs = '';
    let addedLine = 0;

    beforeAll(async () => {
      const base = await kernelFile('mm/mlock.c');
      if (base === null) throw new Error('mm/mlock.c not in the kernel tarball');
      const baseDir = mkdtempSync(join(tmpdir(), 'kapi-base-'));
      mkdirSync(join(baseDir, 'mm'));
      writeFileSync(join(baseDir, 'mm', 'mlock.c'), base);
      const patches = [];
      for (const n of FAMILY) {
        const m = (await parseMail(readFileSync(join(corpus, `rfc-v2-${n}.patch.txt`)))).value;
        patches.push({ messageId: m.messageId, label: n, files: m.files });
      }
      const images = await buildPostImages(patches, directoryTree(baseDir));
      expect(images.issues).toEqual([]);
      const last = images.patches.at(-1)?.files[0];
      if (!last?.post) throw new Error('the RFC v2 mlock patches did not apply to 6.12');
      withSpecs = last.post;
      tree = mkdtempSync(join(tmpdir(), 'kapi-tree-'));
      mkdirSync(join(tree, 'mm'));
      writeFileSync(join(tree, 'mm', 'mlock.c'), withSpecs);

      const anchor = '\tret = apply_mlockall_flags(0);\n';
      expect(withSpecs.split(anchor)).toHaveLength(2);
      const changed = withSpecs.replace(anchor, `\tif (!current->mm)\n\t\treturn -EINVAL;\n${anchor}`);
      addedLine = withSpecs.slice(0, withSpecs.indexOf(anchor)).split('\n').length + 1;
      const diff = gitDiff('mm/mlock.c', withSpecs, changed);
      const mail = [
        'From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001',
        'From: Ada Example <ada@example.org>',
        'Date: Mon, 2 Mar 2026 10:00:00 +0000',
        'Subject: [PATCH] mm/mlock: refuse munlockall without an mm',
        'Message-ID: <munlockall-einval@example.org>',
        '',
        'Kernel threads have no mm to unlock.',
        '',
        'Signed-off-by: Ada Example <ada@example.org>',
        '---',
        ` mm/mlock.c | 2 ++`,
        '',
        'diff --git a/mm/mlock.c b/mm/mlock.c',
        diff.trimEnd(),
        '-- ',
        '2.43.0',
        '',
      ].join('\n');
      mbox = join(tree, 'munlockall.mbox');
      writeFileSync(mbox, mail);
    }, 120_000);

    it('reports kapi-error-undocumented on the added line with evidence and a suggestion', async () => {
      let out = '';
      const code = await main(['node', 'kapi-review', 'check', '--tree', tree, '--format', 'json', mbox], {
        out: (s) => {
          out += s;
        },
        err: () => {},
      });
      const report = JSON.parse(out) as {
        findings: {
          check: string;
          severity: string;
          path: string;
          line: number;
          messageId: string;
          spec: string;
          subject: string;
          evidence: { path: string; line: number; text: string }[];
          suggestion: string | null;
        }[];
      };
      const f = report.findings.find((x) => x.check === 'kapi-error-undocumented');
      expect(f).toMatchObject({
        severity: 'error',
        path: 'mm/mlock.c',
        line: addedLine,
        messageId: 'munlockall-einval@example.org',
        spec: 'sys_munlockall',
        subject: 'EINVAL',
      });
      const texts = f?.evidence.map((e) => e.text) ?? [];
      expect(texts).toContain('return -EINVAL;');
      expect(
        texts.some(
          (t) =>
            /KAPI_ERROR\(\s*\d+\s*,\s*-EINTR/.test(t) || /DEFINE_KERNEL_API_SPEC\(sys_munlockall\)/.test(t),
        ),
      ).toBe(true);
      expect(f?.suggestion).toMatch(/KAPI_ERROR\(\s*\d+, -EINVAL, "EINVAL"/);
      // the only findings on this patch are about what it changed
      expect(report.findings.every((x) => x.spec === 'sys_munlockall')).toBe(true);
      expect(code).toBe(1);
    });
  },
);
