import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { specIndexData } from '../../app/dashboard/coverage.js';
import { type DashboardServer, serveDashboard } from '../../app/dashboard/server.js';
import { indexTree } from '../../app/index/specs.js';
import {
  HOSTILE_REVIEWER,
  HOSTILE_TITLE,
  REVIEW_ID,
  type ReviewedStore,
  reviewedStore,
} from '../helpers/dashboard-store.js';

/**
 * The dashboard in a real browser: Debian's chromium driven by playwright-core, over the
 * standalone server on a free port, over a store the real bot filled by reviewing the frob
 * series v1 and v2 (reviewed on the list: a Reviewed-by, an Acked-by) and a series whose subject
 * is `<script>alert(1)</script>` (test/helpers/dashboard-store.ts). It sees the lore links, the
 * mails' own dates and the human Reviewed-by; nothing is fetched from lore. Screenshots go to
 * test-output/dashboard/.
 */
const CHROMIUM = '/usr/bin/chromium';
const SHOTS = join('test-output', 'dashboard');

let r: ReviewedStore;
let server: DashboardServer;
let browser: Browser | null = null;
const dir = mkdtempSync(join(tmpdir(), 'kapi-dash-browser-'));

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  r = await reviewedStore(dir);
  const specs = specIndexData(await indexTree(['fixtures/tree-frob']), 'fixtures/tree-frob');
  server = await serveDashboard({ store: r.store, port: 0, specs });
  if (existsSync(CHROMIUM))
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
      ],
    });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  r?.store.close();
  rmSync(dir, { recursive: true, force: true });
});

function needBrowser(): Browser {
  if (!browser)
    throw new Error(
      `the dashboard browser test needs Debian's chromium at ${CHROMIUM}: apt-get install chromium ` +
        '(never `playwright install`)',
    );
  return browser;
}

