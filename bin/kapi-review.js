#!/usr/bin/env node
// The CLI is compiled to dist/ by `npm run build` (also run by `npm ci` through the prepare script).
import { main } from '../dist/app/cli/main.js';

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`kapi-review: internal error: ${err?.stack ?? err}\n`);
    process.exitCode = 2;
  },
);
