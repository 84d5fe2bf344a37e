import { describe, expect, it } from 'vitest';
import { botPolicy } from '../../app/cli/bot.js';
import { main } from '../../app/cli/main.js';
import { UsageError } from '../../app/cli/usage.js';

describe('kapi-review bot options', () => {
  it('builds the policy: mode for the list, global and per-list daily caps, mute by default', () => {
    const p = botPolicy({
      from: 'kapi-review <bot@example.net>',
      mode: 'list',
      list: ['linux-api@example.org'],
      dailyCap: '10',
      listDailyCap: '3',
      optOut: ['*@quiet.example.org'],
    });
    expect(p.optOut).toEqual(['*@quiet.example.org']);
    expect(p.dailyCap).toBe(10);
    expect(p.lists).toEqual([{ address: 'linux-api@example.org', mode: 'list', dailyCap: 3 }]);
    expect(botPolicy({ from: 'bot@example.net', mode: 'dry-run' }).defaultMode).toBe('dry-run');
  });

  it('refuses a cap that is not a count', () => {
    expect(() => botPolicy({ from: 'bot@example.net', mode: 'list', dailyCap: 'many' })).toThrow(UsageError);
    expect(() =>
      botPolicy({ from: 'bot@example.net', mode: 'list', listDailyCap: '-1', list: ['l@x.org'] }),
    ).toThrow(/--list-daily-cap: not a count: -1/);
  });

  it('exits 2 on a bad cap from the command line', async () => {
    let err = '';
    const code = await main(
      [
        'node',
        'kapi-review',
        'bot',
        '--lore-url',
        'http://127.0.0.1:9',
        '--lore-list',
        'x',
        '--from',
        'bot@example.net',
        '--daily-cap',
        'lots',
        '--once',
      ],
      { out: () => {}, err: (s) => (err += s) },
    );
    expect(code).toBe(2);
    expect(err).toMatch(/--daily-cap: not a count: lots/);
  });
});
