import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboardCommand, parseSince } from '../../app/cli/dashboard.js';
import { main } from '../../app/cli/main.js';
import { createDashboardHandler } from '../../app/dashboard/handler.js';
import { esc } from '../../app/dashboard/html.js';
import { CSP } from '../../app/dashboard/layout.js';
import { exportDashboard, serveDashboard } from '../../app/dashboard/server.js';
import {
  HOSTILE_REPLY_ID,
  HOSTILE_REVIEWER,
  HOSTILE_TITLE,
  REVIEW_ID,
  type ReviewedStore,
  reviewedStore,
} from '../helpers/dashboard-store.js';

/**
 * The dashboard's I/O edge over a store the real bot filled (test/helpers/dashboard-store.ts):
 * the request handler mounted the way Probot mounts it, the standalone server, the static export
 * and the two commands.
 */
let r: ReviewedStore;
const dirs: string[] = [];
const temp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'kapi-dash-'));
  dirs.push(d);
  return d;
};

beforeAll(async () => {
  r = await reviewedStore(temp());
}, 60_000);

afterAll(() => {
  r?.store.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const ESCAPED = '&lt;script&gt;alert(1)&lt;/script&gt;';

describe('the request handler under a base path, as the GitHub App mounts it', () => {
  let server: Server;
  let base = '';
  const errors: unknown[] = [];
  beforeAll(async () => {
    const handler = createDashboardHandler({
      store: r.store,
      basePath: '/kapi-review',
      onError: (e) => errors.push(e),
    });
    // like Probot's server: each handler in turn; the first that returns true answered
    server = createServer(async (req, res) => {
      if (await handler(req, res)) return;
      res.writeHead(418, { 'Content-Type': 'text/plain' });
      res.end('not the dashboard');
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((ok) => server.close(ok));
  });

  it('returns false (the next handler answers) for paths that are not under the base', async () => {
    for (const p of ['/', '/kapi-reviewx', '/api/github/webhooks', '/probot'])
      expect((await fetch(base + p)).status, p).toBe(418);
  });

  it('answers its own paths: pages 200, unknown ones 404, other methods 405; always the CSP', async () => {
    const status = async (p: string, init?: RequestInit) => {
      const res = await fetch(base + p, init);
      expect(res.headers.get('content-security-policy'), p).toBe(CSP);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      return { status: res.status, body: await res.text(), res };
    };
    for (const p of ['/kapi-review', '/kapi-review/', '/kapi-review/checks', '/kapi-review/coverage'])
      expect((await status(p)).status, p).toBe(200);
    expect((await status(`/kapi-review/series/${r.frobId}`)).status).toBe(200);
    for (const p of [
      '/kapi-review/nope',
      '/kapi-review/series/999',
      '/kapi-review/series/abc',
      '/kapi-review/series/1/x',
    ])
      expect((await status(p)).status, p).toBe(404);
    const post = await status('/kapi-review/', { method: 'POST', body: 'x' });
    expect(post.status).toBe(405);
    expect(post.res.headers.get('allow')).toBe('GET, HEAD');
    const head = await status('/kapi-review/', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expect(head.res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(errors).toEqual([]);
  });

  it('lists the series with links under the base, the hostile title as text', async () => {
    const body = await (await fetch(`${base}/kapi-review/`)).text();
    expect(body).toContain(`<a href="/kapi-review/series/${r.hostileId}">${ESCAPED}</a>`);
    expect(body).toContain(`href="/kapi-review/series/${r.frobId}"`);
    expect(body).not.toMatch(/<script|<img/i);
    const search = await (await fetch(`${base}/kapi-review/?q=${encodeURIComponent('<script>')}`)).text();
    expect(search).toContain('1 series match');
    expect(search).toContain(`value="&lt;script&gt;"`);
    const none = await (await fetch(`${base}/kapi-review/?state=corrupted`)).text();
    expect(none).toContain('No series match.');
    const page99 = await (await fetch(`${base}/kapi-review/?page=99`)).text();
    expect(page99).toContain('2 series; 1–2 shown');
  });

  it('shows one series with its revisions, findings and what v2 fixed', async () => {
    const body = await (await fetch(`${base}/kapi-review/series/${r.frobId}`)).text();
    expect(body).toContain('sys_frob can return -EPERM here, but its spec does not list EPERM');
    expect(body).toContain('against v1: 0 new, 0 still present, 1 fixed, 1 ignored by a command');
    expect(body).toContain('3 written as dry-run');
    expect(body).toContain('kapi-review: ignore kapi-deprecated-form');
    // what v2 changed in the spec, read from the kept mails' hunks (no tree given)
    expect(body).toMatch(
      /<h3>Spec changes since v1<\/h3>\n<pre class="spec-diff">sys_frob \(kernel\/frob\.c:\d+, macro\): 1 change\n {2}\+ error EPERM: caller lacks CAP_SYS_ADMIN<\/pre>/,
    );
  });

  it("shows when each revision was posted, its lore links and b4 line, and the list's reviews with their trailers", async () => {
    const body = await (await fetch(`${base}/kapi-review/series/${r.frobId}`)).text();
    const v2 = body.slice(body.indexOf('<section class="revision" id="v2">'), body.indexOf('id="v1"'));
    expect(v2).toContain(
      '<dt>Posted</dt><dd><time datetime="2026-03-02T12:00:00.000Z">2026-03-02 12:00 UTC</time>',
    );
    expect(v2).toContain('<dt>Arrived</dt><dd><time datetime="2026-03-03T12:00:00.000Z">');
    expect(v2).toContain(
      'href="https://lore.kernel.org/all/20260302110000.frob-v2-0@example.org/T/#u">thread</a>',
    );
    expect(v2).toContain('<code class="b4">b4 am -v 2 20260302110000.frob-v2-0@example.org</code>');
    expect(v2).toContain(`href="https://lore.kernel.org/all/${REVIEW_ID}/">on lore</a>`);
    expect(v2).toMatch(/Bo Reviewer &lt;bo@example.org&gt;<\/span> on patch 2\/3/);
    expect(v2).toContain('<span class="badge trailer">Reviewed-by</span> Bo Reviewer &lt;bo@example.org&gt;');
    expect(v2).toContain('<span class="badge trailer">Acked-by</span> Cy Maintainer &lt;cy@example.org&gt;');
    // Ann quoted the Reviewed-by back: her reply is listed, with no trailer of hers
    expect(v2.match(/class="badge trailer"/g)).toHaveLength(2);
    expect(v2).toContain('Ann Author &lt;ann@example.org&gt;</span> on patch 2/3');
    const v1 = body.slice(body.indexOf('id="v1"'));
    expect(v1).not.toContain('Bo Reviewer');
    expect(v1).toContain(
      'answered a kapi-review reply: <code>kapi-review: ignore kapi-deprecated-form</code>',
    );
  });

  it('shows a hostile reply (Message-ID, name, trailer) as text, and finds series by Message-ID, file and syscall', async () => {
    const body = await (await fetch(`${base}/kapi-review/series/${r.hostileId}`)).text();
    expect(body).not.toMatch(/<script|<img|\sonmouseover=/i);
    expect(body).toContain('href="https://lore.kernel.org/all/x%22onmouseover=alert(3)%22@evil.example/"');
    expect(body).toContain(
      `<span class="badge trailer">Acked-by</span> ${esc(HOSTILE_REVIEWER)} &lt;eve@example.org&gt;`,
    );
    const found = async (q: string) => {
      const page = await (await fetch(`${base}/kapi-review/?q=${encodeURIComponent(q)}`)).text();
      return [...page.matchAll(/href="\/kapi-review\/series\/(\d+)"/g)].map((m) => Number(m[1])).sort();
    };
    expect(await found(REVIEW_ID)).toEqual([r.frobId]);
    expect(await found(`<${HOSTILE_REPLY_ID}>`)).toEqual([r.hostileId]);
    expect(await found('https://lore.kernel.org/all/20260302100000.frob-v1-2@example.org/')).toEqual([
      r.frobId,
    ]);
    expect(await found('kernel/frob.c')).toEqual([r.frobId, r.hostileId].sort());
    expect(await found('sys_frob')).toEqual([r.frobId, r.hostileId].sort());
    expect(await found('mm/')).toEqual([]);
  });
});

describe('kapi-review dashboard: standalone server and static site', () => {
  it('serves at the root on a free port', async () => {
    const s = await serveDashboard({ store: r.store, port: 0 });
    try {
      expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      const res = await fetch(`${s.url}series/${r.hostileId}`);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain(`<h1>${ESCAPED}</h1>`);
      expect((await fetch(`${s.url}checks`)).status).toBe(200);
    } finally {
      await s.close();
    }
  });

  it('writes pages whose relative links all resolve, with the CSP in a meta tag', async () => {
    const dir = temp();
    const rep = await exportDashboard({ store: r.store, dir, perPage: 1, now: null });
    expect(rep).toEqual({ listPages: 2, seriesPages: 2, files: 6 });
    const files = (d: string): string[] =>
      readdirSync(d).flatMap((f) => (statSync(join(d, f)).isDirectory() ? files(join(d, f)) : [join(d, f)]));
    const all = files(dir)
      .map((f) => relative(dir, f))
      .sort();
    expect(all).toEqual([
      'checks.html',
      'coverage.html',
      'index.html',
      'page-2.html',
      `series/${r.frobId}.html`,
      `series/${r.hostileId}.html`,
    ]);
    let links = 0;
    let lore = 0;
    for (const f of all) {
      const text = readFileSync(join(dir, f), 'utf8');
      expect(text, f).toContain('<meta http-equiv="Content-Security-Policy"');
      expect(text, f).not.toMatch(/<script|<img/i);
      for (const m of text.matchAll(/href="([^"#]+)(#[^"]*)?"/g)) {
        // the only absolute links are to lore
        if ((m[1] as string).startsWith('https://')) {
          expect(m[1], f).toMatch(/^https:\/\/lore\.kernel\.org\/all\/[^/]+\/(T\/|raw|t\.mbox\.gz)?$/);
          lore++;
          continue;
        }
        const target = join(dirname(join(dir, f)), (m[1] as string).replaceAll('&amp;', '&'));
        expect(existsSync(target), `${f} -> ${m[1]}`).toBe(true);
        links++;
      }
    }
    expect(links).toBeGreaterThan(20);
    expect(lore).toBeGreaterThan(10);
  });
});

describe('kapi-review dashboard and summary commands', () => {
  const run = async (args: string[]) => {
    let out = '';
    let err = '';
    const code = await main(['node', 'kapi-review', ...args], {
      out: (s) => {
        out += s;
      },
      err: (s) => {
        err += s;
      },
    });
    return { code, out, err };
  };

  it('--out writes the site; a missing store or no --port/--out is bad usage', async () => {
    const dir = temp();
    const ok = await run(['dashboard', '--state', r.store.path, '--out', dir]);
    expect(ok.code).toBe(0);
    expect(ok.err).toMatch(/wrote 5 pages \(1 list, 2 series\)/);
    expect(existsSync(join(dir, 'index.html'))).toBe(true);
    const missing = await run(['dashboard', '--state', join(dir, 'none.db'), '--out', dir]);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/no store at .*none\.db/);
    expect(existsSync(join(dir, 'none.db'))).toBe(false);
    const neither = await run(['dashboard', '--state', r.store.path]);
    expect(neither.code).toBe(2);
    expect(neither.err).toMatch(/give --port N .* or --out DIR/);
    const both = await run([
      'dashboard',
      '--state',
      r.store.path,
      '--out',
      dir,
      '--specs',
      'x',
      '--tree',
      'y',
    ]);
    expect(both.code).toBe(2);
    expect(both.err).toMatch(/--specs and --tree/);
  });

  it('--lore-url points the mail links at another public-inbox; a URL that is no http(s) is bad usage', async () => {
    const dir = temp();
    const exportWith = (url: string) =>
      run(['dashboard', '--state', r.store.path, '--out', dir, '--lore-url', url]);
    const ok = await exportWith('http://127.0.0.1:9/lists/linux-frob/');
    expect(ok.code).toBe(0);
    const page = readFileSync(join(dir, 'series', `${r.frobId}.html`), 'utf8');
    expect(page).toContain(
      'href="http://127.0.0.1:9/lists/linux-frob/20260302110000.frob-v2-0@example.org/T/#u">thread</a>',
    );
    expect(page).not.toContain('lore.kernel.org');
    const bad = await exportWith('javascript:alert(1)');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--lore-url: lore base URL must be http\(s\): javascript:alert\(1\)/);
  });

  it('--specs FILE from `kapi-review specs --format json` fills the coverage page; a bad file is refused', async () => {
    const dir = temp();
    const specs = await run(['specs', 'fixtures/tree-frob', '--format', 'json']);
    expect(specs.code).toBe(0);
    writeFileSync(join(dir, 'specs.json'), specs.out);
    const ok = await run([
      'dashboard',
      '--state',
      r.store.path,
      '--out',
      join(dir, 'site'),
      '--specs',
      join(dir, 'specs.json'),
    ]);
    expect(ok.code).toBe(0);
    const cov = readFileSync(join(dir, 'site', 'coverage.html'), 'utf8');
    expect(cov).toContain('1 syscall, 0 with a spec (0%)');
    expect(cov).toContain(`<a href="series/${r.hostileId}.html">${ESCAPED}</a>`);
    writeFileSync(join(dir, 'bad.json'), '{"version":1}');
    const bad = await run([
      'dashboard',
      '--state',
      r.store.path,
      '--out',
      dir,
      '--specs',
      join(dir, 'bad.json'),
    ]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/not a spec index/);
  });

  it('--port serves until told to stop', async () => {
    let got = '';
    const code = await dashboardCommand(
      { state: r.store.path, port: '0', host: '127.0.0.1', tree: 'fixtures/tree-frob' },
      { out: () => undefined, err: () => undefined },
      {},
      async (url) => {
        got = await (await fetch(`${url}coverage`)).text();
      },
    );
    expect(code).toBe(0);
    expect(got).toContain('Index: fixtures/tree-frob. 1 syscall, 0 with a spec (0%)');
  });

  it('--port answers a bad query parameter 400, not 500', async () => {
    const got: Record<string, number> = {};
    const errors: string[] = [];
    const code = await dashboardCommand(
      { state: r.store.path, port: '0', host: '127.0.0.1' },
      { out: () => undefined, err: (s) => void errors.push(s) },
      {},
      async (url) => {
        for (const q of ['page=99999999999999999999', 'page=0', 'per=abc', 'state=evil', 'page=2', 'page='])
          got[q] = (await fetch(`${url}?${q}`)).status;
      },
    );
    expect(code).toBe(0);
    expect(got).toEqual({
      'page=99999999999999999999': 400,
      'page=0': 400,
      'per=abc': 400,
      'state=evil': 400,
      'page=2': 200,
      'page=': 200,
    });
    expect(errors.join('')).not.toMatch(/Error|\bat /);
  });

  it('a state file that is a directory or garbage is a usage error that says so; nothing is written', async () => {
    const dir = temp();
    writeFileSync(join(dir, 'garbage.db'), 'garbage\n'.repeat(1000));
    const garbage = await run(['dashboard', '--state', join(dir, 'garbage.db'), '--out', join(dir, 'site')]);
    expect(garbage.code).toBe(2);
    expect(garbage.err).toMatch(/garbage\.db is not a kapi-review state file: file is not a database/);
    const folder = await run(['summary', '--state', dir]);
    expect(folder.code).toBe(2);
    expect(folder.err).toMatch(/is a directory, not a state file/);
    expect(readFileSync(join(dir, 'garbage.db'), 'utf8')).toBe('garbage\n'.repeat(1000));
    expect(readdirSync(dir)).toEqual(['garbage.db']);
  });

  it('--since takes a period or a date', () => {
    const now = new Date('2026-03-09T12:00:00.000Z');
    expect(parseSince('7d', now)?.toISOString()).toBe('2026-03-02T12:00:00.000Z');
    expect(parseSince('36h', now)?.toISOString()).toBe('2026-03-08T00:00:00.000Z');
    expect(parseSince('2w', now)?.toISOString()).toBe('2026-02-23T12:00:00.000Z');
    expect(parseSince('90m', now)?.toISOString()).toBe('2026-03-09T10:30:00.000Z');
    expect(parseSince('2026-03-01', now)?.toISOString()).toBe('2026-03-01T00:00:00.000Z');
    expect(parseSince('2026-03-01T10:00:00+01:00', now)?.toISOString()).toBe('2026-03-01T09:00:00.000Z');
    for (const bad of ['', 'd7', '7y', 'yesterday', '2026-13-45'])
      expect(parseSince(bad, now), bad).toBeNull();
  });

  it('summary prints the digest as text, Markdown or JSON', async () => {
    const text = await run(['summary', '--state', r.store.path, '--since', '2026-03-01', '--format', 'text']);
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/^kapi-review digest, 2026-03-01 00:00 to /);
    expect(text.out).toContain('Arrived: 3 revisions of 2 series.');
    expect(text.out).toContain('3 new findings (1 error, 2 warnings), 1 fixed, 1');
    expect(text.out).toContain('  - <script>alert(1)</script> v1');
    const md = await run(['summary', '--state', r.store.path, '--since', '2026-03-01']);
    expect(md.out).toContain(`- **\\<script\\>alert(1)\\</script\\>** v1`);
    const json = await run(['summary', '--state', r.store.path, '--since', '2026-03-01', '--format', 'json']);
    const parsed = JSON.parse(json.out) as { totals: { arrived: number; fixed: number; ignored: number } };
    expect(parsed.totals).toMatchObject({ arrived: 3, fixed: 1, ignored: 1 });
    const bad = await run(['summary', '--state', r.store.path, '--since', 'last tuesday']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--since last tuesday: a period/);
    expect(HOSTILE_TITLE).toBe('<script>alert(1)</script>');
  });
});
