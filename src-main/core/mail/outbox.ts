/**
 * The outbox: every outgoing message is stored (raw MIME with its fixed Message-ID) before the
 * first attempt, so a failure never loses it. Failed items keep the Russian error and are
 * retried with backoff when the failure is temporary (a 5xx reply waits for the user); an item
 * is claimed (`queued|failed → sending`) in one UPDATE before it goes out, so it is never sent
 * twice concurrently; once the server took it, it is marked `sent` at once and a copy goes to
 * Sent (unless the server already put one there). Recipients the server refused while taking
 * the message for the others stay in the item's envelope (and the item in the outbox, with the
 * error): a retry goes to them only.
 *
 * While an item is `sending`, `handed_over` tells what to do if the app dies mid-attempt: 0 (the
 * message has not all gone to the server yet, so the server cannot have it) — send it again at
 * the next start; 1 (all of it went out, the server may have taken it) — do not risk a
 * duplicate, tell the user it may have been sent.
 *
 * A `scheduled` item waits for `next_attempt_at` (the «Отмена отправки» window, or the time chosen
 * with «Отправить позже»): the claim takes it only once that time has come, and the same timer
 * that drives the retries wakes for it, so it also goes out at the next start if the app was
 * closed at its time. Until claimed it can be taken back (one DELETE … WHERE status =
 * 'scheduled', so a racing claim and cancel never both win), with the compose input kept in
 * `draft_json` to become a draft again.
 */
import type Database from 'better-sqlite3';
import type { MailOutboxItem, MailOutboxStatus, MailSendNotice } from '../../../src-shared/ipc/mail';
import { describeMailError, describeRejectedRecipients, retryByItself, ruLine, MailError, type RejectedRecipient } from './errors-ru';
import { restampDate } from './compose';

/**
 * Longest the timer sleeps at once: setTimeout fires at once past ~24.8 days, and a timer armed
 * before the computer slept may wake late; re-reading the due time hourly keeps both right.
 */
const MAX_TIMER_MS = 60 * 60_000;

export interface OutboxRow {
  id: number;
  account_id: number;
  message_id_header: string;
  subject: string;
  to_json: string;
  envelope_json: string;
  raw: Buffer;
  status: MailOutboxStatus;
  attempts: number;
  last_error: string | null;
  next_attempt_at: number | null;
  created_at: string;
  sent_at: string | null;
  sent_copy_done: number;
  source_message_id: number | null;
  mode: string;
  user_scheduled: number;
}

export interface SendOutcome {
  /** Recipients the server refused while it took the message for the others. */
  rejected?: RejectedRecipient[];
}

export interface OutboxDeps {
  /**
   * Sends raw MIME over SMTP for the account (throws on failure; resolves once the server took
   * it). Calls `dataSent` when the whole message has been handed to the connection.
   */
  send(accountId: number, envelope: { from: string; to: string[] }, raw: Buffer, dataSent: () => void): Promise<SendOutcome | void>;
  /** Puts a copy into Sent (idempotent by Message-ID). */
  saveSentCopy(accountId: number, raw: Buffer, messageIdHeader: string): Promise<void>;
  /** Called after a reply/forward went out (marks the original answered). */
  afterSent?(row: OutboxRow): void;
  emit(item: MailOutboxItem): void;
  /**
   * Told once per message: its first failure, and its delivery after one (the outbox page
   * shows every attempt; the user hears of a message only when its fate changes).
   */
  notice?(n: MailSendNotice): void;
  /** Sending has worked for the account outside the outbox (a passed check or test mail). */
  smtpWorked?(accountId: number): boolean;
  smtpServer(accountId: number): { host: string; port: number } | undefined;
  initialBackoffMs: number;
  maxBackoffMs: number;
}

