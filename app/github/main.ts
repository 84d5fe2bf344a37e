/**
 * `npm start`: the GitHub App under Probot's own runner. Probot reads its settings from the
 * environment (APP_ID, PRIVATE_KEY or PRIVATE_KEY_PATH, WEBHOOK_SECRET, PORT, HOST, GHE_HOST and
 * GHE_PROTOCOL for GitHub Enterprise, LOG_LEVEL) or from a `.env` file, and runs its setup flow
 * (register the app from app.yml in the browser) when no APP_ID is set.
 */
import { run } from 'probot';
import { createApp } from './app.js';
import { createOctokit } from './octokit.js';

await run(createApp(), { Octokit: createOctokit() });
