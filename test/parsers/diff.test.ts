import { describe, expect, it } from 'vitest';
import { parseDiff, parseGitHeaderPaths, parseHunkHeader, unquoteCPath } from '../../parsers/diff.js';
import { at, codes, patch, shape } from './diff-test-helpers.js';

describe('parseDiff: file headers', () => {
  it('reads a new file', () => {
    const r = parseDiff(
      patch(
        'diff --git a/lib/fresh.c b/lib/fresh.c',
        'new file mode 100644',
        'index 0000000..5a5a5a5',
        '--- /dev/null',
        '+++ b/lib/fresh.c',
        '@@ -0,0 +1,2 @@',
        '+int fresh;',
        '+int fresher;',
      ),
    );
    expect(r.issues).toEqual([]);
    const f = at(r.value.files, 0);
    expect(f).toMatchObject({
      oldPath: null,
      newPath: 'lib/fresh.c',
      path: 'lib/fresh.c',
      status: 'added',
      binary: false,
      newMode: '100644',
      indexOld: '0000000',
      indexNew: '5a5a5a5',
      headerLine: 1,
    });
    expect(f.oldMode).toBeUndefined();
    const h = at(f.hunks, 0);
    expect([h.oldStart, h.oldLines, h.newStart, h.newLines]).toEqual([0, 0, 1, 2]);
    expect(shape(h)).toEqual([
      ['add', undefined, 1, 7],
      ['add', undefined, 2, 8],
    ]);
  });

  it('reads an empty new file, which has no hunks and needs none', () => {
    const r = parseDiff(
      patch('diff --git a/lib/empty.h b/lib/empty.h', 'new file mode 100644', 'index 0000000..e69de29'),
    );
    expect(r.issues).toEqual([]);
    expect(at(r.value.files, 0)).toMatchObject({
      status: 'added',
      oldPath: null,
      path: 'lib/empty.h',
      hunks: [],
    });
  });

  it('reads a deleted file', () => {
    const r = parseDiff(
      patch(
        'diff --git a/lib/gone.c b/lib/gone.c',
        'deleted file mode 100755',
        'index 7b7b7b7..0000000',
        '--- a/lib/gone.c',
        '+++ /dev/null',
        '@@ -1 +0,0 @@',
        '-int gone;',
      ),
    );
    expect(r.issues).toEqual([]);
    const f = at(r.value.files, 0);
    expect(f).toMatchObject({
      oldPath: 'lib/gone.c',
      newPath: null,
      path: 'lib/gone.c',
      status: 'deleted',
      oldMode: '100755',
    });
    expect(f.newMode).toBeUndefined();
    const h = at(f.hunks, 0);
    expect([h.oldStart, h.oldLines, h.newStart, h.newLines]).toEqual([1, 1, 0, 0]);
    expect(shape(h)).toEqual([['del', 1, undefined, 7]]);
  });

  it('reads a pure rename and a copy', () => {
    const r = parseDiff(
      patch(
        'diff --git a/drivers/old name.c b/drivers/new name.c',
        'similarity index 100%',
        'rename from drivers/old name.c',
        'rename to drivers/new name.c',
        'diff --git a/lib/src.c b/lib/dup.c',
        'similarity index 91%',
        'copy from lib/src.c',
        'copy to lib/dup.c',
        'index 1234567..89abcde 100644',
        '--- a/lib/src.c',
        '+++ b/lib/dup.c',
        '@@ -2,1 +2,1 @@',
        '-int src;',
        '+int dup;',
      ),
    );
    expect(r.issues).toEqual([]);
    const [rename, copy] = r.value.files;
    expect(rename).toMatchObject({
      oldPath: 'drivers/old name.c',
      newPath: 'drivers/new name.c',
      path: 'drivers/new name.c',
      status: 'renamed',
      similarity: 100,
      headerLine: 1,
      hunks: [],
    });
    expect(copy).toMatchObject({
      oldPath: 'lib/src.c',
      newPath: 'lib/dup.c',
      status: 'copied',
      similarity: 91,
      headerLine: 5,
      oldMode: '100644',
      newMode: '100644',
    });
    expect(copy?.hunks.map(shape)).toEqual([
      [
        ['del', 2, undefined, 13],
        ['add', undefined, 2, 14],
      ],
    ]);
    expect(r.value.endLine).toBe(14);
  });

  it('reads a mode-only change followed by another file', () => {
    const r = parseDiff(
      patch(
        'diff --git a/scripts/gen.sh b/scripts/gen.sh',
        'old mode 100644',
        'new mode 100755',
        'diff --git a/scripts/lib.sh b/scripts/lib.sh',
        'old mode 100755',
        'new mode 100644',
      ),
    );
    expect(r.issues).toEqual([]);
    expect(r.value.files.map((f) => [f.path, f.status, f.oldMode, f.newMode, f.hunks.length])).toEqual([
      ['scripts/gen.sh', 'modified', '100644', '100755', 0],
      ['scripts/lib.sh', 'modified', '100755', '100644', 0],
    ]);
    expect(r.value.endLine).toBe(6);
  });

  it("reads 'Binary files ... differ'", () => {
    const r = parseDiff(
      patch(
        'diff --git a/img/logo.png b/img/logo.png',
        'new file mode 100644',
        'index 0000000..abcdef1',
        'Binary files /dev/null and b/img/logo.png differ',
      ),
    );
    expect(r.issues).toEqual([]);
    expect(at(r.value.files, 0)).toMatchObject({
      path: 'img/logo.png',
      oldPath: null,
      status: 'added',
      binary: true,
      hunks: [],
    });
    expect(r.value.endLine).toBe(4);
  });

  it("skips 'GIT binary patch' data up to the next file", () => {
    const r = parseDiff(
      patch(
        'diff --git a/fw/blob.bin b/fw/blob.bin',
        'new file mode 100644',
        'index 0000000..1234567',
        'GIT binary patch',
        'literal 12',
        'TcmZQzWMXDvWn*V~00000',
        '',
        'literal 0',
        'HcmV?d00001',
        '',
        'diff --git a/fw/README b/fw/README',
        'index 89abcde..f012345 100644',
        '--- a/fw/README',
        '+++ b/fw/README',
        '@@ -1 +1 @@',
        '-old blob',
        '+new blob',
      ),
    );
    expect(r.issues).toEqual([]);
    const [bin, readme] = r.value.files;
    expect(bin).toMatchObject({ path: 'fw/blob.bin', status: 'added', binary: true, hunks: [] });
    expect(readme).toMatchObject({ path: 'fw/README', status: 'modified', binary: false, headerLine: 11 });
    expect(readme?.hunks.map(shape)).toEqual([
      [
        ['del', 1, undefined, 16],
        ['add', undefined, 1, 17],
      ],
    ]);
  });

  it("ends 'GIT binary patch' data at the blank line before the footer", () => {
    const r = parseDiff(
      patch(
        'diff --git a/fw/blob.bin b/fw/blob.bin',
        'index 1111111..2222222 100644',
        'GIT binary patch',
        'delta 5',
        'HcmV?d00001',
        '',
        'delta 5',
        'HcmV?d00001',
        '',
        'base-commit: 0123456789abcdef0123456789abcdef01234567',
        '-- ',
        '2.45.0',
      ),
    );
    expect(r.issues).toEqual([]);
    expect(r.value.files).toHaveLength(1);
    expect(at(r.value.files, 0).binary).toBe(true);
    expect(r.value.endLine).toBe(9);
  });

  it('decodes C-quoted paths with tabs, quotes and octal UTF-8 bytes', () => {
    const r = parseDiff(
      patch(
        'diff --git "a/drivers/tab\\tname.c" "b/drivers/caf\\303\\251.c"',
        'similarity index 95%',
        'rename from "drivers/tab\\tname.c"',
        'rename to "drivers/caf\\303\\251.c"',
        'diff --git "a/q\\"uote.c" "b/q\\"uote.c"',
        'index 1111111..2222222 100644',
        '--- "a/q\\"uote.c"',
        '+++ "b/q\\"uote.c"',
        '@@ -1 +1 @@',
        '-a',
        '+b',
      ),
    );
    expect(r.issues).toEqual([]);
    const [renamed, quoted] = r.value.files;
    expect(renamed).toMatchObject({
      oldPath: 'drivers/tab\tname.c',
      newPath: 'drivers/café.c',
      status: 'renamed',
      similarity: 95,
    });
    expect(quoted).toMatchObject({ oldPath: 'q"uote.c', newPath: 'q"uote.c', status: 'modified' });
  });

  it('takes the names from the diff --git line when nothing else names the file', () => {
    // One side quoted and the other not happens when only one name needs quoting.
    expect(parseGitHeaderPaths('"a/x\\ty" b/plain')).toEqual({ oldPath: 'x\ty', newPath: 'plain' });
    expect(parseGitHeaderPaths('a/plain "b/x\\ty"')).toEqual({ oldPath: 'plain', newPath: 'x\ty' });
    // Spaces in an unchanged name: the split that makes both names equal wins.
    expect(parseGitHeaderPaths('a/a b/c b/a b/c')).toEqual({ oldPath: 'a b/c', newPath: 'a b/c' });
    const r = parseDiff(
      patch('diff --git a/dir with space/f.c b/dir with space/f.c', 'old mode 100644', 'new mode 100755'),
    );
    expect(at(r.value.files, 0).path).toBe('dir with space/f.c');
  });

  it("strips the tab git appends to '---'/'+++' names that contain spaces", () => {
    const r = parseDiff(
      patch(
        'diff --git a/my dir/f.c b/my dir/f.c',
        'index 1111111..2222222 100644',
        '--- a/my dir/f.c\t',
        '+++ b/my dir/f.c\t',
        '@@ -1 +1 @@',
        '-x',
        '+y',
      ),
    );
    expect(r.issues).toEqual([]);
    expect(at(r.value.files, 0)).toMatchObject({ oldPath: 'my dir/f.c', newPath: 'my dir/f.c' });
  });

  it('rejects malformed quoting without throwing', () => {
    expect(unquoteCPath('"abc')).toBeNull();
    expect(unquoteCPath('"a\\qb"')).toBeNull();
    expect(unquoteCPath('"\\30"')).toBeNull();
    expect(unquoteCPath('plain')).toBeNull();
    expect(unquoteCPath('"\\101\\n" tail')).toEqual({ value: 'A\n', end: 8 });
    const r = parseDiff(patch('diff --git a/x b/x', 'rename from "broken', 'rename to x2'));
    expect(codes(r)).toContain('diff-bad-path');
    expect(at(r.value.files, 0).oldPath).toBe('"broken');
  });

  it('reads plain (non-git) unified diffs with timestamps', () => {
    const r = parseDiff(
      patch(
        'Only in linux: extra',
        '--- linux.orig/mm/x.c\t2024-01-01 00:00:00.000000000 +0000',
        '+++ linux/mm/x.c\t2024-01-02 00:00:00.000000000 +0000',
        '@@ -1,2 +1,2 @@',
        ' keep',
        '-drop',
        '+add',
        '--- /dev/null',
        '+++ b/mm/new.c',
        '@@ -0,0 +1 @@',
        '+new',
      ),
    );
    expect(r.issues).toEqual([]);
    expect(r.value.files.map((f) => [f.oldPath, f.newPath, f.status, f.headerLine, f.hunks.length])).toEqual([
      ['linux.orig/mm/x.c', 'linux/mm/x.c', 'modified', 2, 1],
      [null, 'mm/new.c', 'added', 8, 1],
    ]);
    expect(r.value.endLine).toBe(11);
  });
});

