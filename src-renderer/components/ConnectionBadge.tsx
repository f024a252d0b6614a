/** "Подключено" / "Переподключение через N с" / "Не в сети", with a live countdown. */
import { useEffect, useState } from 'react';
import { S } from '../strings';
import { secondsLeft, useConnection } from '../stores/connection';

export function connectionLabel(stateName: string, left: number): string {
  switch (stateName) {
    case 'connected':
      return S.connection.connected;
    case 'connecting':
      return S.connection.connecting;
    case 'reconnecting':
      return left > 0 ? S.connection.reconnectingIn(left) : S.connection.reconnectingNow;
    default:
      return S.connection.offline;
  }
}

export function ConnectionBadge({ detailed = false }: { detailed?: boolean }) {
  const { state, receivedAt } = useConnection();
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (state.state !== 'reconnecting') return;
    const t = setInterval(() => setNow(Date.now()), 250);
    return () => clearInterval(t);
  }, [state]);
  const left = secondsLeft(state, receivedAt, now);
  const kind = state.state === 'connected' ? 'ok' : state.state === 'logged-out' ? 'off' : 'warn';
  const detail = state.state === 'reconnecting' ? state.error : state.state === 'logged-out' ? state.reason : undefined;
  return (
    <span className={`conn conn-${kind}`} data-testid="connection-state" title={detail || undefined}>
      <span className="conn-dot" />
      <span className="conn-text">{connectionLabel(state.state, left)}</span>
      {detailed && detail ? <span className="conn-detail">{detail}</span> : null}
    </span>
  );
}
