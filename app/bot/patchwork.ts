/**
 * The bot's patchwork step (off unless the operator configured patchwork: BotDeps.patchwork).
 * A reviewed revision queues one check per patch in the store; at the end of each tick the
 * pending checks are posted (app/patchwork/ledger.ts). Neither ever holds up the mail: a failure
 * is logged and the tick goes on. The stop file stops the posting as it stops the mail.
 */
import { existsSync } from 'node:fs';
import type { Series } from '../../parsers/series.js';
import { postPending, queueChecks } from '../patchwork/ledger.js';
import { TOO_LARGE } from '../review/limits.js';
import type { RevisionRecord } from '../store/series.js';
import { REVIEW_FAILED } from './revisions.js';
import { type BotState, reason, type TickReport } from './state.js';

/** Queues the checks of a reviewed revision (none for one recorded without a review). */
export function queuePatchworkChecks(st: BotState, s: Series, rev: RevisionRecord): void {
  const { patchwork, store, log } = st.deps;
  if (!patchwork) return;
  const detail = rev.stateDetail ?? '';
  if (detail.startsWith(TOO_LARGE) || detail.startsWith(REVIEW_FAILED)) return;
  try {
    const findings = store.findings.ofRevision(rev.id).map((f) => f.finding);
    queueChecks(store, patchwork, s, rev, findings);
  } catch (e) {
    log.error(
      { seriesId: rev.seriesId, revision: rev.revision, err: reason(e) },
      `patchwork checks for v${rev.revision} of "${s.title}" not queued: ${reason(e)}`,
    );
  }
}

/** Posts what is pending; the tick's report says what became of it. */
export async function postPatchworkChecks(st: BotState, report: TickReport): Promise<void> {
  const { patchwork, store, log, now, stopFile } = st.deps;
  if (!patchwork) return;
  if (stopFile && existsSync(stopFile)) {
    log.warn({ stopFile }, `stop file ${stopFile} exists: no patchwork checks posted`);
    return;
  }
  try {
    report.patchwork = await postPending(store, patchwork, log, now);
  } catch (e) {
    log.error({ err: reason(e) }, `posting patchwork checks failed: ${reason(e)}`);
  }
}
