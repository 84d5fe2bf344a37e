/**
 * The delivery probes against real servers: a throw-away dovecot for IMAP and a node:http server
 * playing lore. Each probe answers true (seen), false (not seen, claimed longer ago than the grace
 * period) or null (too early, claim time unknown, or the server cannot be asked).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imapDeliveryProbe, loreDeliveryProbe, type ProbeLog } from '../../app/mail/probe.js';
import { Dovecot, freePort, requireDovecot } from '../helpers/dovecot.js';

const NOW = new Date('2026-03-01T12:00:00Z');
const HOUR = 60 * 60 * 1000;

function recordingLog(): ProbeLog & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    info: (_o, msg) => void lines.push(`info ${msg}`),
    warn: (_o, msg) => void lines.push(`warn ${msg}`),
  };
}

/** Claim times by Message-ID, as the bot reads them from the store. */
function claims(map: Record<string, Date>) {
  return (messageId: string) => map[messageId] ?? null;
}

function mail(messageId: string, subject = 'Re: [PATCH] kapi: frob the widget'): string {
  return [
    'From: kapi-review <bot@example.org>',
    'To: frob-devel@lists.example.org',
    `Subject: ${subject}`,
    'Date: Sun, 01 Mar 2026 11:00:00 +0000',
    `Message-ID: <${messageId}>`,
    '',
    'KAPI review: no findings.',
    '',
  ].join('\r\n');
}

const runImap = requireDovecot('delivery probe IMAP tests');

describe.skipIf(!runImap)('imapDeliveryProbe against a real dovecot', () => {
  let server: Dovecot;
  const folder = 'lists';

  beforeAll(async () => {
    server = await Dovecot.start();
    await server.createFolder(folder);
    await server.append(folder, mail('kapi-review.abc123@example.org'));
    // SEARCH HEADER matches substrings and ignores case; Message-IDs are compared exactly
    await server.append(folder, mail('x.kapi-review.sub@example.org.y'));
    await server.append(folder, mail('KAPI-REVIEW.Case@example.org'));
  }, 30_000);

  afterAll(async () => {
    await server?.cleanup();
  });

  function probe(claimed: Record<string, Date> = {}, over: { port?: number; folder?: string } = {}) {
    const log = recordingLog();
    const p = imapDeliveryProbe({
      host: server.host,
      port: over.port ?? server.port,
      secure: false,
      auth: server.auth,
      folder: over.folder ?? folder,
      graceMs: 2 * HOUR,
      now: () => NOW,
      claimedAt: claims(claimed),
      log,
      timeouts: { connectMs: 3000, greetingMs: 3000, socketMs: 5000 },
    });
    return { p, log };
  }

  it('finds a mail with that Message-ID: true, with or without brackets', async () => {
    const { p } = probe();
    expect(await p.wasDelivered('kapi-review.abc123@example.org')).toBe(true);
    expect(await p.wasDelivered('<kapi-review.abc123@example.org>')).toBe(true);
  });

  it('an absent mail claimed long ago is certainly not delivered: false', async () => {
    const id = 'kapi-review.gone@example.org';
    const { p, log } = probe({ [id]: new Date(NOW.getTime() - 3 * HOUR) });
    expect(await p.wasDelivered(id)).toBe(false);
    expect(log.lines).toContain('info delivery probe: not found after the grace period');
  });

  it('an absent mail claimed recently, or with no known claim time, cannot be told: null', async () => {
    const id = 'kapi-review.late@example.org';
    const recent = probe({ [id]: new Date(NOW.getTime() - 10 * 60 * 1000) });
    expect(await recent.p.wasDelivered(id)).toBeNull();
    expect(recent.log.lines).toContain('info delivery probe: not found yet, too early to tell');
    const unknown = probe();
    expect(await unknown.p.wasDelivered(id)).toBeNull();
  });

  it('a substring of another Message-ID, or one differing in case, is not a match', async () => {
    const sub = 'kapi-review.sub@example.org';
    const cased = 'kapi-review.case@example.org';
    const old = new Date(NOW.getTime() - 3 * HOUR);
    const { p } = probe({ [sub]: old, [cased]: old });
    expect(await p.wasDelivered(sub)).toBe(false);
    expect(await p.wasDelivered(cased)).toBe(false);
    expect(await p.wasDelivered('KAPI-REVIEW.Case@example.org')).toBe(true);
  });

  it('a missing folder or a server nobody listens on: null, and no throw', async () => {
    const missing = probe({}, { folder: 'no-such-folder' });
    expect(await missing.p.wasDelivered('kapi-review.abc123@example.org')).toBeNull();
    expect(missing.log.lines).toContain('warn delivery probe: cannot ask the IMAP server');

    const id = 'kapi-review.down@example.org';
    const down = probe({ [id]: new Date(NOW.getTime() - 3 * HOUR) }, { port: await freePort() });
    expect(await down.p.wasDelivered(id)).toBeNull();
    expect(down.log.lines).toContain('warn delivery probe: cannot ask the IMAP server');
  });

  it('the server stopped: null even for a mail it holds', async () => {
    await server.stop();
    try {
      const { p } = probe();
      expect(await p.wasDelivered('kapi-review.abc123@example.org')).toBeNull();
    } finally {
      await server.start();
    }
    const { p } = probe();
    expect(await p.wasDelivered('kapi-review.abc123@example.org')).toBe(true);
  }, 30_000);
});

