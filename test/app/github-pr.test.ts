import { describe, expect, it } from 'vitest';
import {
  againstPast,
  canCommand,
  candidateFiles,
  commitPatches,
  isOurReview,
  notOneLine,
  parseCommands,
  pastState,
  pathSelected,
  prPatch,
  rightSideLines,
  subjectOf,
} from '../../app/github/pr.js';
import { fixedMarker, marker } from '../../reporters/github.js';

describe('rightSideLines', () => {
  it('counts added and context lines from each hunk start, skipping removed ones', () => {
    const patch = [
      '@@ -3,4 +3,5 @@ static int f(void)',
      ' a',
      '-b',
      '+B',
      '+C',
      ' d',
      '\\ No newline at end of file',
      '@@ -20,2 +21,2 @@',
      ' x',
      '+y',
    ].join('\n');
    expect([...rightSideLines(patch)]).toEqual([3, 4, 5, 6, 21, 22]);
  });

  it('gives nothing for a missing patch (GitHub omits large diffs)', () => {
    expect(rightSideLines(undefined).size).toBe(0);
    expect(rightSideLines('').size).toBe(0);
  });
});

describe('which files', () => {
  it('selects C sources and headers the PR keeps, within the configured paths', () => {
    const files = [
      { filename: 'mm/mlock.c', status: 'modified' as const },
      { filename: 'include/linux/syscalls.h', status: 'added' as const },
      { filename: 'kernel/gone.c', status: 'removed' as const },
      { filename: 'Documentation/x.rst', status: 'modified' as const },
      { filename: 'kernel/frob.c', status: 'renamed' as const, previous_filename: 'kernel/old.c' },
    ];
    expect(candidateFiles(files, []).map((f) => f.filename)).toEqual([
      'mm/mlock.c',
      'include/linux/syscalls.h',
      'kernel/frob.c',
    ]);
    expect(candidateFiles(files, ['mm/', 'kernel/frob.c']).map((f) => f.filename)).toEqual([
      'mm/mlock.c',
      'kernel/frob.c',
    ]);
  });

  it('matches a path exactly or as a directory, never as a bare prefix', () => {
    expect(pathSelected('mm/mlock.c', ['mm'])).toBe(true);
    expect(pathSelected('mmu/x.c', ['mm'])).toBe(false);
    expect(pathSelected('mm/mlock.c', ['mm/mlock.c'])).toBe(true);
    expect(pathSelected('mm/mlock.cc', ['mm/mlock.c'])).toBe(false);
  });
});

describe('prPatch', () => {
  it('makes the PR one patch of whole files with exact added lines', () => {
    const pre = 'a\nb\nc\n';
    const post = 'a\nb\nnew\nc\n';
    const p = prPatch('#1 t', [
      {
        file: { filename: 'k/f.c', status: 'modified', patch: '@@ -1,3 +1,4 @@\n a\n b\n+new\n c' },
        pre,
        post,
      },
      { file: { filename: 'k/n.c', status: 'added' }, pre: null, post: 'x\n' },
    ]);
    expect(p.label).toBe('#1 t');
    expect(p.files.map((f) => [f.path, f.mode, f.changed?.added])).toEqual([
      ['k/f.c', 'full', [3]],
      ['k/n.c', 'full', [1]],
    ]);
    expect(p.files[0]?.diff?.hunks[0]?.lines.filter((l) => l.kind === 'add').map((l) => l.newLine)).toEqual([
      3,
    ]);
    expect(p.files[1]?.diff).toBeNull();
  });
});

describe('pastState', () => {
  const bot = 'kapi-review[bot]';
  const review = (id: number, sha: string, body: string, login = bot) => ({
    id,
    commit_id: sha,
    body: `<!-- kapi-review:review -->\n${body}`,
    user: { login, type: 'Bot' },
  });

  it('follows each fingerprint to its last word, across comments and bodies', () => {
    const a = { fingerprint: 'fa', check: 'kapi-error-undocumented', spec: 'sys_frob', subject: 'EINVAL' };
    const b = { fingerprint: 'fb', check: 'kapi-count-mismatch' };
    const s = pastState(
      [review(2, 's2', `- ${fixedMarker(a)}`), review(1, 's1', `- ${marker(b)}`)],
      [{ pull_request_review_id: 1, body: marker(a) }],
      bot,
    );
    expect([...s.open.values()]).toEqual([b]);
    expect([...s.reviewedShas].sort()).toEqual(['s1', 's2']);
  });

  it('ignores reviews that are not ours, even when they quote our markers', () => {
    const a = { fingerprint: 'fa', check: 'kapi-x' };
    const s = pastState(
      [
        review(1, 's1', marker(a), 'someone'),
        { id: 2, commit_id: 's2', body: marker(a), user: { login: bot } },
      ],
      [],
      bot,
    );
    expect(s.open.size).toBe(0);
    expect(s.reviewedShas.size).toBe(0);
    expect(isOurReview(review(3, 's', '', 'other[bot]'), null)).toBe(true);
    expect(isOurReview(review(3, 's', '', 'other[bot]'), bot)).toBe(false);
  });
});

