// Reads vitest's JSON report and prints the plain closing line CI reads.
// Without a report (the typecheck or lint step failed before vitest ran) the run counts as one failure.
import { existsSync, readFileSync } from 'node:fs';

const [file, rcText] = process.argv.slice(2);
const rc = Number(rcText ?? '0');
if (!file || !existsSync(file)) {
  console.log(`0 passed, ${rc === 0 ? 0 : 1} failed`);
  process.exit(0);
}
const r = JSON.parse(readFileSync(file, 'utf8'));
const passed = r.numPassedTests ?? 0;
let failed = r.numFailedTests ?? 0;
const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
// a suite that failed to load has no failed tests but does fail the run
if (rc !== 0 && failed === 0) failed = Math.max(1, r.numFailedTestSuites ?? 0);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