export interface EnqueueArgs {
  accountId: number;
  messageIdHeader: string;
  subject: string;
  to: string[];
  envelope: { from: string; to: string[] };
  raw: Buffer;
  sourceMessageId: number | null;
  mode: string;
  /** Keep it `scheduled` until this time (epoch ms); absent: send now. */
  sendAt?: number | null;
  /** The user chose `sendAt` («Отправить позже»), rather than the undo window. */
  userScheduled?: boolean;
  /** The compose input, for turning it back into a draft while it is scheduled. */
  draftJson?: string | null;
}

/** What a cancelled scheduled item leaves behind to become a draft. */
export interface TakenBack {
  accountId: number;
  subject: string;
  to: string[];
  draftJson: string | null;
}

function view(r: Omit<OutboxRow, 'raw'>): MailOutboxItem {
  return {
    id: r.id,
    accountId: r.account_id,
    subject: r.subject,
    to: JSON.parse(r.to_json) as string[],
    createdAt: r.created_at,
    status: r.status,
    attempts: r.attempts,
    lastError: r.last_error,
    nextAttemptAt: r.next_attempt_at ? new Date(r.next_attempt_at).toISOString() : null,
    sentAt: r.sent_at,
    sendAt: r.status === 'scheduled' && r.next_attempt_at ? new Date(r.next_attempt_at).toISOString() : null,
    userScheduled: r.user_scheduled === 1,
  };
}

const COLS = `id, account_id, message_id_header, subject, to_json, envelope_json, status, attempts, last_error,
  next_attempt_at, created_at, sent_at, sent_copy_done, source_message_id, mode, user_scheduled`;

export class Outbox {
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private stopped = false;
  private readonly inFlight = new Map<number, Promise<MailOutboxItem>>();

  constructor(
    private readonly db: Database.Database,
    private readonly deps: OutboxDeps,
  ) {}

