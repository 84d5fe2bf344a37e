/**
 * The App's webhook route, in front of Probot's: everything a request must get past before a
 * handler sees it, cheapest first, so that nobody without the webhook secret makes the App hold
 * more than a bounded amount of memory or do more than hash what it sent.
 *
 * 1. POST, `Content-Type: application/json`, the three GitHub headers well formed (an event name,
 *    a delivery id, a `sha256=` signature of 64 hex digits): else 405, 415 or 400, body unread.
 * 2. A declared Content-Length over the limit (GitHub's own cap, 25 MB): 413, body unread.
 * 3. The body, read as it streams: past the limit, 413 there and then, the request destroyed;
 *    past the budget of all bodies not yet verified (being read, or read and waiting for their
 *    signature check), 503; not done within the body timeout, 408.
 * 4. The signature (HMAC-SHA256 with the webhook secret, compared in constant time by
 *    @octokit/webhooks): else 400, nothing parsed.
 * 5. JSON, an object, and the fields the App's handlers read (payload.ts): else 400, with a reason
 *    of our own words (which field), never an exception's text.
 * 6. A delivery id seen recently (a replay, or GitHub sending it twice): 200 and nothing done. The
 *    ids are kept in memory, the last `recentDeliveries` of them (10,000 by default): a replay of
 *    an older delivery, or one after a restart, is not caught here (the review itself still skips
 *    a head SHA it has reviewed and a head that moved on). A delivery whose handler failed is
 *    forgotten, so that GitHub's "Redeliver" (same id) can try again.
 * 7. The handlers, as Probot runs them (`app.receive`); an answer within `timeoutMs` (9 s, GitHub
 *    gives up at 10 s) or 202 while they go on. A handler's failure is logged and answered 500
 *    without its text.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** GitHub caps webhook payloads at 25 MB and does not deliver larger ones. */
const MAX_WEBHOOK_BYTES = 25 * 1024 * 1024;

export interface WebhookLimits {
  /** The largest body read (default MAX_WEBHOOK_BYTES). */
  maxBytes?: number;
  /** All bodies read and not yet verified, together (default four times maxBytes). */
  maxBufferedBytes?: number;
  /** How long a body may take to arrive, in ms (default 30 s). */
  bodyTimeoutMs?: number;
  /** How many delivery ids are remembered to refuse replays (default 10,000). */
  recentDeliveries?: number;
  /** How long the handlers may run before the answer is 202 (default 9 s). */
  timeoutMs?: number;
}

export interface WebhookEvent {
  id: string;
  name: string;
  payload: Record<string, unknown>;
}

export interface WebhookRouteOptions extends WebhookLimits {
  /** The path GitHub posts to (Probot's webhookPath). */
  path: string;
  /** Whether `signature` (`sha256=...`) signs `payload` with the webhook secret. */
  verify: (payload: string, signature: string) => Promise<boolean>;
  /** Runs the handlers. */
  receive: (event: WebhookEvent) => Promise<void>;
  /** Why a signed payload cannot be handled, or null (payload.ts `checkWebhook`). */
  check: (event: string, payload: unknown) => string | null;
  log: { warn: (msg: string) => void; error: (msg: string) => void };
}

export type WebhookRoute = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

/** The last `max` ids added, oldest forgotten first. */
export class RecentIds {
  private readonly ids = new Set<string>();
  constructor(private readonly max: number) {}
  get size(): number {
    return this.ids.size;
  }
  has(id: string): boolean {
    return this.ids.has(id);
  }
  add(id: string): void {
    this.ids.add(id);
    while (this.ids.size > this.max) {
      const oldest = this.ids.values().next().value as string;
      this.ids.delete(oldest);
    }
  }
  delete(id: string): void {
    this.ids.delete(id);
  }
}

const JSON_TYPE = /^\s*application\/json\s*(?:;|$)/i;
const EVENT = /^[a-z_]{1,64}$/;
const DELIVERY = /^[A-Za-z0-9-]{1,100}$/;
const SIGNATURE = /^sha256=[0-9a-f]{64}$/;