describe('parseDiff: hunks', () => {
  it('numbers old and new lines exactly', () => {
    const r = parseDiff(
      patch(
        'diff --git a/lib/sum.c b/lib/sum.c',
        'index 1111111..2222222 100644',
        '--- a/lib/sum.c',
        '+++ b/lib/sum.c',
        '@@ -3,5 +3,6 @@ int sum(int a, int b)',
        ' {',
        '-\treturn a + b;',
        '+\tint s = a + b;',
        '+',
        '+\treturn s;',
        ' }',
        '-',
        ' /* end */',
      ),
    );
    expect(r.issues).toEqual([]);
    const h = at(at(r.value.files, 0).hunks, 0);
    expect(h).toMatchObject({
      oldStart: 3,
      oldLines: 5,
      newStart: 3,
      newLines: 6,
      section: 'int sum(int a, int b)',
      headerLine: 5,
      truncated: false,
    });
    expect(shape(h)).toEqual([
      ['context', 3, 3, 6],
      ['del', 4, undefined, 7],
      ['add', undefined, 4, 8],
      ['add', undefined, 5, 9],
      ['add', undefined, 6, 10],
      ['context', 5, 7, 11],
      ['del', 6, undefined, 12],
      ['context', 7, 8, 13],
    ]);
    expect(h.lines.map((l) => l.text)).toEqual([
      '{',
      '\treturn a + b;',
      '\tint s = a + b;',
      '',
      '\treturn s;',
      '}',
      '',
      '/* end */',
    ]);
    expect(r.value.endLine).toBe(13);
  });

  it('reads several hunks, section text and omitted counts', () => {
    const r = parseDiff(
      patch(
        'diff --git a/k/m.c b/k/m.c',
        'index 1111111..2222222 100644',
        '--- a/k/m.c',
        '+++ b/k/m.c',
        '@@ -2 +2 @@',
        '-a',
        '+A',
        '@@ -20,2 +20,3 @@   static void helper(void)  ',
        ' x',
        '+y',
        ' z',
        '@@ -40,2 +41,1 @@ int main(void)',
        '-p',
        ' q',
      ),
    );
    expect(r.issues).toEqual([]);
    const hunks = at(r.value.files, 0).hunks;
    expect(
      hunks.map((h) => [h.oldStart, h.oldLines, h.newStart, h.newLines, h.section, h.headerLine]),
    ).toEqual([
      [2, 1, 2, 1, '', 5],
      [20, 2, 20, 3, 'static void helper(void)', 8],
      [40, 2, 41, 1, 'int main(void)', 12],
    ]);
    expect(shape(at(hunks, 1))).toEqual([
      ['context', 20, 20, 9],
      ['add', undefined, 21, 10],
      ['context', 21, 22, 11],
    ]);
    expect(shape(at(hunks, 2))).toEqual([
      ['del', 40, undefined, 13],
      ['context', 41, 41, 14],
    ]);
  });

  it("attaches '\\ No newline at end of file' to the line before it", () => {
    const r = parseDiff(
      patch(
        'diff --git a/t.txt b/t.txt',
        'index 1111111..2222222 100644',
        '--- a/t.txt',
        '+++ b/t.txt',
        '@@ -1,2 +1,3 @@',
        ' a',
        '-b',
        '\\ No newline at end of file',
        '+b',
        '+c',
        '\\ No newline at end of file',
      ),
    );
    expect(r.issues).toEqual([]);
    const h = at(at(r.value.files, 0).hunks, 0);
    expect(h.lines.map((l) => [l.kind, l.text, l.noNewlineAtEof === true, l.patchLine])).toEqual([
      ['context', 'a', false, 6],
      ['del', 'b', true, 7],
      ['add', 'b', false, 9],
      ['add', 'c', true, 10],
    ]);
    expect(r.value.endLine).toBe(11);
  });

  it('accepts an empty line as a context line whose space was stripped', () => {
    const r = parseDiff(patch('--- a/f', '+++ b/f', '@@ -1,3 +1,3 @@', '-x', '+y', '', ' z'));
    expect(r.issues).toEqual([]);
    expect(shape(at(at(r.value.files, 0).hunks, 0))).toEqual([
      ['del', 1, undefined, 4],
      ['add', undefined, 1, 5],
      ['context', 2, 2, 6],
      ['context', 3, 3, 7],
    ]);
  });
});

