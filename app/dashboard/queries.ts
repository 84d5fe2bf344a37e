/**
 * The dashboard's read models: the queries only the dashboard asks, over the store's own
 * connection (read-only; a reader opens the state file with `readonly`). The series list with each
 * series' latest revision, findings by severity and reply state; the lists; what became of each
 * check's findings; findings per day; and the findings still open per spec, for coverage.
 */
import type { Severity } from '../../checks/types.js';
import { autoSubmittedKeyword } from '../../parsers/mail.js';
import { formatAddress } from '../../parsers/mail-writer.js';
import { parseReviewTrailers, type ReviewTrailer } from '../../parsers/review-trailers.js';
import type { OutboxState } from '../mail/types.js';
import { StoreError } from '../store/db.js';
import {
  REVISION_STATES,
  type RevisionRecord,
  type RevisionState,
  type SeriesRecord,
  seriesRow,
} from '../store/series.js';
import { cached, intArg, likePattern, listKey, num, type Row, str, strOrNull } from '../store/sql.js';
import type { Store } from '../store/store.js';
import { type MailHead, type StoredMails, storedMails } from './mails.js';
import { pathMatches, searchTerms } from './search.js';

export type ReplyStatus = 'none' | 'pending' | 'sending' | 'sent' | 'failed';

export interface SeriesSummary {
  series: SeriesRecord;
  /** The highest revision, or null when none was recorded yet. */
  latest: RevisionRecord | null;
  /** When the latest revision was posted: its mails' own Date (postedAt), null when unknown. */
  postedAt: string | null;
  revisions: number;
  /** Findings of the latest revision by severity. */
  findings: Record<Severity, number>;
  /** Outbox entries about the latest revision, by state. */
  replies: Record<OutboxState, number>;
  /** The worst of them: failed > sending > pending > sent; 'none' without entries. */
  replyStatus: ReplyStatus;
  /** Of the sent entries, those dry-run wrote to a file instead (sent info `dry-run: FILE`). */
  dryRun: number;
  muted: boolean;
}

/** listSeries' query: a page, a search, and filters on the list and the latest revision's state. */
export interface SeriesQuery {
  limit?: number;
  offset?: number;
  search?: string;
  /** Only series posted to this list (an address; `Name <addr>` works too). */
  list?: string;
  /** Only series whose latest revision is in this state. */
  state?: RevisionState;
}

/** Outbox entries about one revision by state, and how many of the sent ones were dry-run files. */
export type ReplyCounts = Record<OutboxState, number> & { dryRun: number };

/** What became of one check's findings (each counted once per series and fingerprint). */
export interface CheckFigures {
  check: string;
  /** Distinct findings: a fingerprint in a series, however many revisions reported it. */
  findings: number;
  /** Rows recorded: the same finding in v1, v2 and v3 counts three times. */
  reports: number;
  bySeverity: Record<Severity, number>;
  /** Gone from the series' latest reviewed revision (and not ignored). */
  fixed: number;
  /** Silenced by a maintainer's or author's ignore command (series, list or global). */
  ignored: number;
  /** Still in the series' latest reviewed revision. */
  open: number;
}

/** Findings reported per day (the day the revision was posted, by its mails' Date; UTC) and severity. */
export interface FindingsPerDay {
  day: string;
  severity: Severity;
  count: number;
}

/** A finding still present in the latest reviewed revision of its series, for spec coverage. */
export interface OpenFinding {
  spec: string;
  check: string;
  severity: Severity;
  seriesId: number;
  title: string;
  revision: number;
  count: number;
}

/** A person's reply in a revision's thread: a review of a patch, or an answer to one of our reviews. */
export interface HumanReply {
  messageId: string;
  from: string;
  subject: string | null;
  /** The mail's own Date (ISO); null when it had none, or when its mail was not kept. */
  date: string | null;
  /** The revision's mail it answers (cover letter or patch); null for an answer to our review. */
  about: string | null;
  /** Reviewed-by, Acked-by, ... from its body (none when its mail was not kept). */
  trailers: ReviewTrailer[];
  /** An answer to one of our reviews: when the bot got it, and the commands it obeyed. */
  followUp: { receivedAt: string; command: string | null } | null;
  /** Its mail is kept (it came from the list the bot reads, so lore has it too). */
  kept: boolean;
}

export interface SeriesPage {
  total: number;
  items: SeriesSummary[];
}

/** Text for a LIKE pattern (ESCAPE '\'): its own %, _ and \ taken literally. */
function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** A CTE: the latest reviewed revision of each series, where a finding is fixed or still open. */
const LATEST_REVIEWED = `WITH latest AS (
  SELECT series_id, max(revision) AS revision FROM revisions WHERE reviewed_at IS NOT NULL
  GROUP BY series_id)`;

