/**
 * Runs `kapi-review draft` in-process, puts its output right above the syscall in the file's text
 * and reads the result back as a review would: the spec parser's issues and every check's
 * findings on that spec, judged by the framework given (the tree's, for the tests).
 */
import { loadCParser } from '../../app/c/language.js';
import { main } from '../../app/cli/main.js';
import { CHECKS } from '../../checks/index.js';
import { runChecks } from '../../checks/runner.js';
import type { Finding } from '../../checks/types.js';
import { buildUnit } from '../../checks/unit.js';
import type { Framework } from '../../parsers/kapi/framework.js';
import type { ApiSpec } from '../../parsers/kapi/model.js';
import type { Issue } from '../../parsers/types.js';

export async function runDraft(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(['node', 'kapi-review', 'draft', ...args], {
    out: (s) => (out += s),
    err: (s) => (err += s),
  });
  return { code, out, err };
}

export interface Inserted {
  spec: ApiSpec | null;
  issues: Issue[];
  findings: Finding[];
}

/** `draft` put above the SYSCALL_DEFINE of `fnName` in `text`, parsed and checked. */
export async function insertAndCheck(
  text: string,
  path: string,
  fnName: string,
  draft: string,
  framework: Framework,
): Promise<Inserted> {
  const lines = text.split('\n');
  const bare = fnName.replace(/^sys_/, '');
  const at = lines.findIndex((l) => new RegExp(`SYSCALL_DEFINE\\d\\(${bare}\\b`).test(l));
  if (at < 0) throw new Error(`no SYSCALL_DEFINE of ${fnName}`);
  lines.splice(at, 0, ...draft.trimEnd().split('\n'));
  const unit = buildUnit(
    { path, mode: 'full', post: lines.join('\n'), fragments: [], diff: null },
    await loadCParser(),
  );
  const i = unit.syscalls.findIndex((s) => s.fnName === fnName);
  const { findings } = runChecks(unit, CHECKS, {}, null, framework);
  return {
    spec: unit.specOf[i] ?? null,
    issues: unit.specIssues,
    findings: findings.filter((f) => f.spec === fnName),
  };
}
