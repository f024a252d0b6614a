/**
 * Short notices at the bottom-right of the window: confirmations and errors in Russian.
 * At most {@link MAX_TOASTS} are shown (the oldest goes first); a toast under the pointer keeps
 * its time: the timer pauses on hover and resumes with what was left.
 */
import { create } from 'zustand';

export interface Toast {
  id: number;
  kind: 'ok' | 'error' | 'info';
  text: string;
  title?: string;
  /** One button next to the text (e.g. «Отменить»); the toast goes once it is pressed. */
  action?: { label: string; run: () => void; testId?: string };
  /**
   * Called once when the toast goes any other way than by its action: its time ran out, ✕, or a
   * newer toast pushed it out. With `action`, this is where an undoable step is made final.
   */
  onDismiss?: () => void;
  /** Its time is a real deadline (the undo window of a send): hovering does not stretch it. */
  deadline?: boolean;
}

/** How many toasts are visible at once. */
export const MAX_TOASTS = 3;

interface ToastStore {
  toasts: Toast[];
  push(t: Omit<Toast, 'id'>, ms?: number): number;
  /** Takes the toast away; `byAction`: its action was pressed (onDismiss is not called). */
  dismiss(id: number, byAction?: boolean): void;
  /** Stop the toast's auto-dismiss timer (the pointer is over it). */
  pause(id: number): void;
  /** Restart the timer with the time that was left when paused. */
  resume(id: number): void;
}

interface Timer {
  handle: ReturnType<typeof setTimeout> | null;
  /** When the running timer fires (ms since epoch); meaningless while paused. */
  due: number;
  /** Time left, kept while paused. */
  left: number;
}

let nextId = 1;
const timers = new Map<number, Timer>();

function clearTimer(id: number): void {
  const t = timers.get(id);
  if (t?.handle) clearTimeout(t.handle);
  timers.delete(id);
}

export const useToasts = create<ToastStore>((set, get) => {
  const start = (id: number, ms: number) => {
    const handle = setTimeout(() => get().dismiss(id), ms);
    timers.set(id, { handle, due: Date.now() + ms, left: ms });
  };
  return {
    toasts: [],
    push(t, ms) {
      const id = nextId++;
      const all = [...get().toasts, { ...t, id }];
      const dropped = all.slice(0, Math.max(0, all.length - MAX_TOASTS));
      for (const d of dropped) clearTimer(d.id);
      set({ toasts: all.slice(-MAX_TOASTS) });
      start(id, ms ?? (t.kind === 'error' ? 9000 : 4000));
      for (const d of dropped) d.onDismiss?.();
      return id;
    },
    dismiss(id, byAction = false) {
      clearTimer(id);
      const gone = get().toasts.find((x) => x.id === id);
      if (!gone) return;
      set({ toasts: get().toasts.filter((x) => x.id !== id) });
      if (!byAction) gone.onDismiss?.();
    },
    pause(id) {
      const t = timers.get(id);
      if (!t?.handle || get().toasts.find((x) => x.id === id)?.deadline) return;
      clearTimeout(t.handle);
      timers.set(id, { handle: null, due: 0, left: Math.max(0, t.due - Date.now()) });
    },
    resume(id) {
      const t = timers.get(id);
      if (!t || t.handle) return;
      // At least a moment to read it again after the pointer leaves.
      start(id, Math.max(t.left, 1500));
    },
  };
});

export const toast = {
  ok: (text: string) => useToasts.getState().push({ kind: 'ok', text }),
  info: (text: string) => useToasts.getState().push({ kind: 'info', text }),
  error: (text: string, title?: string) => useToasts.getState().push({ kind: 'error', text, title }),
};
