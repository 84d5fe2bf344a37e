/**
 * `npm start`: the GitHub App under Probot's own runner. Probot reads its settings from the
 * environment (APP_ID, PRIVATE_KEY or PRIVATE_KEY_PATH, WEBHOOK_SECRET, PORT, HOST, GHE_HOST and
 * GHE_PROTOCOL for GitHub Enterprise, LOG_LEVEL) or from a `.env` file, and runs its setup flow
 * (register the app from app.yml in the browser) when no APP_ID is set.
 *
 * KAPI_REVIEW_STATE names the mail bot's state file; when set, the maintainer dashboard over it
 * is served at /kapi-review on the same server.
 */
import { run } from 'probot';
import { Store } from '../store/store.js';
import { createApp } from './app.js';
import { createOctokit } from './octokit.js';

const state = process.env.KAPI_REVIEW_STATE?.trim();
const store = state ? Store.open({ path: state, now: () => new Date() }) : null;
await run(createApp(store ? { dashboard: { store } } : {}), { Octokit: createOctokit() });
