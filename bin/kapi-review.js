#!/usr/bin/env node
// The CLI is compiled to dist/ by `npm run build` (also run by `npm ci` through the prepare script).
import { setFlagsFromString } from 'node:v8';

// A command is a short process: V8's optimizing compiler (TurboFan) would spend more time
// compiling the many lukewarm functions of a review than running them optimized saves before the
// process ends (RFC v2 without a tree: about 0.2 s of CPU, on background threads that compete with
// the review on a small machine). A higher interrupt budget (16 times V8's 66 KB) leaves them to
// the interpreter and the baseline compiler; a really hot loop (a whole tree, a huge patch) still
// gets optimized, only a little later. Set before any of our code is compiled, as a command-line
// flag would be.
setFlagsFromString('--interrupt-budget=1081344');

const { main } = await import('../dist/app/cli/main.js');

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`kapi-review: internal error: ${err?.stack ?? err}\n`);
    process.exitCode = 2;
  },
);
