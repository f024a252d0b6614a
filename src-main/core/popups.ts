/**
 * Which calls have a popup open, and when they open, update and close. A popup closes as soon
 * as its call is answered elsewhere or ends (phase ended, status no longer active, or the
 * relay says popup=false), so a stale "ringing" window never stays on screen. While the feed
 * replays after a (re)connect, changes are batched and only the net result is announced:
 * a call that rang and ended while we were away never flashes up.
 *
 * With a display duration set (settings: popup.durationSec > 0) a popup hides by itself that
 * many seconds after the phones began to ring (not while the caller is still in the voice menu:
 * a short duration would hide it before anyone could answer), as if the user had closed it:
 * later updates of the same call do not bring it back. 0 keeps it until the call ends or the
 * user closes it.
 *
 * One exception to closing at the end: the card of a call this employee talked on stays for a
 * while once it ends (live, never from a replay), showing «Добавить комментарий»: the outcome
 * of a call is written right after it. A form open in it (popups:keep) holds it; once the form
 * closes (keep false) an ended call's card goes by the wrap-up timer again, never stays forever.
 */
import type { CallPopup } from '../../src-shared/ipc/telephony';
import type { Call, Contact, Employee, FeedPayload } from '../../src-shared/wire';
import type { PopupOptions, PopupPosition } from './settings';

type CallPayload = Extract<FeedPayload, { kind: 'call' }>;

/** Pure policy: should this call have a popup open for `me` right now? */
export function wantsPopup(p: CallPayload, me: Employee | null, options: PopupOptions): boolean {
  const call = p.call;
  if (options.when === 'never') return false;
  if (call.status !== 'active' || call.phase === 'ended') return false;
  if (options.minDigits > 0 && callerDigits(call) < options.minDigits) return false;
  if (options.when === 'answer') return call.phase === 'talking' && me != null && call.employee?.id === me.id;
  return p.popup;
}

function callerDigits(call: Call): number {
  const n = call.clientNumber ?? (call.direction === 'out' ? call.to.number : call.from.number) ?? '';
  return n.replace(/\D/g, '').length;
}

export interface PopupManagerOptions {
  emit: (popup: CallPopup) => void;
  options: () => PopupOptions;
  me: () => Employee | null;
  /** Fills the caller's card when the relay sent none (contacts cache). */
  lookupContact?: (phone: string) => Contact | null;
  recentMails?: (call: Call, contact: Contact | null) => CallPopup['recentMails'];
  /** For the display duration (tests pass fakes). */
  timers?: { setTimeout(fn: () => void, ms: number): unknown; clearTimeout(handle: unknown): void };
  /** How long an ended call's card stays for a comment (default WRAP_UP_MS). */
  wrapUpMs?: number;
}

/** An ended call's card stays this long for «Добавить комментарий», unless the user keeps it. */
export const WRAP_UP_MS = 60_000;

