/**
 * What a reviewed series becomes in patchwork: one check per patch, as the kernel's CI systems
 * (NIPA, BPF CI, 0-day) post theirs, where `b4 review` and maintainers look. A patch's state comes
 * from the findings attributed to it (`at.messageId`): an error fails it, a warning warns, and a
 * patch with neither (notes only, or nothing) is a success. The description counts them. Pure: the
 * posting is app/patchwork/.
 *
 * Left out, for precision: findings of operator-only checks (as the mail and GitHub leave them
 * out), patches without a Message-ID (patchwork could not be asked for them), and a slot a
 * partial reroll took from an earlier revision (that mail was checked with its own revision, and
 * patchwork files it there).
 */
import { isOperatorOnly } from '../checks/index.js';
import type { Finding } from '../checks/types.js';
import type { Series } from '../parsers/series.js';

/** The context our checks carry: patchwork shows the latest check of each context. */
export const PATCHWORK_CONTEXT = 'kapi-review';

export type PatchworkState = 'success' | 'warning' | 'fail';

export interface PatchCheckPlan {
  /** The patch mail's Message-ID, without angle brackets (as patchwork's msgid filter wants it). */
  messageId: string;
  /** n of n/N. */
  counter: number;
  state: PatchworkState;
  /** The counts: `1 error, 2 warnings`; `no findings` for a clean patch. */
  description: string;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** The state and the description of one patch's findings. */
export function patchVerdict(findings: readonly Pick<Finding, 'severity'>[]): {
  state: PatchworkState;
  description: string;
} {
  let errors = 0;
  let warnings = 0;
  let notes = 0;
  for (const f of findings) {
    if (f.severity === 'error') errors++;
    else if (f.severity === 'warning') warnings++;
    else notes++;
  }
  const parts = [
    ...(errors ? [plural(errors, 'error')] : []),
    ...(warnings ? [plural(warnings, 'warning')] : []),
    ...(notes ? [plural(notes, 'note')] : []),
  ];
  return {
    state: errors > 0 ? 'fail' : warnings > 0 ? 'warning' : 'success',
    description: parts.length > 0 ? parts.join(', ') : 'no findings',
  };
}

/** A Message-ID as patchwork's filter takes it: trimmed, without the angle brackets. */
export function bareMessageId(id: string): string {
  return id.trim().replace(/^<+/, '').replace(/>+$/, '').trim();
}

/** One check per patch of the series, in patch order (see the file's comment for what is left out). */
export function planPatchChecks(series: Series, findings: readonly Finding[]): PatchCheckPlan[] {
  const byPatch = new Map<string, Finding[]>();
  for (const f of findings) {
    const id = f.at.messageId;
    if (id === undefined || isOperatorOnly(f.check)) continue;
    const key = bareMessageId(id);
    byPatch.set(key, [...(byPatch.get(key) ?? []), f]);
  }
  const plans: PatchCheckPlan[] = [];
  const seen = new Set<string>();
  for (const p of [...series.patches].sort((a, b) => a.counter - b.counter)) {
    if (p.fromRevision !== undefined || p.mail.messageId === null) continue;
    const messageId = bareMessageId(p.mail.messageId);
    if (messageId === '' || seen.has(messageId)) continue;
    seen.add(messageId);
    plans.push({ messageId, counter: p.counter, ...patchVerdict(byPatch.get(messageId) ?? []) });
  }
  return plans;
}
