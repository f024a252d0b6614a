/** `#/settings`: account (relay address), app start, popups, sound. */
import { useState } from 'react';
import { ROLE_LABELS } from '../../src-shared/roles';
import { hasShell } from '../api';
import { ringTone } from '../components/PopupStack';
import { Switch } from '../components/Switch';
import { S } from '../strings';
import { useSession } from '../stores/session';
import { useSettings, type PopupPosition, type PopupWhen } from '../stores/settings';

/** Browser mode: missed calls can raise the browser's own notifications once allowed. */
function BrowserNotifications() {
  const [perm, setPerm] = useState(() => Notification.permission);
  return (
    <div className="setting-row">
      <span>
        {S.settings.browserNotifications}
        <div className="muted small">{S.settings.browserNotificationsHint}</div>
      </span>
      {perm === 'granted' ? (
        <span className="ok-text">{S.settings.notificationsOn}</span>
      ) : perm === 'denied' ? (
        <span className="muted">{S.settings.notificationsDenied}</span>
      ) : (
        <button type="button" className="btn btn-sm" onClick={() => void Notification.requestPermission().then(setPerm)}>
          {S.settings.allowNotifications}
        </button>
      )}
    </div>
  );
}

export function Settings() {
  const session = useSession((s) => s.session);
  const logout = useSession((s) => s.logout);
  const { settings, update } = useSettings();
  const me = session?.me;
  return (
    <div className="page settings">
      <header className="page-head">
        <h1>{S.settings.title}</h1>
      </header>
      <section className="card">
        <h2>{S.settings.account}</h2>
        <dl className="kv">
          <dt>{S.settings.relayUrl}</dt>
          <dd>
            <code data-testid="settings-relay">{session?.relayUrl}</code>
            <div className="muted small">{S.settings.relayHint}</div>
          </dd>
          <dt>{S.settings.loggedAs}</dt>
          <dd>
            {me?.name} <span className="muted">({session?.login})</span>
          </dd>
          {me ? (
            <>
              <dt>{S.settings.role}</dt>
              <dd>{ROLE_LABELS[me.role]}</dd>
              <dt>{S.settings.extension}</dt>
              <dd>{me.extension ?? <span className="muted">{S.dash}</span>}</dd>
            </>
          ) : null}
        </dl>
        <button type="button" className="btn" onClick={() => void logout()}>
          {S.nav.logout}
        </button>
      </section>

      <section className="card">
        <h2>{S.settings.app}</h2>
        {hasShell ? (
          <div className="setting-row">
            <span>{S.settings.startAtLogin}</span>
            <Switch checked={settings.startAtLogin} onChange={(v) => update({ startAtLogin: v })} label={S.settings.startAtLogin} />
          </div>
        ) : null}
        <h3 className="small-head">{S.settings.popups}</h3>
        <div className="setting-row">
          <span>{S.settings.popupWhen}</span>
          <select value={settings.popupWhen} onChange={(e) => update({ popupWhen: e.target.value as PopupWhen })} aria-label={S.settings.popupWhen}>
            <option value="ring">{S.settings.popupWhenRing}</option>
            <option value="answer">{S.settings.popupWhenAnswer}</option>
            <option value="never">{S.settings.popupWhenNever}</option>
          </select>
        </div>
        <div className="setting-row">
          <span>{S.settings.popupPosition}</span>
          <select value={settings.popupPosition} onChange={(e) => update({ popupPosition: e.target.value as PopupPosition })} aria-label={S.settings.popupPosition}>
            {(Object.keys(S.settings.positions) as PopupPosition[]).map((p) => (
              <option key={p} value={p}>
                {S.settings.positions[p]}
              </option>
            ))}
          </select>
        </div>
        <div className="setting-row">
          <span>{S.settings.popupDuration}</span>
          <span>
            <input
              className="input-sm num-input"
              type="number"
              min={0}
              max={120}
              value={settings.popupLingerSec}
              onChange={(e) => update({ popupLingerSec: Math.max(0, Math.min(120, Number(e.target.value) || 0)) })}
              aria-label={S.settings.popupDuration}
            />{' '}
            {S.settings.seconds}
          </span>
        </div>
        <div className="setting-row">
          <span>
            {S.settings.minDigits}
            <div className="muted small">{S.settings.minDigitsHint}</div>
          </span>
          <input
            className="input-sm num-input"
            type="number"
            min={0}
            max={12}
            value={settings.minCallerDigits}
            onChange={(e) => update({ minCallerDigits: Math.max(0, Math.min(12, Number(e.target.value) || 0)) })}
            aria-label={S.settings.minDigits}
          />
        </div>
        <div className="setting-row">
          <span>{S.settings.sound}</span>
          <span className="row-gap">
            <button type="button" className="btn btn-sm btn-ghost" onClick={() => ringTone()}>
              {S.settings.soundTest}
            </button>
            <Switch checked={settings.sound} onChange={(v) => update({ sound: v })} label={S.settings.sound} />
          </span>
        </div>
        {!hasShell && typeof Notification !== 'undefined' ? <BrowserNotifications /> : null}
        <p className="muted small">{S.settings.localOnly}</p>
      </section>
    </div>
  );
}
