/**
 * checkpatch-style lines: `path:line: LEVEL:check-id: message`, one per finding, with the evidence
 * indented under it. Pure; colour only when asked (the CLI decides: --colour, NO_COLOR, a TTY).
 *
 * Only a finding line is a location to an editor. An evidence line reads `  spec at PATH line N:
 * TEXT`: no `PATH:N:` in it, so vim's quickfix (the default errorformat's `%f:%l:%m`, which takes
 * any text before `:N:` for a file name), gcc-style and Emacs' `program: file:line:` parsers do
 * not take it for a location of its own (test/app/editor-errorformat.test.ts runs vim on it).
 */
import type { Evidence, Finding, Severity } from '../checks/types.js';
import { sanitize } from '../parsers/text/controls.js';
import { countLevels, patchesById, type ReportFinding, type ReviewReport } from './report.js';

const LEVEL: Record<Severity, string> = { error: 'ERROR', warning: 'WARNING', info: 'CHECK' };
const COLOUR: Record<Severity, string> = { error: '\x1b[31m', warning: '\x1b[33m', info: '\x1b[36m' };
const BOLD = '\x1b[1m';
const RED_BOLD = '\x1b[1;31m';
const RESET = '\x1b[0m';

export function findingLine(f: Finding, colour = false): string {
  const level = colour ? `${COLOUR[f.severity]}${LEVEL[f.severity]}\x1b[0m` : LEVEL[f.severity];
  return `${f.at.path}:${f.at.line}: ${level}:${f.check}: ${f.message}`;
}

export interface TerminalOptions {
  colour: boolean;
}

/** A finding line with its text made one safe line (a message or path may come from the mail). */
export function safeFindingLine(f: Finding, colour = false): string {
  return findingLine(
    {
      ...f,
      check: sanitize(f.check, 'terminalLine'),
      message: sanitize(f.message, 'terminalLine'),
      at: { ...f.at, path: sanitize(f.at.path, 'terminalLine') },
    },
    colour,
  );
}

/** `  spec at kernel/frob.c line 21: DEFINE_KERNEL_API_SPEC(sys_frob)`: not a location to an editor. */
function evidenceLine(e: Evidence): string {
  const where = `${sanitize(e.path, 'terminalLine')} line ${e.line}`;
  return `  ${e.kind ?? 'evidence'} at ${where}: ${sanitize(e.text, 'terminalLine')}`;
}

/** `  suggestion: ` and the suggested lines, each further line under the first. */
function suggestionLines(suggestion: string): string[] {
  const head = '  suggestion: ';
  return sanitize(suggestion, 'terminal')
    .split('\n')
    .map((l, i) => (i === 0 ? head : ' '.repeat(head.length)) + l);
}

/** The finding line and its indented evidence and suggestion; text from the mail made safe. */
export function findingBlock(f: ReportFinding, colour = false): string[] {
  const out = [safeFindingLine(f, colour)];
  for (const e of f.evidence) out.push(evidenceLine(e));
  if (f.suggestion !== undefined) out.push(...suggestionLines(f.suggestion));
  return out;
}

function messageIdText(id: string | null | undefined): string {
  return id ? `<${sanitize(id, 'terminal')}>` : '(no Message-ID)';
}

/**
 * The whole review for a terminal: the series reviewed, findings (under a header per patch when
 * the report has more than one patch), findings outside the diff filter, crashed checks, notes,
 * and checkpatch's closing total (of the findings inside the filter).
 */
export function renderTerminal(report: ReviewReport, opts: TerminalOptions): string {
  const { colour } = opts;
  const bold = (s: string): string => (colour ? `${BOLD}${s}${RESET}` : s);
  const out: string[] = [];
  const byId = patchesById(report);
  const patchCount = report.series.reduce((n, s) => n + s.patches.length, 0);

  for (const s of report.series) {
    const n = s.patches.length;
    out.push(
      bold(`${sanitize(s.title, 'terminal')} (v${s.revision}, ${n} patch${n === 1 ? '' : 'es'}): ${s.state}`),
    );
    for (const p of s.patches) out.push(`  ${sanitize(p.subject, 'terminal')} ${messageIdText(p.messageId)}`);
    out.push('');
  }

  const section = (findings: readonly ReportFinding[]): void => {
    let current: string | null | undefined;
    for (const [i, f] of findings.entries()) {
      const id = f.at.messageId ?? null;
      if (patchCount > 1 && (i === 0 || id !== current)) {
        if (i > 0) out.push('');
        const subject = id ? byId.get(id)?.subject : undefined;
        out.push(bold(subject ? `${sanitize(subject, 'terminal')} ${messageIdText(id)}` : messageIdText(id)));
      }
      current = id;
      out.push(...findingBlock(f, colour));
    }
    if (findings.length > 0) out.push('');
  };

  section(report.findings);
  if (report.outside.length > 0) {
    out.push(bold(`outside the diff (not inline): ${report.outside.length}`));
    section(report.outside);
  }
  for (const c of report.crashes) {
    const tag = colour ? `${RED_BOLD}INTERNAL${RESET}` : 'INTERNAL';
    out.push(
      `${tag}: check ${sanitize(c.check, 'terminal')} crashed on ${sanitize(c.path, 'terminal')} (${messageIdText(c.messageId)}): ${sanitize(c.error, 'terminal')}`,
    );
  }
  if (report.crashes.length > 0) out.push('');
  for (const n of report.notes) out.push(`note: ${sanitize(n, 'terminal')}`);
  if (report.notes.length > 0) out.push('');

  const c = countLevels(report.findings);
  let total = `total: ${c.errors} errors, ${c.warnings} warnings, ${c.checks} checks`;
  if (report.outside.length > 0) total += `, ${report.outside.length} outside the diff`;
  if (report.crashes.length > 0) total += `, ${report.crashes.length} internal errors`;
  out.push(total);
  return `${out.join('\n')}\n`;
}
