/**
 * Posting one check on the patch a Message-ID names, so that patchwork ends with exactly one
 * such check however often this runs:
 *
 * 1. the patch is looked up by Message-ID in the project; none (patchwork has not seen the mail
 *    yet, or never will) or several (nothing says which) post nothing;
 * 2. the patch's latest check of our context is read: when it already says the same (state,
 *    description, target URL), the check is there (a run before this one posted it, and maybe
 *    crashed before it could note so) and nothing is posted;
 * 3. the check is posted; a 5xx or a lost connection is retried only after the list of checks
 *    shows that the failed attempt did not record it after all.
 */
import { bareMessageId, type PatchworkState } from '../../reporters/patchwork.js';
import { type PatchworkCheck, type PatchworkClient, PatchworkError, type PatchworkPatch } from './client.js';

/** One check to post. */
export interface CheckToPost {
  /** The patch mail's Message-ID. */
  messageId: string;
  context: string;
  state: PatchworkState;
  description: string;
  targetUrl: string | null;
}

export type PostOutcome =
  /** Posted now. */
  | { kind: 'posted'; patch: PatchworkPatch; check: PatchworkCheck }
  /** The same check of ours was already the latest of its context. */
  | { kind: 'already'; patch: PatchworkPatch; check: PatchworkCheck }
  /** The project has no patch with this Message-ID (yet). */
  | { kind: 'not-found' }
  /** The project has several patches with this Message-ID: which one is meant is not guessed. */
  | { kind: 'ambiguous'; patchIds: number[] }
  /** patchwork refused the token (401/403). */
  | { kind: 'refused'; message: string; status: number | null }
  /** patchwork rejected the request (another 4xx). */
  | { kind: 'rejected'; message: string; status: number | null }
  /** 5xx after the retries, the network, an answer that is not patchwork's. */
  | { kind: 'failed'; message: string; status: number | null };

function sameCheck(c: PatchworkCheck, want: CheckToPost): boolean {
  return (
    c.context === want.context &&
    c.state === want.state &&
    (c.description ?? '') === want.description &&
    (c.targetUrl ?? null) === want.targetUrl
  );
}

/** The latest check of `context` on the patch (the highest id: patchwork numbers them as made). */
async function latestCheck(client: PatchworkClient, patchId: number, context: string) {
  const checks = (await client.checks(patchId, context)).filter((c) => c.context === context);
  return checks.reduce<PatchworkCheck | null>((a, c) => (a === null || c.id > a.id ? c : a), null);
}

/** Posts one check (see the file's comment); never throws for what patchwork answers. */
export async function postCheck(client: PatchworkClient, want: CheckToPost): Promise<PostOutcome> {
  const msgid = bareMessageId(want.messageId);
  try {
    // a server that ignored the filter would list other patches: only an exact match counts
    const patches = (await client.patchesByMsgid(msgid)).filter((p) => bareMessageId(p.msgid) === msgid);
    if (patches.length === 0) return { kind: 'not-found' };
    if (patches.length > 1) return { kind: 'ambiguous', patchIds: patches.map((p) => p.id) };
    const patch = patches[0] as PatchworkPatch;
    const before = await latestCheck(client, patch.id, want.context);
    if (before && sameCheck(before, want)) return { kind: 'already', patch, check: before };
    const check = await client.createCheck(
      patch.id,
      { state: want.state, context: want.context, description: want.description, targetUrl: want.targetUrl },
      async () => {
        const now = await latestCheck(client, patch.id, want.context);
        return now && sameCheck(now, want) ? now : null;
      },
    );
    return { kind: 'posted', patch, check };
  } catch (e) {
    if (e instanceof PatchworkError) return { kind: e.kind, message: e.message, status: e.status };
    throw e;
  }
}
