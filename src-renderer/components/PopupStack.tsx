/**
 * The stack of open call popups. In the Electron popup window it fills the window (`#/popup`);
 * in browser mode it floats in the corner of the main window.
 */
import { useEffect, useRef } from 'react';
import { S } from '../strings';
import { usePopups } from '../stores/popups';
import { useSettings } from '../stores/settings';
import { PopupCard } from './PopupCard';

/** A short two-tone ring through WebAudio (no audio file needed). */
export function ringTone(): void {
  try {
    const Ctx = window.AudioContext ?? (window as unknown as { webkitAudioContext?: typeof AudioContext }).webkitAudioContext;
    if (!Ctx) return;
    const ctx = new Ctx();
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
  } catch {
    // No audio output: the popup itself is the signal.
  }
}

export function PopupStack({ mode }: { mode: 'window' | 'overlay' }) {
  const popups = usePopups((s) => s.popups);
  const { sound, popupPosition } = useSettings((s) => s.settings);
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

  if (mode === 'overlay' && popups.length === 0) return null;
  return (
    <div className={mode === 'window' ? 'popup-window' : `popup-overlay pos-${popupPosition}`} data-testid="popup-stack">
      {popups.length === 0 ? <p className="muted popup-none">{S.popup.none}</p> : null}
      {popups.slice(0, mode === 'overlay' ? 3 : 6).map((p) => (
        <PopupCard key={p.callId} popup={p} compact={mode === 'overlay'} />
      ))}
    </div>
  );
}