export class DashboardQueries {
  private readonly mails: StoredMails;

  constructor(private readonly store: Store) {
    this.mails = storedMails(store.db);
  }

  /**
   * Series, most recently active first, with their latest revision, its findings by severity and
   * the state of the replies about it. `search` matches title, author, lineage or list (substring,
   * ASCII case-insensitive), and finds series by Message-ID, file path and syscall (`found`).
   */
  listSeries(q: SeriesQuery = {}): SeriesPage {
    const limit = intArg('limit', q.limit ?? 50, 1, 1000);
    const offset = intArg('offset', q.offset ?? 0, 0, Number.MAX_SAFE_INTEGER);
    const search = q.search?.trim() ? likePattern(q.search.trim()) : null;
    if (q.state !== undefined && !REVISION_STATES.includes(q.state))
      throw new StoreError(`unknown revision state ${String(q.state)}`);
    const list = q.list === undefined ? null : listKey(q.list);
    const conds: string[] = [];
    const params: Record<string, string> = {};
    if (search) {
      conds.push(`(s.title LIKE :search ESCAPE '\\' OR s.author LIKE :search ESCAPE '\\'
           OR s.lineage LIKE :search ESCAPE '\\' OR s.list_id LIKE :search ESCAPE '\\'
           OR s.id IN (SELECT value FROM json_each(:found)))`);
      params.search = search;
      params.found = JSON.stringify(this.found(q.search?.trim() ?? ''));
    }
    if (q.list !== undefined) {
      conds.push('s.list_id = :list');
      params.list = list ?? '';
    }
    if (q.state !== undefined) {
      conds.push(
        '(SELECT r.state FROM revisions r WHERE r.series_id = s.id ORDER BY r.revision DESC LIMIT 1) = :state',
      );
      params.state = q.state;
    }
    const where = conds.length > 0 ? `WHERE ${conds.join(' AND ')}` : '';
    const countSql = this.store.db.prepare(`SELECT count(*) FROM series s ${where}`).pluck();
    const total = num(conds.length > 0 ? countSql.get(params) : countSql.get());
    const rows = this.store.db
      .prepare(
        `SELECT s.*,
           (SELECT r.id FROM revisions r WHERE r.series_id = s.id ORDER BY r.revision DESC LIMIT 1) AS latest_id,
           (SELECT count(*) FROM revisions r WHERE r.series_id = s.id) AS revision_count,
           EXISTS (SELECT 1 FROM mutes m WHERE (m.scope = 'series' AND m.scope_key = CAST(s.id AS TEXT))
                                            OR (m.scope = 'list' AND m.scope_key = s.list_id)) AS muted
         FROM series s ${where}
         ORDER BY s.updated_at DESC, s.id DESC LIMIT :limit OFFSET :offset`,
      )
      .all({ ...params, limit, offset }) as Row[];
    const bySeverity = cached(
      this.store.db,
      'SELECT severity, count(*) AS n FROM findings WHERE revision_id = ? GROUP BY severity',
    );
    const items = rows.map((r): SeriesSummary => {
      const latest = r.latest_id === null ? null : this.store.series.revision(num(r.latest_id));
      const findings: Record<Severity, number> = { error: 0, warning: 0, info: 0 };
      const replies: Record<OutboxState, number> = { pending: 0, sending: 0, sent: 0, failed: 0 };
      let dryRun = 0;
      if (latest) {
        for (const c of bySeverity.all(latest.id) as Row[]) findings[str(c.severity) as Severity] = num(c.n);
        const { dryRun: d, ...byState } = this.replyCounts(latest.id);
        Object.assign(replies, byState);
        dryRun = d;
      }
      const replyStatus: ReplyStatus =
        replies.failed > 0
          ? 'failed'
          : replies.sending > 0
            ? 'sending'
            : replies.pending > 0
              ? 'pending'
              : replies.sent > 0
                ? 'sent'
                : 'none';
      return {
        series: seriesRow(r),
        latest,
        postedAt: latest ? this.postedAt(latest) : null,
        revisions: num(r.revision_count),
        findings,
        replies,
        replyStatus,
        dryRun,
        muted: num(r.muted) === 1,
      };
    });
    return { total, items };
  }