/** A page that records dialogs, console errors (a CSP violation is one) and failed requests. */
async function watchedPage(opts: { javaScriptEnabled: boolean }) {
  const context = await needBrowser().newContext({ viewport: { width: 1280, height: 900 }, ...opts });
  const page = await context.newPage();
  const dialogs: string[] = [];
  const problems: string[] = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('requestfailed', (q) => problems.push(`${q.url()}: ${q.failure()?.errorText}`));
  return { page, dialogs, problems, close: () => context.close() };
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

describe('the dashboard in chromium', () => {
  it('clicks from the list into a series, sees its findings, and shows the hostile subject as text', async () => {
    const { page, dialogs, problems, close } = await watchedPage({ javaScriptEnabled: true });
    try {
      const res = await page.goto(server.url);
      expect(res?.status()).toBe(200);
      expect(res?.headers()['content-security-policy']).toMatch(/^default-src 'none'; style-src 'sha256-/);
      await expect(page.locator('h1').textContent()).resolves.toBe('Series');
      const rows = page.locator('tbody tr');
      await expect(rows.count()).resolves.toBe(2);
      // the hostile subject is a link whose text is the markup, shown literally
      const hostile = page.getByRole('link', { name: HOSTILE_TITLE, exact: true });
      await expect(hostile.textContent()).resolves.toBe(HOSTILE_TITLE);
      await expect(page.locator('script, img').count()).resolves.toBe(0);
      await expect(rows.nth(0).textContent()).resolves.toContain(
        '"<img src=x onerror=alert(2)>" <mallory@example.org>',
      );
      await expect(rows.nth(0).locator('.badge.reply-dry-run').textContent()).resolves.toBe('dry-run');
      // the frob series was posted on the 2nd (v2's Date), read by the bot on the 3rd
      await expect(rows.nth(1).locator('td').nth(4).textContent()).resolves.toBe('2026-03-02 12:00 UTC');
      await shot(page, 'list');

      await page.getByRole('link', { name: 'frob: bound, document and restrict sys_frob' }).click();
      await page.waitForURL(`${server.url}series/${r.frobId}`);
      await expect(page.locator('h1').textContent()).resolves.toBe(
        'frob: bound, document and restrict sys_frob',
      );
      const v1 = page.locator('section#v1');
      await expect(v1.locator('article.finding').count()).resolves.toBe(2);
      const eperm = v1.locator('article.finding.sev-error');
      await expect(eperm.locator('.msg').textContent()).resolves.toBe(
        'sys_frob can return -EPERM here, but its spec does not list EPERM',
      );
      await expect(eperm.locator('pre.evidence').textContent()).resolves.toContain(
        'code: kernel/frob.c:55: return -EPERM;',
      );
      await expect(eperm.locator('.status-new').textContent()).resolves.toBe('new in v1');
      const v2 = page.locator('section#v2');
      await expect(v2.textContent()).resolves.toContain(
        'against v1: 0 new, 0 still present, 1 fixed, 1 ignored by a command',
      );
      await expect(v2.locator('.status-fixed').count()).resolves.toBe(1);
      // when v2 was posted (its mails' Date), not when the bot read it a day later
      await expect(v2.locator('dt:text-is("Posted") + dd').textContent()).resolves.toBe(
        '2026-03-02 12:00 UTC',
      );
      await expect(v2.locator('dt:text-is("Arrived") + dd').textContent()).resolves.toBe(
        '2026-03-03 12:00 UTC',
      );
      // lore: the thread, the mbox, each Message-ID and its raw text; the b4 line
      const lore = 'https://lore.kernel.org/all/20260302110000.frob-v2';
      const thread = v2.getByRole('link', { name: 'thread', exact: true });
      await expect(thread.isVisible()).resolves.toBe(true);
      await expect(thread.getAttribute('href')).resolves.toBe(`${lore}-0@example.org/T/#u`);
      await expect(v2.getByRole('link', { name: 'mbox' }).getAttribute('href')).resolves.toBe(
        `${lore}-0@example.org/t.mbox.gz`,
      );
      const patch2 = v2.getByRole('link', { name: '<20260302110000.frob-v2-2@example.org>' });
      await expect(patch2.getAttribute('href')).resolves.toBe(`${lore}-2@example.org/`);
      await expect(patch2.locator('xpath=..').locator('time').textContent()).resolves.toBe(
        '2026-03-02 12:02 UTC',
      );
      await expect(v2.locator('code.b4').textContent()).resolves.toBe(
        'b4 am -v 2 20260302110000.frob-v2-0@example.org',
      );
      // the list's review: a human Reviewed-by on patch 2/3, with the reply's own date
      const review = v2.locator('li.reply', { hasText: 'Bo Reviewer' });
      await expect(review.isVisible()).resolves.toBe(true);
      await expect(review.locator('time').textContent()).resolves.toBe('2026-03-03 14:30 UTC');
      await expect(review.textContent()).resolves.toContain('on patch 2/3');
      await expect(review.locator('ul.trailers li').textContent()).resolves.toBe(
        'Reviewed-by Bo Reviewer <bo@example.org>',
      );
      await expect(review.getByRole('link', { name: 'on lore' }).getAttribute('href')).resolves.toBe(
        `https://lore.kernel.org/all/${REVIEW_ID}/`,
      );
      await v2.locator('h3', { hasText: 'Replies in the thread' }).scrollIntoViewIfNeeded();
      await shot(page, 'series-frob');

      await page.goBack();
      await hostile.click();
      await page.waitForURL(`${server.url}series/${r.hostileId}`);
      await expect(page.locator('h1').textContent()).resolves.toBe(HOSTILE_TITLE);
      await expect(page.locator('article.finding').count()).resolves.toBe(1);
      await expect(page.locator('h3').first().textContent()).resolves.toBe(
        `patch 1/1: [PATCH] ${HOSTILE_TITLE}`,
      );
      await expect(page.locator('script, img').count()).resolves.toBe(0);
      // a reply whose Message-ID, name and Acked-by are markup: text, and its link escaped
      const hostileReply = page.locator('li.reply');
      await expect(hostileReply.locator('.from').textContent()).resolves.toBe(
        `"${HOSTILE_REVIEWER}" <eve@example.org>`,
      );
      await expect(hostileReply.locator('ul.trailers li').textContent()).resolves.toBe(
        `Acked-by ${HOSTILE_REVIEWER} <eve@example.org>`,
      );
      await expect(hostileReply.getByRole('link', { name: 'on lore' }).getAttribute('href')).resolves.toBe(
        'https://lore.kernel.org/all/x%22onmouseover=alert(3)%22@evil.example/',
      );
      await expect(page.locator('[onmouseover], [onerror]').count()).resolves.toBe(0);
      await shot(page, 'series-hostile');

      await page.getByRole('link', { name: 'Checks' }).click();
      await expect(page.locator('svg.chart').count()).resolves.toBe(2);
      await shot(page, 'checks');
      await page.getByRole('link', { name: 'Spec coverage' }).click();
      await expect(page.locator('main').textContent()).resolves.toContain('1 syscall, 0 with a spec (0%)');
      await expect(page.getByRole('link', { name: HOSTILE_TITLE }).count()).resolves.toBeGreaterThan(0);
      await shot(page, 'coverage');

      expect(dialogs).toEqual([]);
      expect(problems).toEqual([]);
    } finally {
      await close();
    }
  });

  it('works without JavaScript: the filter form and the links', async () => {
    const { page, dialogs, problems, close } = await watchedPage({ javaScriptEnabled: false });
    try {
      await page.goto(server.url);
      await page.getByRole('searchbox', { name: 'Search' }).fill('script');
      await page.getByRole('button', { name: 'Filter' }).click();
      await page.waitForURL(/[?&]q=script(&|$)/);
      await expect(page.locator('tbody tr').count()).resolves.toBe(1);
      await expect(page.locator('main p.small').first().textContent()).resolves.toContain('1 series match');
      await shot(page, 'list-search');
      await page.locator('select[name=state]').selectOption('corrupted');
      await page.getByRole('button', { name: 'Filter' }).click();
      await page.waitForURL(/state=corrupted/);
      await expect(page.locator('main').textContent()).resolves.toContain('No series match.');
      await page.getByRole('link', { name: 'clear' }).click();
      await expect(page.locator('tbody tr').count()).resolves.toBe(2);
      await page.getByRole('link', { name: HOSTILE_TITLE, exact: true }).click();
      await expect(page.locator('h1').textContent()).resolves.toBe(HOSTILE_TITLE);
      expect(dialogs).toEqual([]);
      expect(problems).toEqual([]);
    } finally {
      await close();
    }
  });
});
