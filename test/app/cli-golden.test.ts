import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../app/cli/main.js';

/**
 * Golden tests: every fixtures/mail/*.mbox through `kapi-review series --format json`, compared
 * with fixtures/mail/<name>.expected.json. UPDATE_GOLDEN=1 rewrites the expectations; review the
 * diff before committing it.
 */
const dir = join(import.meta.dirname, '..', '..', 'fixtures', 'mail');
const mboxes = readdirSync(dir)
  .filter((f) => f.endsWith('.mbox'))
  .sort();

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(['node', 'kapi-review', ...args], {
    out: (s) => (out += s),
    err: (s) => (err += s),
  });
  return { code, out, err };
}

describe('kapi-review series (golden)', () => {
  it('has a fixture of every kind', () => {
    for (const kind of ['base', 'bugs', 'revision', 'fuzz'])
      expect(mboxes.some((f) => f.startsWith(`${kind}-`))).toBe(true);
  });

  for (const name of mboxes) {
    it(`${name} -> ${name.replace(/\.mbox$/, '.expected.json')}`, async () => {
      const { code, out, err } = await run(['series', '--format', 'json', join(dir, name)]);
      expect(err).toBe('');
      expect(code).toBe(0);
      const actual = JSON.parse(out.replaceAll(dir, '<fixtures>'));
      const file = join(dir, name.replace(/\.mbox$/, '.expected.json'));
      if (process.env.UPDATE_GOLDEN) writeFileSync(file, `${JSON.stringify(actual, null, 2)}\n`);
      expect(actual).toEqual(JSON.parse(readFileSync(file, 'utf8')));
    });
  }
});

describe('kapi-review series (usage)', () => {
  it('prints text by default and exits 0', async () => {
    const { code, out } = await run(['series', join(dir, 'base-frob-v1.mbox')]);
    expect(code).toBe(0);
    expect(out.split('\n')[0]).toBe('frob: bound, document and restrict sys_frob (v1, 3 patches): complete');
  });

  it('reads folders', async () => {
    const { code, out } = await run(['series', '--format', 'json', dir]);
    expect(code).toBe(0);
    const json = JSON.parse(out) as { series: { revision: number }[] };
    expect(json.series.length).toBeGreaterThanOrEqual(2);
  });

  it('exits 2 with a clear message on a missing file', async () => {
    const { code, err } = await run(['series', join(dir, 'no-such.mbox')]);
    expect(code).toBe(2);
    expect(err).toMatch(/cannot read .*no-such\.mbox: ENOENT/);
  });

  it('exits 2 on a bad option value', async () => {
    const { code, err } = await run(['series', '--format', 'xml', join(dir, 'base-frob-v1.mbox')]);
    expect(code).toBe(2);
    expect(err).toMatch(/format/);
  });

  it('never prints terminal control characters taken from mail', async () => {
    const { out } = await run(['series', join(dir, 'fuzz-hostile.mbox')]);
    expect(out).toContain('frob: red spec');
    // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for them is the point
    expect(out).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
  });
});
