/**
 * Questions before a step that cannot be undone («Удалить навсегда 3 письма?»), asked in the
 * app's own dialog: window.confirm shows the operating system's «OK / Cancel», often in
 * English, and blocks the whole window. One question at a time; a newer one answers the
 * older «no».
 */
import { create } from 'zustand';

export interface ConfirmRequest {
  /** «Question? What it means.»: the question is the dialog's title, the rest its text. */
  question: string;
  /** The button that does it: «Удалить», «Отключить»… */
  confirm: string;
  answer(ok: boolean): void;
}

export const useConfirm = create<{ current: ConfirmRequest | null }>(() => ({ current: null }));

/** Resolves true when the user pressed `confirm`, false for «Отмена», Esc, ✕ or the backdrop. */
export function askConfirm(question: string, confirm: string): Promise<boolean> {
  useConfirm.getState().current?.answer(false);
  return new Promise((resolve) => {
    const req: ConfirmRequest = {
      question,
      confirm,
      answer(ok) {
        if (useConfirm.getState().current === req) useConfirm.setState({ current: null });
        resolve(ok);
      },
    };
    useConfirm.setState({ current: req });
  });
}

/** «Удалить папку «Счета»? В ней 3 письма.» → the question and what follows it. */
export function splitQuestion(q: string): { title: string; text: string } {
  const i = q.indexOf('?');
  if (i < 0) return { title: q.trim(), text: '' };
  return { title: q.slice(0, i + 1).trim(), text: q.slice(i + 1).trim() };
}