  /**
   * After a crash an item may be left `sending`: it becomes `failed` and is retried — unless the
   * whole message had already gone to the server, which may have taken it: then the user decides.
   */
  start(): void {
    this.stopped = false;
    this.db
      .prepare(`UPDATE mail_outbox SET status = 'failed', next_attempt_at = NULL, last_error = ? WHERE status = 'sending' AND handed_over = 1`)
      .run(
        'Программа закрылась, не дождавшись ответа почтового сервера: письмо, возможно, уже отправлено. ' +
          'Уточните у получателя; если письмо не дошло, нажмите «Отправить сейчас».',
      );
    this.db
      .prepare(
        `UPDATE mail_outbox SET status = 'failed', next_attempt_at = ?, last_error = COALESCE(last_error, ?)
         WHERE status = 'sending'`,
      )
      .run(Date.now(), 'Отправка была прервана закрытием программы; письмо будет отправлено повторно.');
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  async drain(): Promise<void> {
    await Promise.allSettled([...this.inFlight.values()]);
  }

  enqueue(a: EnqueueArgs): number {
    const later = a.sendAt != null;
    const r = this.db
      .prepare(
        `INSERT INTO mail_outbox (account_id, message_id_header, subject, to_json, envelope_json, raw, status, attempts,
           next_attempt_at, created_at, source_message_id, mode, user_scheduled, draft_json)
         VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        a.accountId,
        a.messageIdHeader,
        a.subject,
        JSON.stringify(a.to),
        JSON.stringify(a.envelope),
        a.raw,
        later ? 'scheduled' : 'queued',
        later ? a.sendAt : Date.now(),
        new Date().toISOString(),
        a.sourceMessageId,
        a.mode,
        later && a.userScheduled ? 1 : 0,
        later ? (a.draftJson ?? null) : null,
      );
    const id = Number(r.lastInsertRowid);
    this.emit(id);
    if (later) this.schedule();
    return id;
  }

  /**
   * «Отменить»: removes a `scheduled` item in one statement, so it either wins over the claim or
   * loses to it, never both. Throws when it is too late (the sending has begun or is done).
   */
  takeBack(id: number): TakenBack {
    const r = this.db
      .prepare(`DELETE FROM mail_outbox WHERE id = ? AND status = 'scheduled' RETURNING account_id, subject, to_json, draft_json`)
      .get(id) as { account_id: number; subject: string; to_json: string; draft_json: string | null } | undefined;
    if (!r) {
      const cur = this.row(id);
      if (!cur) throw new MailError('mail-no-outbox', 'Письмо в исходящих не найдено.');
      if (cur.status === 'sending' || cur.status === 'sent' || cur.sent_at) throw new MailError('mail-too-late', 'Письмо уже отправлено.');
      throw new MailError('mail-too-late', 'Письмо уже отправляется: отменить нельзя.', 'Его можно удалить в «Исходящих», пока оно не отправлено.');
    }
    this.schedule();
    return { accountId: r.account_id, subject: r.subject, to: JSON.parse(r.to_json) as string[], draftJson: r.draft_json };
  }

  /** «Отправить сейчас» for a scheduled item (a waiting or failed one is retried). */
  sendNow(id: number): Promise<MailOutboxItem> {
    const r = this.db.prepare(`UPDATE mail_outbox SET status = 'queued', next_attempt_at = ? WHERE id = ? AND status = 'scheduled'`).run(Date.now(), id);
    if (r.changes === 0) {
      const cur = this.row(id);
      if (!cur) throw new MailError('mail-no-outbox', 'Письмо в исходящих не найдено.');
      if (cur.status === 'failed' || cur.status === 'queued') this.db.prepare('UPDATE mail_outbox SET next_attempt_at = ? WHERE id = ?').run(Date.now(), id);
    }
    return this.attempt(id);
  }

  /** The clock may have jumped (sleep, resume): re-read what is due now. */
  wake(): void {
    this.schedule();
  }

  row(id: number): Omit<OutboxRow, 'raw'> | undefined {
    return this.db.prepare(`SELECT ${COLS} FROM mail_outbox WHERE id = ?`).get(id) as Omit<OutboxRow, 'raw'> | undefined;
  }

  item(id: number): MailOutboxItem | undefined {
    const r = this.row(id);
    return r ? view(r) : undefined;
  }

  list(includeSent: boolean): MailOutboxItem[] {
    const rows = this.db
      .prepare(`SELECT ${COLS} FROM mail_outbox ${includeSent ? '' : "WHERE status != 'sent'"} ORDER BY id DESC LIMIT 500`)
      .all() as Omit<OutboxRow, 'raw'>[];
    return rows.map(view);
  }

  retry(id: number): void {
    const r = this.row(id);
    if (!r) throw new MailError('mail-no-outbox', 'Письмо в исходящих не найдено.');
    if (r.status === 'failed' || r.status === 'queued') {
      this.db.prepare('UPDATE mail_outbox SET next_attempt_at = ? WHERE id = ?').run(Date.now(), id);
      void this.attempt(id);
    }
  }

  delete(id: number): void {
    const r = this.row(id);
    if (!r) return;
    if (r.status === 'sending') throw new MailError('mail-outbox-busy', 'Письмо сейчас отправляется — удалить его можно после попытки.');
    this.db.prepare('DELETE FROM mail_outbox WHERE id = ?').run(id);
  }

  /**
   * The account's settings changed (a corrected password, port or encryption): what failed
   * before reaching the server gets one more try now. Items the server took, in part or
   * perhaps whole (`handed_over`), are left to the user: a retry could deliver them twice.
   */
  retryAccount(accountId: number): void {
    const r = this.db
      .prepare(`UPDATE mail_outbox SET next_attempt_at = ? WHERE account_id = ? AND status = 'failed' AND handed_over = 0`)
      .run(Date.now(), accountId);
    if (r.changes) this.schedule();
  }

  deleteAccount(accountId: number): void {
    this.db.prepare("DELETE FROM mail_outbox WHERE account_id = ? AND status != 'sending'").run(accountId);
  }

  private emit(id: number): void {
    const it = this.item(id);
    if (it) this.deps.emit(it);
  }

  /** One attempt to send an item now (if it is waiting); resolves with its state afterwards. */
  attempt(id: number): Promise<MailOutboxItem> {
    const running = this.inFlight.get(id);
    if (running) return running;
    const p = this.doAttempt(id).finally(() => {
      this.inFlight.delete(id);
      this.schedule();
    });
    this.inFlight.set(id, p);
    return p;
  }

  private async doAttempt(id: number): Promise<MailOutboxItem> {
    const claimed = this.db
      .prepare(
        `UPDATE mail_outbox SET status = 'sending', attempts = attempts + 1, handed_over = 0
         WHERE id = ? AND (status IN ('queued', 'failed') OR (status = 'scheduled' AND next_attempt_at <= ?))`,
      )
      .run(id, Date.now());
    if (claimed.changes !== 1) {
      const cur = this.item(id);
      if (!cur) throw new MailError('mail-no-outbox', 'Письмо в исходящих не найдено.');
      if (cur.sentAt) await this.finishCopy(id);
      return this.item(id) ?? cur;
    }
    this.emit(id);
    const row = this.db.prepare('SELECT * FROM mail_outbox WHERE id = ?').get(id) as OutboxRow;
    if (row.user_scheduled && row.attempts === 1) {
      // Sent later than written: dated when it goes out, as recipients expect; kept for retries.
      row.raw = restampDate(row.raw, new Date());
      this.db.prepare('UPDATE mail_outbox SET raw = ? WHERE id = ?').run(row.raw, id);
    }
    const envelope = JSON.parse(row.envelope_json) as { from: string; to: string[] };
    // An error kept from before this attempt: the user has already been told it failed.
    const toldFailed = row.last_error !== null;
    const dataSent = () => {
      try {
        this.db.prepare(`UPDATE mail_outbox SET handed_over = 1 WHERE id = ? AND status = 'sending'`).run(id);
      } catch {
        /* the database is already closed (the app is quitting): nothing more can be recorded */
      }
    };
    let outcome: SendOutcome | void;
    try {
      outcome = await this.deps.send(row.account_id, envelope, row.raw, dataSent);
    } catch (e) {
      const d = describeMailError(e, { proto: 'smtp', ...this.deps.smtpServer(row.account_id), workedBefore: this.smtpWorked(row.account_id, id) });
      const auto = retryByItself(e, d);
      this.db
        .prepare(`UPDATE mail_outbox SET status = 'failed', last_error = ?, next_attempt_at = ? WHERE id = ?`)
        .run(ruLine(d), auto ? this.retryAt(row.attempts) : null, id);
      this.emit(id);
      if (!toldFailed) this.notice(id, 'failed', d.message);
      return this.item(id)!;
    }
    const now = new Date().toISOString();
    const rejected = outcome?.rejected ?? [];
    const rest = [...new Set(rejected.map((r) => envelope.to.find((a) => a.toLowerCase() === r.address.toLowerCase()) ?? r.address))];
    if (rest.length) {
      // Taken for the others, who must never get it again: only the refused stay in the envelope.
      const d = describeRejectedRecipients(rejected);
      this.db
        .prepare(
          `UPDATE mail_outbox SET status = 'failed', envelope_json = ?, last_error = ?, next_attempt_at = ?, sent_at = COALESCE(sent_at, ?) WHERE id = ?`,
        )
        .run(JSON.stringify({ ...envelope, to: rest }), ruLine(d), d.transient ? this.retryAt(row.attempts) : null, now, id);
      if (!toldFailed) this.notice(id, 'failed', d.message);
    } else {
      // Accepted by the server: from here on it must never be sent again.
      this.db
        .prepare(`UPDATE mail_outbox SET status = 'sent', sent_at = ?, last_error = NULL, next_attempt_at = NULL, draft_json = NULL WHERE id = ?`)
        .run(now, id);
      if (toldFailed) this.notice(id, 'sentAfterFailure', null);
    }
    this.emit(id);
    try {
      this.deps.afterSent?.(row);
    } catch {
      /* marking the original answered is a nicety */
    }
    await this.finishCopy(id);
    return this.item(id)!;
  }

  /**
   * Whether sending has worked for the account before: some other message went out, or a check
   * passed. Then a connection failure is an outage, not a setting to fix.
   */
  private smtpWorked(accountId: number, exceptId: number): boolean {
    const r = this.db.prepare('SELECT 1 FROM mail_outbox WHERE account_id = ? AND id != ? AND sent_at IS NOT NULL LIMIT 1').get(accountId, exceptId);
    if (r) return true;
    try {
      return this.deps.smtpWorked?.(accountId) ?? false;
    } catch {
      return false;
    }
  }

  private notice(id: number, kind: MailSendNotice['kind'], reason: string | null): void {
    const item = this.item(id);
    if (!item || !this.deps.notice) return;
    try {
      this.deps.notice({ kind, item, reason, willRetry: kind === 'failed' && item.nextAttemptAt !== null });
    } catch {
      /* a listener's failure must not undo the send's bookkeeping */
    }
  }

  /** When a failed item tries again by itself: backoff doubling per attempt, capped. */
  private retryAt(attempts: number): number {
    return Date.now() + Math.min(this.deps.initialBackoffMs * 2 ** Math.max(0, attempts - 1), this.deps.maxBackoffMs);
  }

  private async finishCopy(id: number): Promise<void> {
    const row = this.db.prepare('SELECT * FROM mail_outbox WHERE id = ?').get(id) as OutboxRow | undefined;
    // `sent_at` is set once anyone got the message (also when some recipients were refused).
    if (!row || !row.sent_at || row.sent_copy_done) return;
    try {
      await this.deps.saveSentCopy(row.account_id, row.raw, row.message_id_header);
      this.db.prepare('UPDATE mail_outbox SET sent_copy_done = 1 WHERE id = ?').run(id);
    } catch {
      // Retried by the scheduler (sent items whose copy is missing).
    }
  }

  /** Arms the timer for the earliest due item. */
  private schedule(): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const next = this.db
      .prepare(`SELECT MIN(next_attempt_at) AS t FROM mail_outbox WHERE status IN ('scheduled', 'queued', 'failed') AND next_attempt_at IS NOT NULL`)
      .get() as { t: number | null };
    const copies = this.db.prepare(`SELECT COUNT(*) AS n FROM mail_outbox WHERE sent_at IS NOT NULL AND sent_copy_done = 0`).get() as { n: number };
    let due = next.t;
    if (copies.n > 0) due = Math.min(due ?? Infinity, Date.now() + this.deps.maxBackoffMs);
    if (due === null || due === Infinity) return;
    this.timer = setTimeout(() => void this.tick(), Math.min(MAX_TIMER_MS, Math.max(0, due - Date.now())));
    this.timer.unref?.();
  }

  private async tick(): Promise<void> {
    if (this.running || this.stopped) return;
    this.running = true;
    try {
      const due = this.db
        .prepare(
          `SELECT id FROM mail_outbox WHERE status IN ('scheduled', 'queued', 'failed') AND next_attempt_at IS NOT NULL AND next_attempt_at <= ? ORDER BY id`,
        )
        .all(Date.now()) as { id: number }[];
      for (const { id } of due) await this.attempt(id);
      const copies = this.db.prepare(`SELECT id FROM mail_outbox WHERE sent_at IS NOT NULL AND sent_copy_done = 0`).all() as { id: number }[];
      for (const { id } of copies) await this.finishCopy(id);
    } finally {
      this.running = false;
      this.schedule();
    }
  }
}
