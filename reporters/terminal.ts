/**
 * checkpatch-style lines: `path:line: LEVEL:check-id: message`, one per finding, with the evidence
 * indented under it. Pure; colour only when asked (the CLI asks on a TTY).
 */
import type { Finding, Severity } from '../checks/types.js';

const LEVEL: Record<Severity, string> = { error: 'ERROR', warning: 'WARNING', info: 'CHECK' };
const COLOUR: Record<Severity, string> = { error: '\x1b[31m', warning: '\x1b[33m', info: '\x1b[36m' };

export function findingLine(f: Finding, colour = false): string {
  const level = colour ? `${COLOUR[f.severity]}${LEVEL[f.severity]}\x1b[0m` : LEVEL[f.severity];
  return `${f.at.path}:${f.at.line}: ${level}:${f.check}: ${f.message}`;
}
