/**
 * Starting the App the way `npm start` does: the App's own settings (settings.ts) and its state
 * file are checked first, so a mistake there is one clear line and nothing has started; then
 * Probot's runner, with the dashboard on the App's server (behind its login) or on a port of its
 * own.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { run } from 'probot';
import { defaultCacheDir } from '../cache/facts.js';
import { type DashboardServer, serveDashboard } from '../dashboard/server.js';
import { Store, StoreError } from '../store/store.js';
import { type AppOptions, createApp } from './app.js';
import { createOctokit } from './octokit.js';
import { readSettings, SettingsError } from './settings.js';

export interface StartOptions {
  /** The environment Probot and the App read (process.env for `npm start`). */
  env: Record<string, string | undefined>;
  Octokit?: ReturnType<typeof createOctokit>;
  /** The rest of createApp's options (tests shorten limits). */
  app?: Omit<AppOptions, 'dashboard'>;
}

export interface StartedApp {
  /** Probot's server. */
  server: Awaited<ReturnType<typeof run>>;
  /** The separate dashboard server, when KAPI_DASHBOARD_PORT asked for one. */
  dashboard: DashboardServer | null;
  stop(): Promise<void>;
}

function openState(path: string): Store {
  try {
    return Store.open({ path, now: () => new Date(), readonly: true });
  } catch (e) {
    if (e instanceof StoreError) throw new SettingsError(`KAPI_REVIEW_STATE: ${e.message}`);
    throw e;
  }
}

export async function startApp(opts: StartOptions): Promise<StartedApp> {
  const settings = readSettings(opts.env);
  const d = settings.dashboard;
  const store = d ? openState(d.state) : null;
  let side: DashboardServer | null = null;
  try {
    if (d && store && d.port !== null) {
      try {
        side = await serveDashboard({
          store,
          host: d.host,
          port: d.port,
          auth: d.auth,
          onError: (e) => process.stderr.write(`kapi-review dashboard: ${String(e).slice(0, 300)}\n`),
        });
      } catch (e) {
        throw new SettingsError(
          `KAPI_DASHBOARD_PORT ${d.port}: cannot listen on ${d.host}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`,
        );
      }
    }
    const onApp = d && store && d.port === null && d.auth ? { store, auth: d.auth } : null;
    const cache = settings.cacheDir === null ? null : { dir: settings.cacheDir ?? defaultCacheDir(opts.env) };
    const app = createApp({ cache, ...opts.app, ...(onApp ? { dashboard: onApp } : {}) });
    const server = await run(app, {
      env: opts.env,
      Octokit: opts.Octokit ?? createOctokit(),
    });
    return {
      server,
      dashboard: side,
      stop: async () => {
        await server.stop();
        await side?.close();
        store?.close();
      },
    };
  } catch (e) {
    await side?.close();
    store?.close();
    throw e;
  }
}

/**
 * `npm start`. Probot loads `.env` into process.env inside its runner; the App's settings are read
 * before that, so `.env` is loaded here first, the same way (its values win).
 */
export async function main(): Promise<void> {
  try {
    let text: string | null = null;
    try {
      text = readFileSync(join(process.cwd(), '.env'), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    if (text !== null) Object.assign(process.env, parseEnv(text));
    await startApp({ env: process.env });
  } catch (e) {
    if (!(e instanceof SettingsError)) throw e;
    process.stderr.write(`kapi-review: ${e.message}\n`);
    process.exitCode = 1;
  }
}
