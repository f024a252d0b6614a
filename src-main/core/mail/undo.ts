/**
 * «Отменить» after «Удалить» (into Trash) and «Переместить»: the request that removed the
 * messages gets an opaque token naming the queued MOVEs (mail_ops rows) and what the messages
 * were (a snapshot of their rows). The token is good once, for UNDO_TTL_MS.
 *
 * Undone while the MOVE is still queued (offline, or not pushed yet): the queued change is
 * dropped and the rows go back as they were. Undone once the sync pushed it: the sync reported
 * the UIDs the server gave them in the target (UIDPLUS COPYUID), so they are moved back from
 * there and the rows go back under the UIDs the server gives them in the source again: the
 * source's sync finds them present and fetches nothing (no duplicate, no «new mail», no rules).
 * Deletions for good (EXPUNGE) are never undoable and get no token.
 */
import { randomBytes } from 'node:crypto';
import type { MessageSnapshot } from './store';

export const UNDO_TTL_MS = 60_000;

export interface UndoItem {
  /** The queued MOVE (mail_ops.id). */
  opId: number;
  accountId: number;
  /** Where the message was, and its UID there. */
  sourceFolderId: number;
  uid: number;
  snapshot: MessageSnapshot;
  /**
   * Set by the sync once the MOVE was pushed: where it went and under which UID (null when the
   * server did not tell); `refused`: the server refused the MOVE, the message stayed put.
   */
  pushed?: { destination: string; uidValidity: number | null; destUid: number | null } | { refused: true };
}

/** What the sync reports after pushing queued MOVEs: imapflow's answer, or false when refused. */
export interface MoveOutcome {
  destination: string;
  uidValidity?: bigint | number;
  uidMap?: Map<number, number>;
}

interface Entry {
  items: UndoItem[];
  expiresAt: number;
}

export class UndoRegistry {
  private readonly entries = new Map<string, Entry>();
  private readonly byOp = new Map<number, UndoItem>();

  constructor(
    private readonly ttlMs = UNDO_TTL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Registers undoable MOVEs; the token, or null when there is nothing to undo. */
  add(items: UndoItem[]): string | null {
    this.purge();
    if (!items.length) return null;
    const token = randomBytes(18).toString('base64url');
    this.entries.set(token, { items, expiresAt: this.now() + this.ttlMs });
    for (const it of items) this.byOp.set(it.opId, it);
    // The snapshots are let go once the time is up, whether or not anything else happens.
    setTimeout(() => this.purge(), this.ttlMs + 50).unref?.();
    return token;
  }

  /** The sync pushed these queued MOVEs (source UIDs as queued). */
  pushed(ops: { id: number; uid: number }[], outcome: MoveOutcome | false): void {
    for (const o of ops) {
      const it = this.byOp.get(o.id);
      if (!it) continue;
      if (outcome === false) {
        it.pushed = { refused: true };
        continue;
      }
      const uv = outcome.uidValidity;
      it.pushed = { destination: outcome.destination, uidValidity: uv === undefined ? null : Number(uv), destUid: outcome.uidMap?.get(o.uid) ?? null };
    }
  }

  /** Takes the token's MOVEs (single use); null when unknown, used or expired. */
  take(token: string): UndoItem[] | null {
    this.purge();
    const e = this.entries.get(token);
    if (!e) return null;
    this.forget(token, e);
    return e.items;
  }

  private forget(token: string, e: Entry): void {
    this.entries.delete(token);
    for (const it of e.items) if (this.byOp.get(it.opId) === it) this.byOp.delete(it.opId);
  }

  private purge(): void {
    const now = this.now();
    for (const [token, e] of this.entries) if (e.expiresAt <= now) this.forget(token, e);
  }

  /** Drops everything (the service stops). */
  clear(): void {
    this.entries.clear();
    this.byOp.clear();
  }
}
