/**
 * The App's own settings from the environment (Probot reads its own: APP_ID, WEBHOOK_SECRET, ...).
 * Only the maintainer dashboard has any, and it is off unless KAPI_REVIEW_STATE names the bot's
 * state file. Then it must be either behind a login on the App's server, or on a port of its own:
 *
 * - KAPI_DASHBOARD_TOKEN (16 characters or more): requests carry `Authorization: Bearer TOKEN`, or
 *   basic authentication with the token as the password (what a browser sends);
 * - KAPI_DASHBOARD_USER and KAPI_DASHBOARD_PASS (12 characters or more): basic authentication;
 * - KAPI_DASHBOARD_PORT (and KAPI_DASHBOARD_HOST, 127.0.0.1 by default): a separate server, not
 *   the App's. Without a token or a user it must listen on a loopback address.
 *
 * Reviews keep what the parsers made of each file, and whole reviews, in the persistent cache
 * (app/cache/facts.ts) so that a restarted App does not parse its trees again: KAPI_REVIEW_CACHE
 * names its folder (an absolute path), `off` keeps it in memory; unset, the same folder as
 * `kapi-review check` ($XDG_CACHE_HOME/kapi-review).
 *
 * Anything else is a SettingsError with a message for the operator; nothing has started then.
 */
import type { DashboardAuth } from '../dashboard/handler.js';

export class SettingsError extends Error {
  override name = 'SettingsError';
}

export interface DashboardSettings {
  /** The bot's state file, opened read-only. */
  state: string;
  auth: DashboardAuth | null;
  /** A separate server's port (0: any free one), or null for /kapi-review on the App's server. */
  port: number | null;
  host: string;
}

export interface AppSettings {
  dashboard: DashboardSettings | null;
  /** The cache folder; null: in memory only; undefined: the default folder. */
  cacheDir?: string | null;
}

function cacheDirOf(value: string | undefined): string | null | undefined {
  if (value === undefined) return undefined;
  if (value === 'off') return null;
  if (!value.startsWith('/'))
    throw new SettingsError(`KAPI_REVIEW_CACHE: not an absolute path or \`off\`: ${value.slice(0, 100)}`);
  return value;
}

const MIN_TOKEN = 16;
const MIN_PASS = 12;

const DASHBOARD_VARS = [
  'KAPI_DASHBOARD_TOKEN',
  'KAPI_DASHBOARD_USER',
  'KAPI_DASHBOARD_PASS',
  'KAPI_DASHBOARD_PORT',
  'KAPI_DASHBOARD_HOST',
] as const;

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127(?:\.\d{1,3}){3}$/.test(host);
}

export function readSettings(env: Readonly<Record<string, string | undefined>>): AppSettings {
  const get = (k: string): string | undefined => {
    const v = env[k]?.trim();
    return v ? v : undefined;
  };
  const cacheDir = cacheDirOf(get('KAPI_REVIEW_CACHE'));
  const cache = cacheDir === undefined ? {} : { cacheDir };
  const state = get('KAPI_REVIEW_STATE');
  if (!state) {
    const stray = DASHBOARD_VARS.filter((k) => get(k) !== undefined);
    if (stray.length > 0)
      throw new SettingsError(
        `${stray.join(', ')} set, but KAPI_REVIEW_STATE is not: the dashboard needs the bot's state file`,
      );
    return { dashboard: null, ...cache };
  }
  const token = get('KAPI_DASHBOARD_TOKEN');
  const user = get('KAPI_DASHBOARD_USER');
  const pass = get('KAPI_DASHBOARD_PASS');
  let auth: DashboardAuth | null = null;
  if (token !== undefined) {
    if (user !== undefined || pass !== undefined)
      throw new SettingsError(
        'KAPI_DASHBOARD_TOKEN or KAPI_DASHBOARD_USER and KAPI_DASHBOARD_PASS: not both',
      );
    if (token.length < MIN_TOKEN)
      throw new SettingsError(`KAPI_DASHBOARD_TOKEN must have at least ${MIN_TOKEN} characters`);
    auth = { token };
  } else if (user !== undefined || pass !== undefined) {
    if (user === undefined || pass === undefined)
      throw new SettingsError('KAPI_DASHBOARD_USER and KAPI_DASHBOARD_PASS go together');
    if (user.includes(':')) throw new SettingsError('KAPI_DASHBOARD_USER cannot contain a colon');
    if (pass.length < MIN_PASS)
      throw new SettingsError(`KAPI_DASHBOARD_PASS must have at least ${MIN_PASS} characters`);
    auth = { user, pass };
  }
  const portText = get('KAPI_DASHBOARD_PORT');
  const host = get('KAPI_DASHBOARD_HOST') ?? '127.0.0.1';
  let port: number | null = null;
  if (portText !== undefined) {
    port = /^\d{1,5}$/.test(portText) ? Number(portText) : Number.NaN;
    if (!(port >= 0 && port <= 65535))
      throw new SettingsError(`KAPI_DASHBOARD_PORT: not a port: ${portText.slice(0, 40)}`);
    if (auth === null && !isLoopback(host))
      throw new SettingsError(
        `KAPI_DASHBOARD_HOST ${host.slice(0, 100)} is not a loopback address: a dashboard reachable from ` +
          'elsewhere needs KAPI_DASHBOARD_TOKEN, or KAPI_DASHBOARD_USER and KAPI_DASHBOARD_PASS',
      );
  } else if (get('KAPI_DASHBOARD_HOST') !== undefined)
    throw new SettingsError('KAPI_DASHBOARD_HOST set without KAPI_DASHBOARD_PORT');
  if (auth === null && port === null)
    throw new SettingsError(
      'KAPI_REVIEW_STATE is set, but the dashboard would be open to anyone: set KAPI_DASHBOARD_TOKEN, ' +
        'or KAPI_DASHBOARD_USER and KAPI_DASHBOARD_PASS, or KAPI_DASHBOARD_PORT to serve it on a ' +
        'separate local port',
    );
  return { dashboard: { state, auth, port, host }, ...cache };
}
