/**
 * `kapi-review audit <tree|files...>`: every check on every spec of a tree as it stands (no patch),
 * reported as `check` reports a review: the same findings, messages and fingerprints, in text,
 * JSON or SARIF. Exit codes as `check`: 0 done, 1 a finding at or above --fail-on, 2 bad usage.
 */
import { CHECKS } from '../../checks/index.js';
import type { FailLevel } from '../../reporters/line.js';
import type { ReviewReport } from '../../reporters/report.js';
import { AuditError, auditTree } from '../audit/run.js';
import { loadCParser } from '../c/language.js';
import { FileError, fsErrorText, isFsError } from '../io/files.js';
import { type CliIo, cliConfig, printReport } from './main.js';
import { progressBar } from './progress.js';
import { UsageError } from './usage.js';

export interface AuditCliOptions {
  format: string;
  since?: string;
  config?: string;
  ignore?: string;
  failOn?: FailLevel;
  /** Resolved by the caller from NO_COLOR and whether stdout is a terminal. */
  colour?: boolean;
}

export async function auditCommand(inputs: string[], opts: AuditCliOptions, io: CliIo): Promise<number> {
  const config = await cliConfig(opts);
  const parser = await loadCParser();
  const bar = progressBar('auditing');
  let result: Awaited<ReturnType<typeof auditTree>>;
  try {
    result = await auditTree(inputs, {
      checks: CHECKS,
      config,
      parser,
      since: opts.since ?? null,
      onProgress: (d, t) => bar.update(d, t),
    });
  } catch (e) {
    if (e instanceof AuditError || e instanceof FileError) throw new UsageError(e.message);
    if (isFsError(e)) throw new UsageError(fsErrorText(e));
    throw e;
  } finally {
    bar.done();
  }
  const { stats } = result;
  if (stats.files === 0 && !opts.since)
    throw new UsageError(`no .c or .h file in ${inputs.join(', ') || 'the input'}`);
  const notes = [
    `audited ${result.root}: ${stats.reviewed} of ${stats.files} C files may carry a spec, ${stats.withSpecs} do`,
    ...result.notes,
  ];
  if (result.ignored.length > 0)
    notes.push(`${result.ignored.length} finding(s) silenced by the configuration's ignore rules`);
  const report: ReviewReport = {
    series: [],
    findings: result.findings,
    outside: [],
    crashes: result.crashes,
    notes,
  };
  return printReport(
    report,
    { format: opts.format, colour: opts.colour ?? false, failOn: opts.failOn ?? 'error' },
    io,
  );
}