  /** The outbox entries about a revision by state; `dryRun`: sent ones that were dry-run files. */
  replyCounts(revisionId: number): ReplyCounts {
    const out: ReplyCounts = { pending: 0, sending: 0, sent: 0, failed: 0, dryRun: 0 };
    const rows = cached(
      this.store.db,
      `SELECT state, count(*) AS n, sum(state = 'sent' AND sent_info LIKE 'dry-run:%') AS dry
         FROM outbox WHERE revision_id = ? GROUP BY state`,
    ).all(revisionId) as Row[];
    for (const c of rows) {
      out[str(c.state) as OutboxState] = num(c.n);
      out.dryRun += num(c.dry ?? 0);
    }
    return out;
  }

  /** The lists series were posted to (null: none known), with how many series each. */
  seriesLists(): { listId: string | null; series: number }[] {
    const rows = this.store.db
      .prepare('SELECT list_id, count(*) AS n FROM series GROUP BY list_id ORDER BY list_id IS NULL, list_id')
      .all() as Row[];
    return rows.map((r) => ({ listId: strOrNull(r.list_id), series: num(r.n) }));
  }

  /**
   * Per check: how often it fired and what became of each finding (a fingerprint in a series):
   * ignored by a command, fixed (absent from the series' latest reviewed revision), or still open
   * there. Only reviewed revisions count. Checks that never fired are not listed.
   */
  checkFigures(): CheckFigures[] {
    const rows = this.store.db
      .prepare(
        `${LATEST_REVIEWED}
         SELECT r.series_id, s.list_id, f.check_id, f.fingerprint, max(f.subject) AS subject,
           max(CASE f.severity WHEN 'error' THEN 3 WHEN 'warning' THEN 2 ELSE 1 END) AS sev,
           count(*) AS reports, max(r.revision) = l.revision AS open
         FROM findings f JOIN revisions r ON r.id = f.revision_id JOIN series s ON s.id = r.series_id
           JOIN latest l ON l.series_id = r.series_id
         WHERE r.reviewed_at IS NOT NULL
         GROUP BY r.series_id, f.check_id, f.fingerprint`,
      )
      .all() as Row[];
    const ignores = this.store.policy.ignores();
    const ignored = (check: string, subject: string | null, seriesId: number, listId: string | null) =>
      ignores.some(
        (i) =>
          i.check === check &&
          (i.subject === null || i.subject === subject) &&
          (i.scope.kind === 'global' ||
            (i.scope.kind === 'series' && i.scope.seriesId === seriesId) ||
            (i.scope.kind === 'list' && i.scope.listId === listId)),
      );
    const byCheck = new Map<string, CheckFigures>();
    const severityOf: Record<number, Severity> = { 3: 'error', 2: 'warning', 1: 'info' };
    for (const r of rows) {
      const check = str(r.check_id);
      let c = byCheck.get(check);
      if (!c) {
        c = {
          check,
          findings: 0,
          reports: 0,
          bySeverity: { error: 0, warning: 0, info: 0 },
          fixed: 0,
          ignored: 0,
          open: 0,
        };
        byCheck.set(check, c);
      }
      c.findings++;
      c.reports += num(r.reports);
      c.bySeverity[severityOf[num(r.sev)] ?? 'info']++;
      if (num(r.open) === 1) c.open++;
      else if (ignored(check, strOrNull(r.subject), num(r.series_id), strOrNull(r.list_id))) c.ignored++;
      else c.fixed++;
    }
    return [...byCheck.values()].sort((a, b) => b.findings - a.findings || a.check.localeCompare(b.check));
  }

  /**
   * Findings of reviewed revisions per day (UTC) and severity, oldest first. The day is the one the
   * revision was posted (its mails' own Date, postedAt), so a year of mail read in one go still
   * spreads over its year; the day it arrived when no Date is known.
   */
  findingsPerDay(): FindingsPerDay[] {
    const rows = this.store.db
      .prepare(
        `SELECT r.id, r.received_at, r.cover_message_id, f.severity, count(*) AS n
         FROM findings f JOIN revisions r ON r.id = f.revision_id
         WHERE r.reviewed_at IS NOT NULL GROUP BY r.id, f.severity`,
      )
      .all() as Row[];
    const patches = cached(
      this.store.db,
      'SELECT message_id FROM revision_patches WHERE revision_id = ? ORDER BY position',
    ).pluck();
    const days = new Map<number, string>();
    const counts = new Map<string, number>();
    for (const r of rows) {
      const id = num(r.id);
      let day = days.get(id);
      if (day === undefined) {
        const posted = this.postedOf(strOrNull(r.cover_message_id), () => patches.all(id) as string[]);
        day = (posted ?? str(r.received_at)).slice(0, 10);
        days.set(id, day);
      }
      const key = `${day}\u0000${str(r.severity)}`;
      counts.set(key, (counts.get(key) ?? 0) + num(r.n));
    }
    return [...counts]
      .map(([key, count]) => {
        const [day, severity] = key.split('\u0000') as [string, Severity];
        return { day, severity, count };
      })
      .sort((a, b) => a.day.localeCompare(b.day) || a.severity.localeCompare(b.severity));
  }

