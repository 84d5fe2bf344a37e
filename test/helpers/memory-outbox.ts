/**
 * A test double of our own Outbox contract (app/mail/types.ts), written to its documented
 * semantics so the sender can be tested before the SQLite store exists; the store must pass the
 * same sender suite (test/helpers/sender-suite.ts).
 *
 * - enqueue dedupes on `mail.key` and returns the existing entry unchanged;
 * - claim takes pending entries only, oldest first, and marks them 'sending';
 * - markSent / markFailed / requeue apply to entries in 'sending' only (anything else is a sender
 *   bug, so the double throws); markFailed counts an attempt, the others do not;
 * - sentSince counts entries in 'sent' by the time markSent ran (the injected clock), for a list
 *   when the list's address is among To or Cc (without case).
 *
 * FileOutbox keeps the same state in a JSON file, written with fsync and an atomic rename after
 * every change, so a SIGKILLed child process leaves exactly what it had recorded.
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import type { Outbox, OutboxEntry } from '../../app/mail/types.js';
import { addressOf } from '../../parsers/headers.js';
import type { OutgoingMail } from '../../reporters/mail-types.js';

interface Row {
  entry: OutboxEntry;
  sentAt: string | null;
}

interface State {
  nextId: number;
  rows: Row[];
}

export class MemoryOutbox implements Outbox {
  protected state: State = { nextId: 1, rows: [] };

  constructor(protected readonly now: () => Date = () => new Date()) {}

  /** Called after every change (FileOutbox writes the file). */
  protected changed(): void {}

  private row(id: number, expected: OutboxEntry['state'] | null = 'sending'): Row {
    const row = this.state.rows.find((r) => r.entry.id === id);
    if (!row) throw new Error(`outbox: no entry ${id}`);
    if (expected !== null && row.entry.state !== expected)
      throw new Error(`outbox: entry ${id} is '${row.entry.state}', not '${expected}'`);
    return row;
  }

  enqueue(mail: OutgoingMail): OutboxEntry {
    const existing = this.state.rows.find((r) => r.entry.mail.key === mail.key);
    if (existing) return structuredClone(existing.entry);
    const entry: OutboxEntry = {
      id: this.state.nextId++,
      mail: structuredClone(mail),
      state: 'pending',
      attempts: 0,
      lastError: null,
      sentInfo: null,
    };
    this.state.rows.push({ entry, sentAt: null });
    this.changed();
    return structuredClone(entry);
  }

  claim(limit: number): OutboxEntry[] {
    const rows = this.state.rows
      .filter((r) => r.entry.state === 'pending')
      .sort((a, b) => a.entry.id - b.entry.id)
      .slice(0, Math.max(0, limit));
    for (const r of rows) r.entry.state = 'sending';
    if (rows.length) this.changed();
    return rows.map((r) => structuredClone(r.entry));
  }

  markSent(id: number, info: string): void {
    const row = this.row(id);
    row.entry.state = 'sent';
    row.entry.sentInfo = info;
    row.sentAt = this.now().toISOString();
    this.changed();
  }

  markFailed(id: number, error: string, retry: boolean): void {
    const row = this.row(id);
    row.entry.attempts += 1;
    row.entry.lastError = error;
    row.entry.state = retry ? 'pending' : 'failed';
    this.changed();
  }

  stuck(): OutboxEntry[] {
    return this.state.rows.filter((r) => r.entry.state === 'sending').map((r) => structuredClone(r.entry));
  }

  requeue(id: number): void {
    this.row(id).entry.state = 'pending';
    this.changed();
  }

  sentSince(isoTime: string, list?: string): number {
    const since = Date.parse(isoTime);
    const wanted = list === undefined ? null : addressOf(list);
    return this.state.rows.filter(
      (r) =>
        r.entry.state === 'sent' &&
        r.sentAt !== null &&
        Date.parse(r.sentAt) >= since &&
        (wanted === null || [...r.entry.mail.to, ...r.entry.mail.cc].some((a) => addressOf(a) === wanted)),
    ).length;
  }

  /** Test inspection: every entry, by id. */
  all(): OutboxEntry[] {
    return this.state.rows.map((r) => structuredClone(r.entry)).sort((a, b) => a.id - b.id);
  }
}

export class FileOutbox extends MemoryOutbox {
  constructor(
    private readonly file: string,
    now: () => Date = () => new Date(),
  ) {
    super(now);
    mkdirSync(dirname(file), { recursive: true });
    if (existsSync(file)) this.state = JSON.parse(readFileSync(file, 'utf8')) as State;
  }

  protected override changed(): void {
    const tmp = `${this.file}.tmp`;
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, JSON.stringify(this.state));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.file);
    const dir = openSync(dirname(this.file), 'r');
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
  }
}

/** The entry point the crash tests' child process uses (see sender-suite.ts). */
export function openOutbox(dir: string, now?: () => Date): FileOutbox {
  return new FileOutbox(join(dir, 'outbox.json'), now);
}