describe('againstPast', () => {
  const open = (...fs: { fingerprint: string; check: string }[]) => ({
    open: new Map(fs.map((f) => [f.fingerprint, f])),
    reviewedShas: new Set<string>(),
  });
  const f = (fingerprint: string, check = 'kapi-error-undocumented') => ({ fingerprint, check });

  it('tells the findings already commented on from the open ones the push fixed', () => {
    const past = open(f('fa'), f('fb'), f('fc'), f('fp', 'kapi-parse-error'), f('fi'));
    const r = againstPast(past, [f('fb'), f('fd'), f('fb')], new Set(['fi']));
    expect([...r.previous]).toEqual(['fb']);
    // fp is operator-only and fi ignored in this run: neither is called fixed
    expect(r.fixed).toEqual([f('fa'), f('fc')]);
  });

  it('with no earlier review, nothing was commented on and nothing is fixed', () => {
    const r = againstPast(open(), [f('fa')], new Set());
    expect(r.previous.size).toBe(0);
    expect(r.fixed).toEqual([]);
  });
});

describe('parseCommands', () => {
  it('reads command lines outside quotes and fences', () => {
    const body = [
      'Thanks.',
      '/kapi-review ignore kapi-error-unreachable',
      '> /kapi-review recheck',
      '```',
      '/kapi-review ignore kapi-count-mismatch',
      '```',
      '  /kapi-review recheck  ',
      '/kapi-review please',
      '/kapi-reviewer recheck',
    ].join('\n');
    expect(parseCommands(body)).toEqual({
      commands: [{ kind: 'ignore', check: 'kapi-error-unreachable' }, { kind: 'recheck' }],
      unknown: ['/kapi-review please'],
    });
    expect(parseCommands('/kapi-review ignore <script>')).toEqual({
      commands: [],
      unknown: ['/kapi-review ignore <script>'],
    });
  });

  it('a fence with an info string does not close a block: what follows is still inside', () => {
    // CommonMark 4.5; the old tracker closed the block at any longer-or-equal fence
    const body = ['```', '```c', '/kapi-review recheck', '```', '/kapi-review ignore kapi-x'].join('\n');
    expect(parseCommands(body)).toEqual({ commands: [{ kind: 'ignore', check: 'kapi-x' }], unknown: [] });
  });

  it('lets write, maintain and admin command; read and triage not', () => {
    expect(['admin', 'maintain', 'write', 'triage', 'read', 'none', undefined].map(canCommand)).toEqual([
      true,
      true,
      true,
      false,
      false,
      false,
      false,
    ]);
  });
});

describe('commit by commit', () => {
  const c = (sha: string, ...parents: string[]) => ({ sha: sha.repeat(40), message: sha, parents });
  const mb = 'm'.repeat(40);

  it('takes only one line of history from the merge base to the head', () => {
    const a = c('a', mb);
    const b = c('b', 'a'.repeat(40));
    expect(notOneLine([a, b], mb, b.sha)).toBeNull();
    expect(notOneLine([a, c('b', 'a'.repeat(40), 'x'.repeat(40))], mb, 'b'.repeat(40))).toBe(
      'commit bbbbbbbbbbbb is a merge',
    );
    expect(notOneLine([c('a', 'x'.repeat(40)), b], mb, b.sha)).toBe(
      'its first commit aaaaaaaaaaaa does not start from the merge base',
    );
    expect(notOneLine([a, c('b', mb)], mb, 'b'.repeat(40))).toBe(
      'its commits are not one line of history (bbbbbbbbbbbb does not follow aaaaaaaaaaaa)',
    );
    expect(notOneLine([a, b], mb, 'h'.repeat(40))).toBe('its last commit is not its head hhhhhhhhhhhh');
  });

  it("names a commit by its message's first line, without control characters", () => {
    expect(subjectOf('frob: refuse \u001b[31mred\u001b[0m ranges\n\nBody.')).toBe(
      'frob: refuse  red  ranges',
    );
    expect(subjectOf('x'.repeat(300))).toHaveLength(200);
  });

  it("chains each file's text from the merge base through the commits that touch it", () => {
    const file = { filename: 'kernel/frob.c', status: 'modified' as const };
    const patches = commitPatches(
      [{ file, pre: 'a\n', post: 'c\n' }],
      [
        { sha: '1'.repeat(40), subject: 'one', files: [{ path: 'kernel/frob.c', post: 'b\n' }] },
        { sha: '2'.repeat(40), subject: 'two', files: [] },
        { sha: '3'.repeat(40), subject: 'three', files: [{ path: 'kernel/frob.c', post: 'c\n' }] },
      ],
    );
    expect(patches.map((p) => [p.label, p.files.map((f) => [f.pre, f.post, f.changed?.added])])).toEqual([
      ['111111111111 one', [['a\n', 'b\n', [1]]]],
      ['222222222222 two', []],
      ['333333333333 three', [['b\n', 'c\n', [1]]]],
    ]);
  });
});
