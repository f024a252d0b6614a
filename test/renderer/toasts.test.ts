/**
 * The toast store: at most three at once (the oldest goes, its onDismiss runs), the timer pauses
 * while hovered and resumes with what was left, an action's press does not count as a dismissal.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MAX_TOASTS, useToasts } from '../../src-renderer/stores/toasts';

const texts = () => useToasts.getState().toasts.map((t) => t.text);

beforeEach(() => {
  vi.useFakeTimers();
  for (const t of useToasts.getState().toasts) useToasts.getState().dismiss(t.id, true);
});
afterEach(() => vi.useRealTimers());

describe('toasts', () => {
  it('keeps at most three; the oldest goes first and is told so', () => {
    const gone = vi.fn();
    const push = useToasts.getState().push;
    push({ kind: 'info', text: 'a', onDismiss: gone });
    push({ kind: 'info', text: 'b' });
    push({ kind: 'info', text: 'c' });
    expect(MAX_TOASTS).toBe(3);
    expect(gone).not.toHaveBeenCalled();
    push({ kind: 'info', text: 'd' });
    expect(texts()).toEqual(['b', 'c', 'd']);
    expect(gone).toHaveBeenCalledTimes(1);
    // Its timer is gone with it: nothing fires twice later.
    vi.advanceTimersByTime(10_000);
    expect(gone).toHaveBeenCalledTimes(1);
    expect(texts()).toEqual([]);
  });

  it('goes by itself: 4 s, errors 9 s, or the given time', () => {
    const { push } = useToasts.getState();
    push({ kind: 'ok', text: 'ok' });
    push({ kind: 'error', text: 'err' });
    push({ kind: 'info', text: 'long' }, 6000);
    vi.advanceTimersByTime(4001);
    expect(texts()).toEqual(['err', 'long']);
    vi.advanceTimersByTime(2000);
    expect(texts()).toEqual(['err']);
    vi.advanceTimersByTime(3000);
    expect(texts()).toEqual([]);
  });

  it('pauses while hovered and resumes with the time that was left', () => {
    const { push, pause, resume } = useToasts.getState();
    const id = push({ kind: 'ok', text: 'x' }, 4000);
    vi.advanceTimersByTime(3000);
    pause(id);
    vi.advanceTimersByTime(60_000);
    expect(texts()).toEqual(['x']);
    resume(id);
    vi.advanceTimersByTime(1400);
    expect(texts()).toEqual(['x']); // at least 1.5 s to read it again
    vi.advanceTimersByTime(200);
    expect(texts()).toEqual([]);
    // Paused twice or resumed twice: harmless.
    const id2 = push({ kind: 'ok', text: 'y' }, 4000);
    pause(id2);
    pause(id2);
    resume(id2);
    resume(id2);
    vi.advanceTimersByTime(4001);
    expect(texts()).toEqual([]);
    // A deadline (the send's undo window) is not stretched by the pointer.
    const id3 = push({ kind: 'info', text: 'undo', deadline: true }, 5000);
    vi.advanceTimersByTime(1000);
    pause(id3);
    vi.advanceTimersByTime(4001);
    expect(texts()).toEqual([]);
  });

  it('onDismiss runs once on ✕ or time-out, never when the action was pressed', () => {
    const { push, dismiss } = useToasts.getState();
    const gone = vi.fn();
    const run = vi.fn();
    const a = push({ kind: 'info', text: 'a', onDismiss: gone, action: { label: 'Отменить', run } });
    dismiss(a, true);
    run();
    expect(gone).not.toHaveBeenCalled();
    vi.advanceTimersByTime(10_000);
    expect(gone).not.toHaveBeenCalled();

    const b = push({ kind: 'info', text: 'b', onDismiss: gone });
    dismiss(b);
    dismiss(b);
    expect(gone).toHaveBeenCalledTimes(1);
    push({ kind: 'info', text: 'c', onDismiss: gone }, 1000);
    vi.advanceTimersByTime(1001);
    expect(gone).toHaveBeenCalledTimes(2);
  });
});
