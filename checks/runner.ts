/**
 * Runs checks on one file unit: message templates, severities from the configuration, stable
 * fingerprints, and crash isolation (a check that throws becomes an internal error naming the
 * check; the other checks still run).
 */
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

const utf8 = new TextEncoder();
const hex4 = (x: number): string => x.toString(16).padStart(4, '0');

/**
 * 64-bit FNV-1a of the UTF-8 bytes, as 16 hex digits: stable across runs, platforms and Node
 * versions. In four 16-bit limbs (a BigInt per byte made every finding cost a few microseconds
 * of allocation); the prime 0x100000001b3 is 0x1b3 + 0x100 << 32.
 */
export function fnv64(text: string): string {
  let h0 = 0x2325;
  let h1 = 0x8422;
  let h2 = 0x9ce4;
  let h3 = 0xcbf2;
  for (const byte of utf8.encode(text)) {
    h0 ^= byte;
    const t0 = h0 * 0x1b3;
    const t1 = h1 * 0x1b3 + (t0 >>> 16);
    const t2 = h2 * 0x1b3 + h0 * 0x100 + (t1 >>> 16);
    const t3 = h3 * 0x1b3 + h1 * 0x100 + (t2 >>> 16);
    h0 = t0 & 0xffff;
    h1 = t1 & 0xffff;
    h2 = t2 & 0xffff;
    h3 = t3 & 0xffff;
  }
  return hex4(h3) + hex4(h2) + hex4(h1) + hex4(h0);
}

/**
 * The fingerprint of a finding: (check, spec, subject), never the line, so it survives rebases,
 * line moves and new revisions. Without a spec the path stands in; without a subject the message.
 */
export function fingerprint(
  check: string,
  spec: string | undefined,
  subject: string | undefined,
  path: string,
  message: string,
): string {
  return fnv64([check, spec ?? `path:${path}`, subject ?? `msg:${message}`].join('\u0000'));
}

export function formatMessage(
  template: string,
  data: Readonly<Record<string, string | number>> = {},
): string {
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
