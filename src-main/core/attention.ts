/**
 * What waits for the user: callers still to call back and unread mail in the inboxes.
 * The sidebar badges, the window title, the tray and the taskbar all show these figures, so
 * they are counted once, here, and pushed when they change. Both are re-read after a change
 * signal, debounced: a reconnect replaying thousands of call items costs one /api/missed.
 * The missed figure is not read here but reported (setMissed) by whoever reads /api/missed,
 * since the same read also gives the «Перезвонить» list: list and badge cannot disagree.
 */
import type { Attention } from '../../src-shared/ipc/app';

export interface AttentionOptions {
  /** Re-reads the missed calls now; the reader reports the figure with setMissed. */
  refreshMissed: () => Promise<void>;
  /** Unread messages in the accounts' inboxes; null without mail. */
  readUnreadMail: () => Promise<number | null>;
  emit: (a: Attention) => void;
  /** Quiet time after a change signal before re-reading (default 1 s). */
  debounceMs?: number;
  log: (message: string, e: unknown) => void;
}

export class AttentionTracker {
  private value: Attention = { missedCalls: 0, unreadMail: 0 };
  private timers: { missed: NodeJS.Timeout | null; mail: NodeJS.Timeout | null } = { missed: null, mail: null };
  private closed = false;

  constructor(private readonly o: AttentionOptions) {}

  current(): Attention {
    return this.value;
  }

  /** A call ended, a reminder was dismissed, a session started: re-read the missed calls soon. */
  missedChanged(): void {
    this.schedule('missed', () => this.o.refreshMissed());
  }

  /** Mail changed (new, read, moved, an account added or removed): re-read the unread count soon. */
  mailChanged(): void {
    this.schedule('mail', async () => {
      const n = await this.o.readUnreadMail();
      if (n !== null) this.set({ unreadMail: n });
    });
  }

  /** Callers with missed calls, counted from a read of /api/missed (groupMissed's rows). */
  setMissed(n: number): void {
    this.set({ missedCalls: n });
  }

  close(): void {
    this.closed = true;
    for (const t of Object.values(this.timers)) if (t) clearTimeout(t);
  }

  private schedule(kind: 'missed' | 'mail', read: () => Promise<void>): void {
    if (this.closed || this.timers[kind]) return;
    const t = setTimeout(() => {
      this.timers[kind] = null;
      read().catch((e: unknown) => this.o.log(`attention: reading ${kind} failed`, e));
    }, this.o.debounceMs ?? 1000);
    t.unref?.();
    this.timers[kind] = t;
  }

  private set(patch: Partial<Attention>): void {
    const next = { ...this.value, ...patch };
    if (this.closed || (next.missedCalls === this.value.missedCalls && next.unreadMail === this.value.unreadMail)) return;
    this.value = next;
    this.o.emit(next);
  }
}