const realTimers = {
  setTimeout: (fn: () => void, ms: number): unknown => {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clearTimeout: (h: unknown) => clearTimeout(h as NodeJS.Timeout),
};

const DISMISSED_MEMORY = 500;

export class PopupManager {
  private readonly open = new Map<number, CallPopup>();
  /** Calls the user closed by hand: later updates of the same call do not reopen them. */
  private readonly dismissed = new Set<number>();
  /** Open popups as they were when a batch began; null when not batching. */
  private batchStart: Map<number, CallPopup> | null = null;
  /** Auto-hide timers of open popups (display duration). */
  private readonly hideTimers = new Map<number, unknown>();
  /** Ended calls' cards still open for a comment, and when each goes. */
  private readonly wrapTimers = new Map<number, unknown>();
  /** Cards the user is writing a comment in: no timer hides them. */
  private readonly kept = new Set<number>();
  /** Cards whose display-duration timer has started (once per card: keeping it cancels it for good). */
  private readonly hideArmed = new Set<number>();

  constructor(private readonly o: PopupManagerOptions) {}

  list(): CallPopup[] {
    return [...this.open.values()];
  }

  get(callId: number): CallPopup | null {
    return this.open.get(callId) ?? null;
  }

  onCall(p: CallPayload): void {
    const id = p.call.id;
    const options = this.o.options();
    if (!this.dismissed.has(id) && wantsPopup(p, this.o.me(), options)) {
      const contact = p.contact ?? (p.call.clientNumber ? (this.o.lookupContact?.(p.call.clientNumber) ?? null) : null);
      const popup: CallPopup = {
        callId: id,
        open: true,
        call: p.call,
        contact,
        recentCalls: p.recentCalls.filter((c) => c.id !== id),
        recentMails: this.o.recentMails?.(p.call, contact) ?? [],
      };
      this.open.set(id, popup);
      // Counted from ringing: the voice menu may take longer than the whole duration.
      if (options.durationSec > 0 && p.call.phase !== 'ivr' && !this.hideArmed.has(id) && !this.kept.has(id)) {
        this.hideArmed.add(id);
        const timers = this.o.timers ?? realTimers;
        this.hideTimers.set(id, timers.setTimeout(() => this.dismiss(id), options.durationSec * 1000));
      }
      if (!this.batchStart) this.o.emit(popup);
    } else if (this.endsMyConversation(p)) {
      this.wrapUp(p);
    } else {
      this.close(id, p.call);
    }
  }

  /** The open card's call just ended, live, after this employee talked on it. */
  private endsMyConversation(p: CallPayload): boolean {
    const call = p.call;
    const me = this.o.me();
    if (this.batchStart || !this.open.has(call.id) || this.dismissed.has(call.id) || !me || call.employee?.id !== me.id) return false;
    const ended = call.phase === 'ended' || call.status !== 'active';
    return ended && (call.status === 'answered' || call.answeredAt != null);
  }

  /** Keeps the ended call's card (updated: the call over, «Добавить комментарий» offered) for a while. */
  private wrapUp(p: CallPayload): void {
    const id = p.call.id;
    const cur = this.open.get(id)!;
    const popup: CallPopup = { ...cur, call: p.call, contact: p.contact ?? cur.contact, recentCalls: p.recentCalls.filter((c) => c.id !== id) };
    this.open.set(id, popup);
    if (!this.kept.has(id)) this.armWrapUp(id);
    this.o.emit(popup);
  }

  /** An ended call's card goes after the wrap-up time (once armed, not pushed back by updates). */
  private armWrapUp(id: number): void {
    if (this.wrapTimers.has(id)) return;
    const timers = this.o.timers ?? realTimers;
    this.wrapTimers.set(id, timers.setTimeout(() => this.close(id), this.o.wrapUpMs ?? WRAP_UP_MS));
  }

  /**
   * `keep`: the user opened a form in this card (a comment, the transfer): no timer hides it.
   * Released (the form closed or failed): an ended call's card gets the usual wrap-up from now;
   * a live call's card closes at its end as ever.
   */
  keep(callId: number, keep = true): void {
    const cur = this.open.get(callId);
    if (!cur) return;
    if (keep) {
      this.kept.add(callId);
      this.clearTimers(callId);
      return;
    }
    if (!this.kept.delete(callId)) return;
    if (cur.call.phase === 'ended' || cur.call.status !== 'active') this.armWrapUp(callId);
  }

  /** The user closed the popup (or clicked an action that ends it). */
  dismiss(callId: number): void {
    this.dismissed.add(callId);
    if (this.dismissed.size > DISMISSED_MEMORY) this.dismissed.delete(this.dismissed.values().next().value as number);
    this.close(callId);
  }

  /** The relay's call ids start over (its database was restored): closed-by-hand ids mean other calls now. */
  forgetDismissed(): void {
    this.dismissed.clear();
  }

  /** Closes a popup, optionally with the call's final state so the shell can tell "missed". */
  close(callId: number, call?: Call): void {
    const cur = this.open.get(callId);
    if (!cur) return;
    this.open.delete(callId);
    this.kept.delete(callId);
    this.hideArmed.delete(callId);
    this.clearTimers(callId);
    if (!this.batchStart) this.o.emit({ ...cur, call: call ?? cur.call, open: false });
  }

  private clearTimers(callId: number): void {
    for (const timers of [this.hideTimers, this.wrapTimers]) {
      const timer = timers.get(callId);
      if (timer === undefined) continue;
      timers.delete(callId);
      (this.o.timers ?? realTimers).clearTimeout(timer);
    }
  }

  closeAll(): void {
    for (const id of [...this.open.keys()]) this.close(id);
  }

  beginBatch(): void {
    if (!this.batchStart) this.batchStart = new Map(this.open);
  }

  /** Ends a replay batch: announces what changed between its start and now. */
  endBatch(): void {
    const before = this.batchStart;
    if (!before) return;
    this.batchStart = null;
    for (const [id, old] of before) if (!this.open.has(id)) this.o.emit({ ...old, open: false });
    for (const [id, cur] of this.open) if (before.get(id) !== cur) this.o.emit(cur);
  }

  /**
   * After a reconnect: asks about every popup still open and closes those whose call is over
   * (covers feeds that could not replay everything, and clocks that slept).
   */
  async reconcile(fetchCall: (id: number) => Promise<Call | null>): Promise<void> {
    for (const popup of this.list()) {
      let call: Call | null;
      try {
        call = await fetchCall(popup.callId);
      } catch {
        continue; // unreachable: keep it, the next reconnect asks again
      }
      if (!this.open.has(popup.callId)) continue;
      if (!call || call.status !== 'active' || call.phase === 'ended') this.close(popup.callId, call ?? undefined);
    }
  }
}

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Where the popup window goes: the chosen corner of the display's work area, `margin` in. */
export function popupBounds(workArea: Rect, position: PopupPosition, size: { width: number; height: number }, margin: number): Rect {
  const width = Math.min(size.width, workArea.width);
  const height = Math.min(size.height, workArea.height);
  const left = position.endsWith('left');
  const top = position.startsWith('top');
  return {
    x: Math.round(left ? workArea.x + margin : workArea.x + workArea.width - width - margin),
    y: Math.round(top ? workArea.y + margin : workArea.y + workArea.height - height - margin),
    width,
    height,
  };
}