function trimSlashes(p: string): string {
  return p.replace(/\/+$/, '') || '/';
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return typeof v === 'string' ? v : undefined;
}

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = status < 300 ? body : JSON.stringify({ error: body });
  res.writeHead(status, {
    'Content-Type': status < 300 ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

/**
 * Answers and drops the connection: the rest of the body (if any) is never read. The request is
 * destroyed once the answer is on its way, so a client still sending learns at once.
 */
function refuse(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  message: string,
  extra = {},
): void {
  res.once('finish', () => setImmediate(() => req.destroy()));
  send(res, status, message, { Connection: 'close', ...extra });
}

type Body = { ok: true; bytes: Buffer } | { ok: false; status: number; message: string };

class Budget {
  used = 0;
  constructor(readonly limit: number) {}
}

function readBody(req: IncomingMessage, max: number, budget: Budget, timeoutMs: number): Promise<Body> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (r: Body): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
      if (!r.ok) {
        budget.used -= size;
        chunks.length = 0;
      }
      resolve(r);
    };
    const onData = (c: Buffer): void => {
      if (size + c.length > max) {
        finish({ ok: false, status: 413, message: `the body is larger than ${max} bytes` });
        return;
      }
      if (budget.used + c.length > budget.limit) {
        finish({ ok: false, status: 503, message: 'too many webhook bodies at once; try again' });
        return;
      }
      budget.used += c.length;
      size += c.length;
      chunks.push(c);
    };
    const onEnd = (): void => finish({ ok: true, bytes: Buffer.concat(chunks, size) });
    const onError = (): void => finish({ ok: false, status: 400, message: 'the request failed' });
    const onClose = (): void => finish({ ok: false, status: 400, message: 'the request was cut short' });
    const timer = setTimeout(
      () => finish({ ok: false, status: 408, message: `the body took longer than ${timeoutMs} ms` }),
      timeoutMs,
    );
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

export function createWebhookRoute(opts: WebhookRouteOptions): WebhookRoute {
  const path = trimSlashes(opts.path);
  const max = opts.maxBytes ?? MAX_WEBHOOK_BYTES;
  const budget = new Budget(opts.maxBufferedBytes ?? 4 * max);
  const bodyTimeoutMs = opts.bodyTimeoutMs ?? 30_000;
  const timeoutMs = opts.timeoutMs ?? 9000;
  const recent = new RecentIds(opts.recentDeliveries ?? 10_000);

  return async (req, res) => {
    let pathname: string;
    try {
      pathname = new URL(req.url ?? '/', 'http://webhook.invalid').pathname;
    } catch {
      return false;
    }
    if (trimSlashes(pathname) !== path) return false;

    if (req.method !== 'POST') {
      refuse(req, res, 405, 'POST only', { Allow: 'POST' });
      return true;
    }
    if (!JSON_TYPE.test(header(req, 'content-type') ?? '')) {
      refuse(req, res, 415, 'Content-Type must be application/json');
      return true;
    }
    const name = header(req, 'x-github-event');
    const id = header(req, 'x-github-delivery');
    const signature = header(req, 'x-hub-signature-256');
    if (!name || !EVENT.test(name) || !id || !DELIVERY.test(id) || !signature || !SIGNATURE.test(signature)) {
      refuse(req, res, 400, 'X-GitHub-Event, X-GitHub-Delivery and X-Hub-Signature-256 are required');
      return true;
    }
    const declared = header(req, 'content-length');
    if (declared !== undefined && Number(declared) > max) {
      refuse(req, res, 413, `the body is larger than ${max} bytes`);
      return true;
    }

    const body = await readBody(req, max, budget, bodyTimeoutMs);
    if (!body.ok) {
      if (body.status !== 400) opts.log.warn(`webhook ${id}: ${body.status}, ${body.message}`);
      refuse(req, res, body.status, body.message);
      return true;
    }
    // the budget holds a body until it is known to be GitHub's and parsed
    let payload: unknown;
    try {
      const text = body.bytes.toString('utf8');
      const signed = await opts.verify(text, signature).catch(() => false);
      if (!signed) {
        opts.log.warn(`webhook ${id} (${name}): the signature does not match; check WEBHOOK_SECRET`);
        send(res, 400, 'the signature does not match the payload');
        return true;
      }
      try {
        payload = JSON.parse(text);
      } catch {
        send(res, 400, 'the payload is not JSON');
        return true;
      }
    } finally {
      budget.used -= body.bytes.length;
    }
    const wrong = opts.check(name, payload);
    if (wrong !== null) {
      opts.log.warn(`webhook ${id} (${name}): not handled: ${wrong}`);
      send(res, 400, `the payload cannot be handled: ${wrong}`);
      return true;
    }
    if (recent.has(id)) {
      send(res, 200, 'already received; ignored\n');
      return true;
    }
    recent.add(id);

    let timer: NodeJS.Timeout | undefined;
    let late = false;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const handled = opts.receive({ id, name, payload: payload as Record<string, unknown> }).then(
      () => 'ok' as const,
      (e: unknown) => {
        // Probot's own error handler has logged the failure in full
        recent.delete(id);
        if (late) opts.log.error(`webhook ${id} (${name}): failed after the 202: ${String(e).slice(0, 300)}`);
        return 'failed' as const;
      },
    );
    const outcome = await Promise.race([handled, timeout]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      late = true;
      send(res, 202, 'still processing\n');
    } else if (outcome === 'failed') send(res, 500, 'the handler failed; see the log of the App');
    else send(res, 200, 'ok\n');
    return true;
  };
}