  /** The Date of a kept mail (ISO); null when the mail is not kept or has no readable Date. */
  mailDate(messageId: string): string | null {
    return this.mails.head(messageId)?.date ?? null;
  }

  /**
   * When a revision was posted, by its mails' own Date: the cover letter's, else the latest of its
   * patches' (a partial reroll keeps older patches). Null when none of its mails says.
   */
  postedAt(rev: Pick<RevisionRecord, 'coverMessageId' | 'patchMessageIds'>): string | null {
    return this.postedOf(rev.coverMessageId, () => rev.patchMessageIds);
  }

  /** postedAt, asking for the patches only when the cover letter does not say. */
  private postedOf(cover: string | null, patches: () => readonly string[]): string | null {
    const c = cover === null ? null : this.mailDate(cover);
    if (c !== null) return c;
    let latest: string | null = null;
    for (const p of patches()) {
      const d = this.mailDate(p);
      if (d !== null && (latest === null || d > latest)) latest = d;
    }
    return latest;
  }

  /**
   * Findings about a spec still present in the latest reviewed revision of their series, grouped by
   * spec, series and check: the drift still open.
   */
  openFindingsBySpec(): OpenFinding[] {
    const rows = this.store.db
      .prepare(
        `${LATEST_REVIEWED}
         SELECT f.spec, f.check_id, min(CASE f.severity WHEN 'error' THEN 1 WHEN 'warning' THEN 2 ELSE 3 END) AS sev,
           r.series_id, s.title, r.revision, count(*) AS n
         FROM latest l JOIN revisions r ON r.series_id = l.series_id AND r.revision = l.revision
           JOIN findings f ON f.revision_id = r.id JOIN series s ON s.id = r.series_id
         WHERE f.spec IS NOT NULL
         GROUP BY f.spec, r.series_id, f.check_id
         ORDER BY f.spec, r.series_id, f.check_id`,
      )
      .all() as Row[];
    const sev: Record<number, Severity> = { 1: 'error', 2: 'warning', 3: 'info' };
    return rows.map((r) => ({
      spec: str(r.spec),
      check: str(r.check_id),
      severity: sev[num(r.sev)] ?? 'info',
      seriesId: num(r.series_id),
      title: str(r.title),
      revision: num(r.revision),
      count: num(r.n),
    }));
  }
  /** The series of the revisions whose cover letter or patch this message is. */
  private seriesOfRevisionMail(messageId: string): number[] {
    return cached(
      this.store.db,
      `SELECT series_id FROM revisions WHERE cover_message_id = :m
       UNION SELECT r.series_id FROM revision_patches p JOIN revisions r ON r.id = p.revision_id
         WHERE p.message_id = :m`,
    )
      .pluck()
      .all({ m: messageId }) as number[];
  }