describe('loreDeliveryProbe against a local http server', () => {
  let srv: Server;
  let base: string;
  const paths: string[] = [];
  // escaped path segment -> status; everything else 404
  const answers = new Map<string, number>([
    ['/frob-devel/kapi-review.abc123@example.org/raw', 200],
    ['/frob-devel/odd%2Fid%20x@example.org/raw', 200],
    ['/all/kapi-review.abc123@example.org/raw', 200],
    ['/frob-devel/busy@example.org/raw', 503],
  ]);

  beforeAll(async () => {
    srv = createServer((req, res) => {
      paths.push(req.url ?? '');
      if (req.url === '/frob-devel/hang@example.org/raw') return; // never answers
      const status = answers.get(req.url ?? '') ?? 404;
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(status === 200 ? mail('whatever@example.org') : 'not found\n');
    });
    await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(srv.address() as AddressInfo).port}/`;
  });

  afterAll(async () => {
    srv.closeAllConnections();
    await new Promise<void>((resolve) => srv.close(() => resolve()));
  });

  function probe(claimed: Record<string, Date> = {}, over: { baseUrl?: string; inbox?: string } = {}) {
    const log = recordingLog();
    const p = loreDeliveryProbe({
      baseUrl: over.baseUrl ?? base,
      ...(over.inbox === undefined
        ? { inbox: 'frob-devel' }
        : over.inbox === ''
          ? {}
          : { inbox: over.inbox }),
      graceMs: 2 * HOUR,
      now: () => NOW,
      claimedAt: claims(claimed),
      log,
      timeoutMs: 1000,
    });
    return { p, log };
  }

  it('200 for the raw message: true; the Message-ID is escaped as public-inbox does', async () => {
    const { p } = probe();
    expect(await p.wasDelivered('<kapi-review.abc123@example.org>')).toBe(true);
    expect(await p.wasDelivered('odd/id x@example.org')).toBe(true);
    expect(paths).toContain('/frob-devel/odd%2Fid%20x@example.org/raw');
  });

  it('looks in lore\'s "all" inbox unless told otherwise', async () => {
    const { p } = probe({}, { inbox: '' });
    expect(await p.wasDelivered('kapi-review.abc123@example.org')).toBe(true);
    expect(paths).toContain('/all/kapi-review.abc123@example.org/raw');
  });

  it('404: false only after the grace period, else null', async () => {
    const old = 'kapi-review.old@example.org';
    const fresh = 'kapi-review.fresh@example.org';
    const { p } = probe({
      [old]: new Date(NOW.getTime() - 2 * HOUR),
      [fresh]: new Date(NOW.getTime() - HOUR),
    });
    expect(await p.wasDelivered(old)).toBe(false);
    expect(await p.wasDelivered(fresh)).toBeNull();
    expect(await p.wasDelivered('kapi-review.unknown@example.org')).toBeNull();
  });

  it('other statuses, timeouts, a closed port and a bad URL: null', async () => {
    const claimed = {
      'busy@example.org': new Date(NOW.getTime() - 5 * HOUR),
      'hang@example.org': new Date(NOW.getTime() - 5 * HOUR),
      'x@example.org': new Date(NOW.getTime() - 5 * HOUR),
    };
    const { p, log } = probe(claimed);
    expect(await p.wasDelivered('busy@example.org')).toBeNull();
    expect(log.lines).toContain('warn delivery probe: lore gave no clear answer');
    expect(await p.wasDelivered('hang@example.org')).toBeNull();
    expect(log.lines).toContain('warn delivery probe: cannot ask lore');

    const closed = probe(claimed, { baseUrl: `http://127.0.0.1:${await freePort()}` });
    expect(await closed.p.wasDelivered('x@example.org')).toBeNull();
    const bad = probe(claimed, { baseUrl: 'ftp://example.org' });
    expect(await bad.p.wasDelivered('x@example.org')).toBeNull();
    expect(bad.log.lines).toContain('warn delivery probe: bad lore base URL');
  });
});
