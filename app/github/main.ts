/**
 * `npm start`: the GitHub App under Probot's own runner. Probot reads its settings from the
 * environment (APP_ID, PRIVATE_KEY or PRIVATE_KEY_PATH, WEBHOOK_SECRET, PORT, HOST, GHE_HOST and
 * GHE_PROTOCOL for GitHub Enterprise, LOG_LEVEL) or from a `.env` file, and runs its setup flow
 * (register the app from app.yml in the browser) when no APP_ID is set.
 *
 * KAPI_REVIEW_STATE names the mail bot's state file; with it, the maintainer dashboard over it is
 * served at /kapi-review behind KAPI_DASHBOARD_TOKEN (or KAPI_DASHBOARD_USER and
 * KAPI_DASHBOARD_PASS), or on KAPI_DASHBOARD_PORT (settings.ts). A bad setting or state file is
 * one line on stderr and exit status 1. KAPI_REVIEW_CACHE: the cache folder, or `off`.
 */
import { main } from './start.js';

await main();
