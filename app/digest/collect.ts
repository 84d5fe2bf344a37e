/**
 * The maintainer digest over the store: `collectDigest` reads what a period holds, for
 * `kapi-review summary` and for the weekly mail (mail.ts). The digest itself is built and rendered
 * by reporters/digest.ts.
 */
import { isOperatorOnly } from '../../checks/index.js';
import type { Severity } from '../../checks/types.js';
import { buildDigest, type Digest, type DigestFinding, type DigestRevision } from '../../reporters/digest.js';
import type { StoredFinding } from '../store/findings.js';
import type { Store } from '../store/store.js';

function digestFinding(f: StoredFinding): DigestFinding {
  const x = f.finding;
  return {
    check: x.check,
    severity: x.severity,
    spec: x.spec ?? null,
    subject: x.subject ?? null,
    message: x.message,
    path: x.at.path,
    line: x.at.line,
  };
}

/**
 * The digest of the period [since, until) (ISO times). `mailed`: the digest goes out as mail, so
 * operator-only findings (kapi-parse-error) are left out of it, as out of every reply; the
 * operator's own `kapi-review summary` shows them.
 */
export function collectDigest(
  store: Store,
  since: string,
  until: string,
  opts: { mailed?: boolean } = {},
): Digest {
  const shown = (f: StoredFinding): boolean => !(opts.mailed && isOperatorOnly(f.finding.check));
  const revisions: DigestRevision[] = [];
  for (const rev of store.series.revisionsActive(since, until)) {
    const series = store.series.byId(rev.seriesId);
    if (!series) continue;
    const base: DigestRevision = {
      seriesId: series.id,
      title: series.title || series.lineage,
      author: series.author,
      listId: series.listId,
      revision: rev.revision,
      state: rev.state,
      stateDetail: rev.stateDetail,
      receivedAt: rev.receivedAt,
      reviewedAt: rev.reviewedAt,
      superseded: rev.supersededBy !== null,
      previous: null,
      findings: { error: 0, warning: 0, info: 0 },
      newFindings: [],
      stillOpen: 0,
      fixed: [],
      ignored: 0,
    };
    if (rev.reviewedAt !== null) {
      const h = store.findings.history(series.id, rev.revision);
      base.previous = h.previous;
      for (const e of h.entries) {
        const findings = e.findings.filter(shown);
        for (const f of findings) base.findings[f.finding.severity as Severity]++;
        const first = findings[0];
        if (e.status === 'new' && first) base.newFindings.push(digestFinding(first));
        else if (e.status === 'still') base.stillOpen++;
      }
      for (const x of h.fixed) {
        if (!shown(x.finding)) continue;
        const f = x.finding.finding;
        const silenced = store.policy.isIgnored({
          check: f.check,
          subject: f.subject ?? null,
          seriesId: series.id,
          listId: series.listId,
        });
        if (silenced) base.ignored++;
        else base.fixed.push({ ...digestFinding(x.finding), since: x.since });
      }
    }
    revisions.push(base);
  }
  return buildDigest({ since, until, revisions });
}
