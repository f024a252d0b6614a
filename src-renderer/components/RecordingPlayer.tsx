/** Plays a call recording streamed through the relay: play/pause, seek bar, position. */
import { useEffect, useRef, useState } from 'react';
import { call, toAppError } from '../api';
import { formatClock } from '../format';
import { S } from '../strings';
import { IconPause, IconPlay, IconX } from './icons';

export function RecordingPlayer({ recordingId, autoPlay = true, onClose }: { recordingId: string; autoPlay?: boolean; onClose?: () => void }) {
  const audio = useRef<HTMLAudioElement>(null);
  const [url, setUrl] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [playing, setPlaying] = useState(false);
  const [pos, setPos] = useState(0);
  const [dur, setDur] = useState(0);
  const [seeking, setSeeking] = useState<number | null>(null);

  useEffect(() => {
    let alive = true;
    setUrl(null);
    setError(null);
    call('calls:recordingUrl', { recordingId })
      .then((r) => alive && setUrl(r.url))
      .catch((e) => alive && setError(toAppError(e).message));
    return () => {
      alive = false;
    };
  }, [recordingId]);

  useEffect(() => {
    const a = audio.current;
    if (!a || !url || !autoPlay) return;
    a.play().catch(() => {
      /* autoplay refused: the user presses play */
    });
  }, [url, autoPlay]);

  const toggle = () => {
    const a = audio.current;
    if (!a) return;
    if (a.paused) a.play().catch((e) => setError(toAppError(e).message || S.player.error));
    else a.pause();
  };

  const shownPos = seeking ?? pos;
  return (
    <div className="player" data-testid="recording-player" onClick={(e) => e.stopPropagation()}>
      <span className="player-title">{S.player.title}</span>
      {error ? (
        <span className="error-text">{S.player.error}: {error}</span>
      ) : (
        <>
          <button type="button" className="icon-btn player-toggle" onClick={toggle} disabled={!url} aria-label={playing ? S.player.pause : S.player.play} title={playing ? S.player.pause : S.player.play}>
            {playing ? <IconPause size={16} /> : <IconPlay size={16} />}
          </button>
          <span className="player-time">{formatClock(shownPos)}</span>
          <input
            className="player-seek"
            type="range"
            min={0}
            max={dur || 0}
            step={0.1}
            value={Math.min(shownPos, dur || 0)}
            disabled={!url || !dur}
            aria-label={S.player.title}
            onChange={(e) => setSeeking(Number(e.target.value))}
            onPointerUp={() => {
              if (seeking != null && audio.current) audio.current.currentTime = seeking;
              setSeeking(null);
            }}
            onKeyUp={() => {
              if (seeking != null && audio.current) audio.current.currentTime = seeking;
              setSeeking(null);
            }}
          />
          <span className="player-time">{dur ? formatClock(dur) : url ? '…' : S.player.loading}</span>
        </>
      )}
      {url ? (
        <audio
          ref={audio}
          src={url}
          preload="metadata"
          onPlay={() => setPlaying(true)}
          onPause={() => setPlaying(false)}
          onEnded={() => setPlaying(false)}
          onTimeUpdate={(e) => setPos(e.currentTarget.currentTime)}
          onLoadedMetadata={(e) => setDur(Number.isFinite(e.currentTarget.duration) ? e.currentTarget.duration : 0)}
          onDurationChange={(e) => setDur(Number.isFinite(e.currentTarget.duration) ? e.currentTarget.duration : 0)}
          onError={() => setError(S.player.error)}
        />
      ) : null}
      {onClose ? (
        <button type="button" className="icon-btn" onClick={onClose} aria-label={S.close} title={S.close}>
          <IconX size={16} />
        </button>
      ) : null}
    </div>
  );
}