  /**
   * The series a search finds beyond its text: by Message-ID (a cover letter, a patch, a reply in
   * the thread, one of our reviews or an answer to it), by file path (a file its patches touch or
   * a finding is in) and by syscall (a finding about its spec, or a patch whose diff touches its
   * SYSCALL_DEFINE or spec). A finding's subject (`EINVAL`, `param:len`) is found as written.
   */
  private found(q: string): number[] {
    const terms = searchTerms(q);
    const ids = new Set<number>();
    const db = this.store.db;
    const add = (xs: readonly unknown[]) => {
      for (const x of xs) ids.add(num(x));
    };
    add(
      db
        .prepare(
          'SELECT DISTINCT r.series_id FROM findings f JOIN revisions r ON r.id = f.revision_id WHERE f.subject = ?',
        )
        .pluck()
        .all(q),
    );
    if (terms.messageId !== null) {
      const m = terms.messageId;
      add(this.seriesOfRevisionMail(m));
      add(
        db
          .prepare(
            `SELECT r.series_id FROM follow_ups u JOIN revisions r ON r.id = u.revision_id WHERE u.message_id = :m
             UNION SELECT r.series_id FROM outbox o JOIN revisions r ON r.id = o.revision_id
               WHERE json_extract(o.mail, '$.messageId') = :m`,
          )
          .pluck()
          .all({ m }),
      );
      // a reply kept raw: the series of the nearest revision mail it answers
      for (const a of this.mails.head(m)?.ancestors ?? []) {
        const s = this.seriesOfRevisionMail(a);
        add(s);
        if (s.length > 0) break;
      }
      return [...ids];
    }
    if (terms.path === null && terms.syscall === null) return [...ids];
    if (terms.path !== null) {
      const dir = terms.path.replace(/\/+$/, '');
      add(
        db
          .prepare(
            `SELECT DISTINCT r.series_id FROM findings f JOIN revisions r ON r.id = f.revision_id
             WHERE f.path = :p OR f.path LIKE :under ESCAPE '\\' OR f.path LIKE :tail ESCAPE '\\'`,
          )
          .pluck()
          .all({ p: dir, under: `${escapeLike(dir)}/%`, tail: `%/${escapeLike(dir)}` }),
      );
    }
    if (terms.syscall !== null) {
      const name = terms.syscall;
      add(
        db
          .prepare(
            `SELECT DISTINCT r.series_id FROM findings f JOIN revisions r ON r.id = f.revision_id
             WHERE f.spec IN (:a, :b, :c)`,
          )
          .pluck()
          .all({ a: name, b: `sys_${name}`, c: `compat_sys_${name}` }),
      );
    }
    const path = terms.path;
    const syscall = terms.syscall;
    for (const [seriesId, t] of this.mails.seriesTouches())
      if (
        (path !== null && t.files.some((f) => pathMatches(f, path))) ||
        (syscall !== null && t.syscalls.includes(syscall))
      )
        ids.add(seriesId);
    return [...ids];
  }

  /**
   * The people's replies in a revision's thread, oldest first: each kept mail that answers one of
   * the revision's mails (directly or under another reply; not a mail of another revision, not a
   * patch, not automated, not ours), with the review trailers of its body; and the answers to our
   * reviews of it (follow-ups, whose mail is not kept: no Date, no trailers).
   */
  humanReplies(rev: Pick<RevisionRecord, 'id' | 'coverMessageId' | 'patchMessageIds'>): HumanReply[] {
    const own = new Set([...(rev.coverMessageId ? [rev.coverMessageId] : []), ...rev.patchMessageIds]);
    const thread = new Map(this.mails.threadOf([...own]).map((h) => [h.messageId as string, h]));
    const isRevisionMail = (m: string) => this.seriesOfRevisionMail(m).length > 0;
    const answers = new Map<string, string | null>();
    const answer = (h: MailHead, id: string): string | null => {
      if (answers.has(id)) return answers.get(id) ?? null;
      answers.set(id, null); // a loop in References answers nothing
      let about: string | null = null;
      if (!isRevisionMail(id))
        for (const a of h.ancestors) {
          if (own.has(a)) about = a;
          else if (isRevisionMail(a)) break;
          else {
            const up = thread.get(a);
            if (!up) continue;
            about = answer(up, a);
          }
          break;
        }
      answers.set(id, about);
      return about;
    };
    const out = new Map<string, HumanReply>();
    for (const [id, h] of thread) {
      const about = answer(h, id);
      if (about === null) continue;
      const mail = this.mails.mail(id);
      if (!mail) continue;
      // our own mail carries both (app/mail/policy.ts withSafetyHeaders), and so does a CI bot's
      if (mail.autoSubmitted !== null && autoSubmittedKeyword(mail.autoSubmitted) !== 'no') continue;
      if (mail.mailer !== null && /^\s*kapi-review\b/i.test(mail.mailer)) continue;
      out.set(id, {
        messageId: id,
        from: mail.from ? (formatAddress(mail.from) ?? mail.from.address) : 'unknown',
        subject: mail.subject || null,
        date: mail.date,
        about,
        trailers: parseReviewTrailers(mail.body).value,
        followUp: null,
        kept: true,
      });
    }
    for (const f of this.store.series.followUps(rev.id)) {
      if (out.has(f.messageId)) continue;
      const mail = this.mails.mail(f.messageId);
      out.set(f.messageId, {
        messageId: f.messageId,
        from: mail?.from ? (formatAddress(mail.from) ?? f.from) : f.from,
        subject: mail?.subject || null,
        date: mail?.date ?? null,
        about: null,
        trailers: mail ? parseReviewTrailers(mail.body).value : [],
        followUp: { receivedAt: f.recordedAt, command: f.commandText },
        kept: mail !== null,
      });
    }
    const when = (r: HumanReply) => r.date ?? r.followUp?.receivedAt ?? '';
    return [...out.values()].sort(
      (a, b) => when(a).localeCompare(when(b)) || a.messageId.localeCompare(b.messageId),
    );
  }
}
