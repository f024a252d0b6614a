/**
 * The stack of open call popups. In the Electron popup window it fills the window (`#/popup`);
 * in browser mode it floats in the corner of the main window, never taller than the window
 * (it scrolls).
 *
 * In the main window one card is open at a time, the others fold to one line (number, name,
 * status, ✕): the stack shares the window with the app, several full cards do not fit, and a
 * receptionist answers one call at a time, so the open one is the newest (usually the one
 * ringing now): who calls must be readable at a glance. A
 * click on a folded line opens that card instead; a new call opens its own card again. A card
 * with a form being filled in (a comment, the transfer) never folds under the user's hands.
 * The Electron popup window is a window of its own: its cards stay whole, the window grows up
 * to the screen's height and its page scrolls beyond that, newest first (popup-window.ts).
 */
import { useEffect, useRef, useState, type RefObject } from 'react';
import { call, hasShell } from '../api';
import { S } from '../strings';
import { usePopups } from '../stores/popups';
import { useSettings } from '../stores/settings';
import { PopupCard } from './PopupCard';

/**
 * A short two-tone ring generated with WebAudio: no audio file to ship, nothing for the CSP to
 * allow (no media-src fetch). Returns false when there is no audio output to play on.
 */
export function ringTone(): boolean {
  try {
    const Ctx = window.AudioContext ?? (window as unknown as { webkitAudioContext?: typeof AudioContext }).webkitAudioContext;
    if (!Ctx) return false;
    const ctx = new Ctx();
    // A page nobody has clicked yet may start suspended (browser autoplay rules).
    if (ctx.state === 'suspended') void ctx.resume().catch(() => {});
    const t0 = ctx.currentTime;
    for (let i = 0; i < 2; i++) {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.type = 'sine';
      osc.frequency.value = i === 0 ? 880 : 660;
      gain.gain.setValueAtTime(0.0001, t0 + i * 0.25);
      gain.gain.exponentialRampToValueAtTime(0.2, t0 + i * 0.25 + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, t0 + i * 0.25 + 0.22);
      osc.connect(gain).connect(ctx.destination);
      osc.start(t0 + i * 0.25);
      osc.stop(t0 + i * 0.25 + 0.24);
    }
    setTimeout(() => void ctx.close(), 1000);
    return true;
  } catch {
    // No audio output: the popup itself is the signal.
    return false;
  }
}

/**
 * The popup window's own page tells the shell how tall its cards are (popups:layout), so the
 * window grows with a comment being written or the transfer form and shrinks back. Measured to
 * the bottom of the last card: the stack itself fills the window.
 */
function useReportHeight(root: RefObject<HTMLDivElement | null>, enabled: boolean, cards: number): void {
  const last = useRef(0);
  useEffect(() => {
    const el = root.current;
    if (!enabled || !el || typeof ResizeObserver === 'undefined') return;
    let frame = 0;
    const report = () => {
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(() => {
        const tail = el.lastElementChild as HTMLElement | null;
        const height = Math.ceil(tail ? tail.offsetTop + tail.offsetHeight + parseFloat(getComputedStyle(el).paddingBottom || '0') : 0);
        if (height < 40 || height === last.current) return;
        last.current = height;
        void call('popups:layout', { height }).catch(() => {});
      });
    };
    const ro = new ResizeObserver(report);
    for (const child of Array.from(el.children)) ro.observe(child);
    report();
    return () => {
      cancelAnimationFrame(frame);
      ro.disconnect();
    };
  }, [root, enabled, cards]);
}

export function PopupStack({ mode }: { mode: 'window' | 'overlay' }) {
  const popups = usePopups((s) => s.popups);
  const sound = useSettings((s) => s.settings.popup.sound);
  const popupPosition = useSettings((s) => s.settings.popup.position);
  const seen = useRef(new Set<number>());
  useEffect(() => {
    let ring = false;
    for (const p of popups) {
      if (!seen.current.has(p.callId)) {
        seen.current.add(p.callId);
        if (p.call.phase === 'ringing' || p.call.phase === 'ivr') ring = true;
      }
    }
    if (ring && sound) ringTone();
  }, [popups, sound]);

  const root = useRef<HTMLDivElement>(null);
  useReportHeight(root, mode === 'window' && hasShell, popups.length);

  // The card the user opened; forgotten when a newer call arrives (its card opens instead).
  const newest = popups[0]?.callId ?? null;
  const [chosen, setChosen] = useState<number | null>(null);
  useEffect(() => {
    setChosen(null);
    // The newest card is the first: scrolled into view when it arrives.
    root.current?.scrollTo?.({ top: 0 });
    if (mode === 'window') window.scrollTo?.({ top: 0 });
  }, [newest, mode]);
  const openId = chosen != null && popups.some((p) => p.callId === chosen) ? chosen : newest;

  if (mode === 'overlay' && popups.length === 0) return null;
  return (
    <div ref={root} className={mode === 'window' ? 'popup-window' : `popup-overlay pos-${popupPosition}`} data-testid="popup-stack">
      {popups.length === 0 ? <p className="muted popup-none">{S.popup.none}</p> : null}
      {popups.map((p) => (
        <PopupCard key={p.callId} popup={p} compact={mode === 'overlay'} collapsed={mode === 'overlay' && p.callId !== openId} onExpand={() => setChosen(p.callId)} />
      ))}
    </div>
  );
}
