/**
 * Runs checks on one file unit: message templates, severities from the configuration, stable
 * fingerprints, and crash isolation (a check that throws becomes an internal error naming the
 * check; the other checks still run).
 */
import { fnv64 } from '../parsers/hash.js';
import type { Framework } from '../parsers/kapi/framework.js';
import { latestBuiltin } from '../parsers/kapi/frameworks.js';
import type { Check, FileUnit, Finding, Report, Severity } from './types.js';

export interface CheckConfig {
  /** Check ids that do not run at all. */
  disabled?: readonly string[];
  /** Per-check severity overrides. */
  severity?: Readonly<Record<string, Severity>>;
  /** Per-check options, handed to the check as ctx.options. */
  options?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

export interface CheckCrash {
  check: string;
  path: string;
  messageId: string | null;
  error: string;
}

/**
 * The fingerprint of a finding: (check, spec, subject), never the line, so it survives rebases,
 * line moves and new revisions. Without a spec the path stands in; without a subject the message.
 */
function fingerprint(
  check: string,
  spec: string | undefined,
  subject: string | undefined,
  path: string,
  message: string,
): string {
  return fnv64([check, spec ?? `path:${path}`, subject ?? `msg:${message}`].join('\u0000'));
}

function formatMessage(template: string, data: Readonly<Record<string, string | number>> = {}): string {
  return template.replace(/\{(\w+)\}/g, (all, key: string) => (key in data ? String(data[key]) : all));
}

export function runChecks(
  unit: FileUnit,
  checks: readonly Check[],
  config: CheckConfig = {},
  messageId: string | null = null,
  framework: Framework = latestBuiltin(),
): { findings: Finding[]; crashes: CheckCrash[] } {
  const findings: Finding[] = [];
  const crashes: CheckCrash[] = [];
  const disabled = new Set(config.disabled ?? []);
  for (const check of checks) {
    const id = check.meta.id;
    if (disabled.has(id)) continue;
    const own: Finding[] = [];
    const seen = new Map<string, number>();
    const report = (r: Report): void => {
      const template = check.meta.messages[r.messageId];
      if (template === undefined) throw new Error(`${id} reported unknown message id ${r.messageId}`);
      const message = formatMessage(template, r.data);
      let fp = fingerprint(id, r.spec, r.subject, unit.path, message);
      // the same (check, spec, subject) twice in one file: keep both, distinguishably
      const n = (seen.get(fp) ?? 0) + 1;
      seen.set(fp, n);
      if (n > 1) fp = `${fp}-${n}`;
      const f: Finding = {
        check: id,
        severity: config.severity?.[id] ?? r.severity ?? check.meta.severity,
        message,
        at: {
          path: unit.path,
          line: r.line,
          ...(r.endLine ? { endLine: r.endLine } : {}),
          ...(messageId ? { messageId } : {}),
        },
        evidence: r.evidence,
        fingerprint: fp,
      };
      if (r.spec !== undefined) f.spec = r.spec;
      if (r.subject !== undefined) f.subject = r.subject;
      if (r.suggestion !== undefined) f.suggestion = r.suggestion;
      own.push(f);
    };
    try {
      check.run({ unit, framework, options: config.options?.[id] ?? {}, report });
      for (const f of own) findings.push(f); // not push(...own): 200,000 arguments overflow the stack
    } catch (e) {
      crashes.push({
        check: id,
        path: unit.path,
        messageId,
        error: e instanceof Error ? e.message : String(e),
      });
    }
  }
  return { findings, crashes };
}
