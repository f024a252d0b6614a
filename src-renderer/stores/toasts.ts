/** Short notices at the bottom of the window: confirmations and errors in Russian. */
import { create } from 'zustand';

export interface Toast {
  id: number;
  kind: 'ok' | 'error' | 'info';
  text: string;
  title?: string;
  /** One button next to the text (e.g. «Отменить»); the toast goes once it is pressed. */
  action?: { label: string; run: () => void; testId?: string };
}

interface ToastStore {
  toasts: Toast[];
  push(t: Omit<Toast, 'id'>, ms?: number): number;
  dismiss(id: number): void;
}

let nextId = 1;

export const useToasts = create<ToastStore>((set, get) => ({
  toasts: [],
  push(t, ms) {
    const id = nextId++;
    set({ toasts: [...get().toasts.slice(-3), { ...t, id }] });
    const life = ms ?? (t.kind === 'error' ? 9000 : 4000);
    setTimeout(() => get().dismiss(id), life);
    return id;
  },
  dismiss(id) {
    set({ toasts: get().toasts.filter((x) => x.id !== id) });
  },
}));

export const toast = {
  ok: (text: string) => useToasts.getState().push({ kind: 'ok', text }),
  info: (text: string) => useToasts.getState().push({ kind: 'info', text }),
  error: (text: string, title?: string) => useToasts.getState().push({ kind: 'error', text, title }),
};