describe("parseDiff: '-- ' as a deleted line and as the signature", () => {
  const head = ['diff --git a/doc/notes.txt b/doc/notes.txt', 'index 3333333..4444444 100644'];
  const files = ['--- a/doc/notes.txt', '+++ b/doc/notes.txt'];

  it("reads '-- ' as a deletion while the hunk still expects old lines", () => {
    const r = parseDiff(
      patch(...head, ...files, '@@ -1,3 +1,2 @@', ' first', '-- ', ' last', '-- ', '2.45.0'),
    );
    expect(r.issues).toEqual([]);
    const h = at(at(r.value.files, 0).hunks, 0);
    expect(h.lines.map((l) => [l.kind, l.text])).toEqual([
      ['context', 'first'],
      ['del', '- '],
      ['context', 'last'],
    ]);
    expect(r.value.endLine).toBe(8);
  });

  it("reads '-- ' as the last deletion of a hunk, then the next '-- ' as the signature", () => {
    const r = parseDiff(patch(...head, ...files, '@@ -1,2 +1 @@', ' keep', '-- ', '-- ', '2.45.0'));
    expect(r.issues).toEqual([]);
    expect(shape(at(at(r.value.files, 0).hunks, 0))).toEqual([
      ['context', 1, 1, 6],
      ['del', 2, undefined, 7],
    ]);
    expect(r.value.endLine).toBe(7);
  });

  it("reads '-- ' after a complete hunk as the signature, not as a deletion", () => {
    const r = parseDiff(
      patch(
        ...head,
        ...files,
        '@@ -1,2 +1,3 @@',
        ' a',
        '+b',
        ' c',
        '-- ',
        '2.45.0',
        '',
        'diff --git a/x b/x',
      ),
    );
    expect(r.issues).toEqual([]);
    expect(r.value.files).toHaveLength(1);
    const h = at(at(r.value.files, 0).hunks, 0);
    expect(h.lines.map((l) => l.kind)).toEqual(['context', 'add', 'context']);
    expect(r.value.endLine).toBe(8);
  });

  it('reports a hunk cut short by the signature when only new lines are still expected', () => {
    const r = parseDiff(patch(...head, ...files, '@@ -1,1 +1,3 @@', ' a', '+b', '-- ', '2.45.0'));
    const h = at(at(r.value.files, 0).hunks, 0);
    expect(h.truncated).toBe(true);
    expect(h.lines.map((l) => l.kind)).toEqual(['context', 'add']);
    expect(r.issues).toEqual([
      expect.objectContaining({ code: 'diff-truncated-hunk', severity: 'error', line: 5 }),
    ]);
    expect(r.value.endLine).toBe(7);
  });
});

