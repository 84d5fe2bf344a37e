import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, isIgnored, loadConfig, parseConfigText } from '../../app/config/index.js';
import type { Finding } from '../../checks/types.js';

const KNOWN = ['kapi-count-mismatch', 'kapi-desc-duplicated', 'kapi-deprecated-form'];

describe('.kapi-review.yml', () => {
  it('reads severities, off, options, ignores and the filter', async () => {
    const c = await parseConfigText(
      [
        'filter: diff-context',
        'checks:',
        '  kapi-desc-duplicated: off',
        '  kapi-count-mismatch: warning',
        '  kapi-deprecated-form: { severity: info, options: { target: kerneldoc-2 } }',
        'ignore:',
        '  - kapi-desc-duplicated',
        '  - { check: kapi-count-mismatch, spec: sys_frob, subject: "count:signal" }',
        'github:',
        '  paths: [mm/, kernel/frob.c]',
        '  max-inline: 20',
        'limits:',
        '  spec-entries: 800',
        '  file-mb: 0.5',
        '  seconds: 2.5',
      ].join('\n'),
      KNOWN,
      'x.yml',
    );
    expect(c).toEqual({
      filter: 'diff-context',
      checks: {
        disabled: ['kapi-desc-duplicated'],
        severity: { 'kapi-count-mismatch': 'warning', 'kapi-deprecated-form': 'info' },
        options: { 'kapi-deprecated-form': { target: 'kerneldoc-2' } },
      },
      ignore: [
        { check: 'kapi-desc-duplicated' },
        { check: 'kapi-count-mismatch', spec: 'sys_frob', subject: 'count:signal' },
      ],
      github: { paths: ['mm/', 'kernel/frob.c'], maxInline: 20 },
      // what is not given keeps its default
      limits: { specEntries: 800, hunks: 20_000, fileBytes: 512 * 1024, timeMs: 2500 },
    });
    const f = { check: 'kapi-count-mismatch', spec: 'sys_frob', subject: 'count:signal' } as Finding;
    expect(isIgnored(f, c.ignore)).toBe(true);
    expect(isIgnored({ ...f, subject: 'count:error' }, c.ignore)).toBe(false);
  });

  it('says what is wrong: bad values, unknown keys, unknown checks, broken YAML', async () => {
    const bad = async (text: string): Promise<string> => {
      try {
        await parseConfigText(text, KNOWN, 'x.yml');
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return (e as Error).message;
      }
      throw new Error('accepted');
    };
    expect(await bad('filter: everywhere')).toMatch(/^x\.yml: filter: /);
    expect(await bad('colour: red')).toMatch(/colour/);
    expect(await bad('checks:\n  kapi-count-mismatch: loud')).toMatch(/checks\.kapi-count-mismatch/);
    expect(await bad('checks:\n  kapi-cuont-mismatch: off')).toBe(
      'x.yml: checks.kapi-cuont-mismatch: unknown check',
    );
    expect(await bad('ignore: [kapi-nope]')).toBe('x.yml: ignore.0: unknown check kapi-nope');
    expect(await bad('checks: [')).toMatch(/^x\.yml: not valid YAML/);
    expect(await bad('github:\n  max-inline: 500')).toMatch(/^x\.yml: github\.max-inline: /);
    expect(await bad('github:\n  path: [mm/]')).toMatch(/github.*path/);
    expect(await bad('limits:\n  seconds: 0')).toMatch(/^x\.yml: limits\.seconds: /);
    expect(await bad('limits:\n  seconds: 3600')).toMatch(/^x\.yml: limits\.seconds: /);
    expect(await bad('limits:\n  spec-entries: 1.5')).toMatch(/^x\.yml: limits\.spec-entries: /);
    expect(await bad('limits:\n  time: 10')).toMatch(/limits.*time/);
  });

  it("refuses options a check's schema does not accept, naming the check and the option", async () => {
    const bad = async (text: string): Promise<string> =>
      parseConfigText(text, KNOWN, 'x.yml').then(
        () => 'accepted',
        (e: Error) => (e instanceof ConfigError ? e.message : `not a ConfigError: ${e.message}`),
      );
    expect(await bad('checks:\n  kapi-deprecated-form: { options: { target: patch-v9 } }')).toMatch(
      /^x\.yml: checks\.kapi-deprecated-form\.options\.target: .*"kerneldoc-3"/,
    );
    expect(await bad('checks:\n  kapi-deprecated-form: { options: { taget: macro } }')).toBe(
      'x.yml: checks.kapi-deprecated-form.options.taget: unknown option',
    );
    expect(await bad('checks:\n  kapi-count-mismatch: { options: { target: macro } }')).toBe(
      'x.yml: checks.kapi-count-mismatch.options.target: unknown option',
    );
    const ok = await parseConfigText(
      'checks:\n  kapi-detection-key: { options: { tools: both, keys: [context-flags] } }',
      ['kapi-detection-key'],
      'x.yml',
    );
    expect(ok.checks.options).toEqual({ 'kapi-detection-key': { tools: 'both', keys: ['context-flags'] } });
    expect(
      await parseConfigText(
        'checks:\n  kapi-detection-key: { options: { keys: context-flags } }',
        ['kapi-detection-key'],
        'x.yml',
      ).catch((e: Error) => e.message),
    ).toMatch(/^x\.yml: checks\.kapi-detection-key\.options\.keys: /);
  });

  it('an absent default file is an empty config; an absent named file is an error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kapi-config-'));
    const c = await loadConfig(null, KNOWN, join(dir, '.kapi-review.yml'));
    expect(c).toEqual({
      filter: 'added',
      checks: { disabled: [], severity: {}, options: {} },
      ignore: [],
      github: { paths: [], maxInline: 50 },
      limits: { specEntries: 5000, hunks: 20_000, fileBytes: 4 * 1024 * 1024, timeMs: 60_000 },
    });
    await expect(loadConfig(join(dir, 'nope.yml'), KNOWN)).rejects.toThrow(
      /cannot read config .*nope\.yml: ENOENT/,
    );
    writeFileSync(join(dir, 'ok.yml'), 'filter: none\n');
    expect((await loadConfig(join(dir, 'ok.yml'), KNOWN)).filter).toBe('none');
  });
});
