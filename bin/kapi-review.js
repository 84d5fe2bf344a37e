#!/usr/bin/env node
// The CLI is compiled to dist/ by `npm run build` (also run by `npm ci` through the prepare script),
// which also bundles it for a fast start: app/cli/launch.ts.
import { launch } from '../dist/app/cli/launch.js';

launch(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`kapi-review: internal error: ${err?.stack ?? err}\n`);
    process.exitCode = 2;
  },
);