describe('parseDiff: surrounding text', () => {
  it('returns no files for empty input or text without a diff', () => {
    for (const text of [
      '',
      '\n\n',
      'just prose\n-- \nsig\n',
      '> diff --git a/x b/x\n> @@ -1 +1 @@\n> -a\n',
    ]) {
      const r = parseDiff(text);
      expect(r.value).toEqual({ files: [], endLine: 0 });
      expect(r.issues).toEqual([]);
    }
  });

  it('stops before the format-patch footer and ignores what follows the signature', () => {
    const r = parseDiff(
      patch(
        'Subject: [PATCH] x',
        '',
        '---',
        ' k/f.c | 2 +-',
        '',
        'diff --git a/k/f.c b/k/f.c',
        'index 1111111..2222222 100644',
        '--- a/k/f.c',
        '+++ b/k/f.c',
        '@@ -1 +1 @@',
        '-a',
        '+b',
        '',
        'base-commit: 0123456789abcdef0123456789abcdef01234567',
        'change-id: 20250101-widget-1a2b3c4d5e6f',
        'prerequisite-patch-id: 89abcdef0123456789abcdef0123456789abcdef',
        '-- ',
        '2.45.0',
        '',
        'diff --git a/k/after.c b/k/after.c',
        'old mode 100644',
        'new mode 100755',
      ),
    );
    expect(r.issues).toEqual([]);
    expect(r.value.files.map((f) => f.path)).toEqual(['k/f.c']);
    expect(at(r.value.files, 0).headerLine).toBe(6);
    expect(r.value.endLine).toBe(12);
  });

  it('parses CRLF input like LF input and says so once', () => {
    const lf = patch(
      'diff --git a/k/w.c b/k/w.c',
      'index 1111111..2222222 100644',
      '--- a/k/w.c',
      '+++ b/k/w.c',
      '@@ -1,2 +1,2 @@',
      ' a',
      '-b',
      '+c',
      '-- ',
      '2.45.0',
    );
    const crlf = lf.replaceAll('\n', '\r\n');
    const a = parseDiff(lf);
    const b = parseDiff(crlf);
    expect(b.value).toEqual(a.value);
    expect(at(at(at(b.value.files, 0).hunks, 0).lines, 2).text).toBe('c');
    expect(a.issues).toEqual([]);
    expect(b.issues).toEqual([expect.objectContaining({ code: 'diff-crlf', severity: 'info', line: 1 })]);
  });
});

