/**
 * `kapi-review patchwork-check` as a user runs it: the built command in a child process, the token
 * in its environment, posting to the patchwork stand-in on loopback (test/helpers/patchwork-api.ts).
 * The bot's patchwork options are checked through patchworkSetup.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../app/cli/main.js';
import { patchworkSetup } from '../../app/cli/patchwork.js';
import { UsageError } from '../../app/cli/usage.js';
import { PatchworkApi } from '../helpers/patchwork-api.js';

const V1 = 'fixtures/mail/base-frob-v1.mbox';
const ID = (n: number) => `20260302100000.frob-v1-${n}@example.org`;
const TOKEN = 'c0ffee42';

let api: PatchworkApi;

beforeEach(async () => {
  api = new PatchworkApi();
  await api.start();
  api.project('frob', ['ann']);
  api.user('ann', TOKEN);
  for (const n of [1, 2, 3]) api.patch('frob', ID(n));
});

afterEach(async () => {
  await api.stop();
});

async function run(args: string[], env: Record<string, string> = {}) {
  const { PATCHWORK_TOKEN: _, ...rest } = process.env;
  try {
    const r = await promisify(execFile)(process.execPath, ['bin/kapi-review.js', ...args], {
      env: { ...rest, ...env },
    });
    return { code: 0, out: r.stdout, err: r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, out: x.stdout, err: x.stderr };
  }
}

const pw = () => [
  'patchwork-check',
  '--patchwork',
  api.url,
  '--project',
  'frob',
  '--tree',
  'fixtures/tree-frob',
];

describe('kapi-review patchwork-check', () => {
  it('posts one check per patch, and a second run posts none', async () => {
    const target = 'https://kapi.example.org/series/1';
    const first = await run([...pw(), '--target-url', target, V1], { PATCHWORK_TOKEN: TOKEN });
    expect([first.code, first.err]).toEqual([0, '']);
    expect(first.out.split('\n').filter(Boolean)).toEqual([
      `1/3 <${ID(1)}>: success (no findings): posted on patch 1 (${api.url}/api/1.2/patches/1/checks/4/)`,
      `2/3 <${ID(2)}>: warning (1 warning): posted on patch 2 (${api.url}/api/1.2/patches/2/checks/5/)`,
      `3/3 <${ID(3)}>: fail (1 error): posted on patch 3 (${api.url}/api/1.2/patches/3/checks/6/)`,
    ]);
    expect(api.checks.map((c) => [c.patch, c.state, c.context, c.target_url, c.user])).toEqual([
      [1, 'success', 'kapi-review', target, 'ann'],
      [2, 'warning', 'kapi-review', target, 'ann'],
      [3, 'fail', 'kapi-review', target, 'ann'],
    ]);
    const second = await run([...pw(), '--target-url', target, V1], { PATCHWORK_TOKEN: TOKEN });
    expect(second.code).toBe(0);
    expect(second.out).toMatch(/3\/3 <[^>]+>: fail \(1 error\): already on patch 3, not posted again/);
    expect(api.posts()).toHaveLength(3);
  });

  it('reads the token from the environment only, and says which variable', async () => {
    const none = await run([...pw(), V1]);
    expect(none.code).toBe(2);
    expect(none.err).toMatch(/set the patchwork API token in PATCHWORK_TOKEN .*never from the command line/);
    const onLine = await run([...pw(), '--token', TOKEN, V1]);
    expect(onLine.code).toBe(2);
    expect(onLine.err).toMatch(/unknown option '--token'/);
    const other = await run([...pw(), '--token-env', 'PW_FROB', V1], { PW_FROB: TOKEN });
    expect(other.code).toBe(0);
    expect(api.checks).toHaveLength(3);
  });

  it('exits 1 and says why when patchwork refuses the token or lacks a patch', async () => {
    const refused = await run([...pw(), V1], { PATCHWORK_TOKEN: 'wrong' });
    expect(refused.code).toBe(1);
    expect(refused.out).toMatch(
      /1\/3 <[^>]+>: success \(no findings\): not posted: .*HTTP 401: .*Invalid token/,
    );
    // the others would be refused the same way: not tried
    expect(api.posts()).toHaveLength(1);
    api.patches.splice(1, 1);
    const missing = await run([...pw(), V1], { PATCHWORK_TOKEN: TOKEN });
    expect(missing.code).toBe(1);
    expect(missing.out).toMatch(
      /2\/3 <[^>]+>: warning \(1 warning\): patchwork has no patch with this Message-ID/,
    );
    expect(api.checks.map((c) => c.patch)).toEqual([1, 3]);
  });

  it('with --dry-run says what it would post, posts nothing and needs no token', async () => {
    const r = await run([...pw(), '--dry-run', V1]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(
      /3\/3 <[^>]+>: fail \(1 error\): would be posted to http:\/\/127\.0\.0\.1:\d+ frob/,
    );
    expect(api.calls).toEqual([]);
  });

  it('refuses inputs with more than one series, and a target URL patchwork would not take', async () => {
    const two = await run([...pw(), V1, 'fixtures/mail/revision-frob-v2.mbox'], { PATCHWORK_TOKEN: TOKEN });
    expect([two.code, two.err]).toEqual([2, expect.stringMatching(/2 series in the input .*one at a time/)]);
    const long = await run([...pw(), '--target-url', `https://x.example.org/${'a'.repeat(200)}`, V1], {
      PATCHWORK_TOKEN: TOKEN,
    });
    expect([long.code, long.err]).toEqual([2, expect.stringMatching(/up to 200 characters/)]);
    expect(api.calls).toEqual([]);
  });
});

describe('kapi-review bot: the patchwork options', () => {
  it('are off without --patchwork-url, and need a project and a token with it', () => {
    expect(patchworkSetup({}, {})).toBeNull();
    expect(() => patchworkSetup({ patchworkProject: 'frob' }, {})).toThrow(/need --patchwork-url/);
    expect(() => patchworkSetup({ patchworkUrl: 'https://pw.example.org' }, {})).toThrow(
      /needs --patchwork-project/,
    );
    expect(() =>
      patchworkSetup({ patchworkUrl: 'https://pw.example.org', patchworkProject: 'frob' }, {}),
    ).toThrow(UsageError);
    const setup = patchworkSetup(
      {
        patchworkUrl: 'https://pw.example.org/',
        patchworkProject: 'frob',
        patchworkTokenEnv: 'PW',
        dashboardUrl: 'https://kapi.example.org',
      },
      { PW: TOKEN },
    );
    expect([setup?.client.instance, setup?.dashboardUrl]).toEqual([
      'https://pw.example.org frob',
      'https://kapi.example.org',
    ]);
  });

  it('reach the bot from the command line: no token, no bot', async () => {
    let err = '';
    const argv = 'bot --lore-url http://127.0.0.1:9 --lore-list x --from bot@example.net --once'.split(' ');
    const patchwork = ['--patchwork-url', api.url, '--patchwork-project', 'frob'];
    const code = await main(
      ['node', 'kapi-review', ...argv, ...patchwork, '--patchwork-token-env', 'KAPI_TEST_NO_SUCH_VARIABLE'],
      { out: () => {}, err: (s) => (err += s) },
    );
    expect([code, err]).toEqual([
      2,
      expect.stringMatching(/set the patchwork API token in KAPI_TEST_NO_SUCH_VARIABLE/),
    ]);
    expect(api.calls).toEqual([]);
  });
});