describe('parseDiff: damaged input', () => {
  const start = ['diff --git a/k/t.c b/k/t.c', 'index aaaaaaa..bbbbbbb 100644', '--- a/k/t.c', '+++ b/k/t.c'];

  it('keeps a hunk cut off by the end of input and reports it', () => {
    const r = parseDiff(patch(...start, '@@ -1,4 +1,4 @@', ' one', '-two', '+TWO'));
    const h = at(at(r.value.files, 0).hunks, 0);
    expect(h.truncated).toBe(true);
    expect(shape(h)).toEqual([
      ['context', 1, 1, 6],
      ['del', 2, undefined, 7],
      ['add', undefined, 2, 8],
    ]);
    expect(r.issues).toEqual([
      expect.objectContaining({ code: 'diff-truncated-hunk', severity: 'error', line: 5 }),
    ]);
    expect(r.value.endLine).toBe(8);
  });

  it('reports a hunk cut short by the next file and parses that file', () => {
    const r = parseDiff(
      patch(
        ...start,
        '@@ -1,3 +1,3 @@',
        ' one',
        'diff --git a/k/u.c b/k/u.c',
        'index ccccccc..ddddddd 100644',
        '--- a/k/u.c',
        '+++ b/k/u.c',
        '@@ -7 +7 @@',
        '-u',
        '+U',
      ),
    );
    expect(r.value.files.map((f) => [f.path, f.hunks.length, f.hunks[0]?.truncated])).toEqual([
      ['k/t.c', 1, true],
      ['k/u.c', 1, false],
    ]);
    expect(r.issues).toEqual([expect.objectContaining({ code: 'diff-truncated-hunk', line: 5 })]);
    expect(r.value.endLine).toBe(13);
  });

  it('ends a hunk at a garbage line and resumes at the next @@ and diff --git', () => {
    const r = parseDiff(
      patch(
        ...start,
        '@@ -1,3 +1,3 @@',
        ' alpha',
        'this line was mangled by a mailer',
        ' gamma',
        '@@ -10,2 +10,2 @@ void tail(void)',
        ' ctx',
        '-x',
        '+y',
        'diff --git a/k/h.c b/k/h.c',
        'old mode 100644',
        'new mode 100755',
      ),
    );
    expect(r.issues).toEqual([
      expect.objectContaining({ code: 'diff-unexpected-line', severity: 'error', line: 7 }),
    ]);
    const [t, h] = r.value.files;
    expect(t?.hunks.map((x) => [x.headerLine, x.truncated, x.lines.length, x.section])).toEqual([
      [5, true, 1, ''],
      [9, false, 3, 'void tail(void)'],
    ]);
    expect(shape(at(t?.hunks ?? [], 1))).toEqual([
      ['context', 10, 10, 10],
      ['del', 11, undefined, 11],
      ['add', undefined, 11, 12],
    ]);
    expect(h).toMatchObject({ path: 'k/h.c', newMode: '100755' });
  });

  it('reports a line that does not fit the remaining counts', () => {
    const r = parseDiff(patch(...start, '@@ -1,2 +1,2 @@', '+a', '+b', ' c'));
    expect(r.issues).toEqual([
      expect.objectContaining({ code: 'diff-unexpected-line', severity: 'error', line: 8 }),
    ]);
    expect(at(at(r.value.files, 0).hunks, 0).truncated).toBe(true);
  });

  it('warns about content lines after a complete hunk (counts too small)', () => {
    const r = parseDiff(patch(...start, '@@ -1 +1 @@', '-a', '+b', '+extra'));
    expect(r.issues).toEqual([
      expect.objectContaining({ code: 'diff-unexpected-line', severity: 'warning', line: 8 }),
    ]);
    expect(at(at(r.value.files, 0).hunks, 0).lines).toHaveLength(2);
    expect(r.value.endLine).toBe(7);
  });

  it('reports a malformed hunk header and a file left without hunks', () => {
    const r = parseDiff(
      patch(
        ...start,
        '@@ -1,x +1 @@',
        '-a',
        '+b',
        'diff --git a/k/v.c b/k/v.c',
        'old mode 100644',
        'new mode 100600',
      ),
    );
    expect(r.issues).toEqual([
      expect.objectContaining({ code: 'diff-missing-hunks', severity: 'error', line: 1 }),
      expect.objectContaining({ code: 'diff-bad-hunk-header', severity: 'error', line: 5 }),
    ]);
    expect(r.value.files.map((f) => [f.path, f.hunks.length])).toEqual([
      ['k/t.c', 0],
      ['k/v.c', 0],
    ]);
  });

  it('reports a header whose hunks were cut off', () => {
    const cutAfterIndex = parseDiff(patch(start[0] ?? '', start[1] ?? ''));
    expect(cutAfterIndex.issues).toEqual([expect.objectContaining({ code: 'diff-missing-hunks', line: 1 })]);
    const cutAfterPlus = parseDiff(patch('intro', ...start, '', 'base-commit: 0123'));
    expect(cutAfterPlus.issues).toEqual([expect.objectContaining({ code: 'diff-missing-hunks', line: 2 })]);
    expect(cutAfterPlus.value.files).toHaveLength(1);
    expect(cutAfterPlus.value.endLine).toBe(5);
  });

  it('warns about a hunk that belongs to no file', () => {
    const r = parseDiff(patch('@@ -1 +1 @@', '-a', '+b'));
    expect(r.value.files).toEqual([]);
    expect(r.issues).toEqual([expect.objectContaining({ code: 'diff-orphan-hunk', line: 1 })]);
  });

  it('parses hunk headers strictly', () => {
    expect(parseHunkHeader('@@ -1,2 +3,4 @@ f(x)')).toEqual({
      oldStart: 1,
      oldLines: 2,
      newStart: 3,
      newLines: 4,
      section: 'f(x)',
    });
    expect(parseHunkHeader('@@ -7 +8 @@')).toEqual({
      oldStart: 7,
      oldLines: 1,
      newStart: 8,
      newLines: 1,
      section: '',
    });
    for (const bad of [
      '@@ -1,2 +3,4',
      '@@@ -1 -1 +1 @@@',
      '@@ -a +1 @@',
      '@@ -1 +1 @@@',
      '@@ -1,+1 @@',
      '@@',
    ]) {
      expect(parseHunkHeader(bad)).toBeNull();
    }
  });
});
