/**
 * `#/settings`: the account (relay address), the app (start at login, language), call popups
 * (when, corner, how long, sound), updates and "о программе". Everything is saved through the
 * core (`settings:update`), which keeps it on this computer and tells every window.
 */
import { useEffect, useState } from 'react';
import { ROLE_LABELS } from '../../src-shared/roles';
import { MAIL_UNDO_SEND_CHOICES, type AboutInfo, type UpdateState } from '../../src-shared/ipc/app';
import { M } from '../mail/strings';
import { hasShell } from '../api';
import { ringTone } from '../components/PopupStack';
import { Switch } from '../components/Switch';
import { formatDateTime } from '../format';
import { S } from '../strings';
import { useSession } from '../stores/session';
import { useSettings, type PopupPosition, type PopupWhen } from '../stores/settings';

const MAX_DURATION_SEC = 600;

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

/**
 * A number field that saves when it loses focus or on Enter (not on every keystroke). An empty,
 * fractional or out-of-range entry is refused with a message and the saved value stays: a silent
 * «0» would mean the opposite of what was meant (e.g. «не скрывать»).
 */
function NumberSetting(props: { value: number; min: number; max: number; label: string; testId: string; onCommit: (n: number) => void }) {
  const { value, min, max, label, testId, onCommit } = props;
  const [draft, setDraft] = useState(String(value));
  const [invalid, setInvalid] = useState(false);
  useEffect(() => setDraft(String(value)), [value]);
  const commit = () => {
    const text = draft.trim();
    const n = Number(text);
    if (!/^\d+$/.test(text) || n < min || n > max) {
      setInvalid(true);
      setDraft(String(value));
      return;
    }
    setInvalid(false);
    setDraft(String(n));
    if (n !== value) onCommit(n);
  };
  const errorId = `${testId}-error`;
  return (
    <span className="num-setting">
      <input
        className="input-sm num-input"
        type="number"
        min={min}
        max={max}
        step={1}
        value={draft}
        onChange={(e) => {
          setDraft(e.target.value);
          setInvalid(false);
        }}
        onBlur={commit}
        onKeyDown={(e) => {
          if (e.key === 'Enter') commit();
        }}
        aria-label={label}
        aria-invalid={invalid || undefined}
        aria-describedby={invalid ? errorId : undefined}
        data-testid={testId}
      />
      {invalid ? (
        <span className="error-text small num-setting-error" id={errorId} role="alert" data-testid={errorId}>
          {S.settings.numberInvalid(min, max, value)}
        </span>
      ) : null}
    </span>
  );
}

function RelaySetting() {
  const session = useSession((s) => s.session);
  const save = useSettings((s) => s.save);
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState('');
  const [busy, setBusy] = useState(false);
  const current = session?.relayUrl ?? '';
  if (!editing) {
    return (
      <dd>
        <code data-testid="settings-relay">{current}</code>{' '}
        <button
          type="button"
          className="btn btn-sm btn-ghost"
          data-testid="relay-change"
          onClick={() => {
            setDraft(current);
            setEditing(true);
          }}
        >
          {S.settings.relayChange}
        </button>
        <div className="muted small">{S.settings.relayHint}</div>
      </dd>
    );
  }
  const submit = async () => {
    let url = draft.trim();
    if (url && !/^https?:\/\//i.test(url)) url = 'https://' + url;
    setBusy(true);
    // On success with a new address the core logs out and the login form takes over.
    const res = await save({ relayUrl: url });
    setBusy(false);
    if (res) setEditing(false);
  };
  return (
    <dd>
      <form
        className="row-gap"
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <input className="input-sm" value={draft} onChange={(e) => setDraft(e.target.value)} aria-label={S.settings.relayUrl} data-testid="relay-input" />
        <button type="submit" className="btn btn-sm" disabled={busy} data-testid="relay-save">
          {S.settings.relayChangeConfirm}
        </button>
        <button type="button" className="btn btn-sm btn-ghost" onClick={() => setEditing(false)}>
          {S.settings.cancel}
        </button>
      </form>
      <div className="muted small">{S.settings.relayChangeWarn}</div>
    </dd>
  );
}

function updateText(u: UpdateState | null): string {
  const t = S.settings.updateState;
  switch (u?.state) {
    case undefined:
      return S.dash;
    case 'unsupported':
      return `${t.unsupported}: ${u.reason}`;
    case 'disabled':
      return t.disabled;
    case 'idle':
      return u.lastCheckedAt ? `${S.settings.lastChecked}: ${formatDateTime(u.lastCheckedAt)}` : t.idle;
    case 'checking':
      return t.checking;
    case 'up-to-date':
      return `${t.upToDate} (${S.settings.lastChecked.toLowerCase()}: ${formatDateTime(u.checkedAt)})`;
    case 'available':
      return t.available(u.version);
    case 'downloading':
      return t.downloading(u.version, u.percent);
    case 'downloaded':
      return t.downloaded(u.version);
    case 'error':
      return `${t.error}: ${u.message}`;
  }
}

function Updates() {
  const { settings, update, save, checkUpdates, installUpdate } = useSettings();
  const [draft, setDraft] = useState(settings.updateUrl);
  useEffect(() => setDraft(settings.updateUrl), [settings.updateUrl]);
  const unsupported = update?.state === 'unsupported';
  return (
    <section className="card" data-testid="updates">
      <h2>{S.settings.updates}</h2>
      <div className="setting-row">
        <span>
          {S.settings.updateUrl}
          <div className="muted small">{S.settings.updateUrlHint}</div>
        </span>
        <form
          className="row-gap"
          onSubmit={(e) => {
            e.preventDefault();
            void save({ updateUrl: draft.trim() });
          }}
        >
          <input
            className="input-sm"
            value={draft}
            placeholder="https://"
            onChange={(e) => setDraft(e.target.value)}
            aria-label={S.settings.updateUrl}
            data-testid="update-url"
          />
          <button type="submit" className="btn btn-sm" disabled={draft.trim() === settings.updateUrl}>
            {S.settings.save}
          </button>
        </form>
      </div>
      <div className="setting-row">
        <span data-testid="update-state" className={update?.state === 'error' ? 'error-text' : undefined}>
          {updateText(update)}
        </span>
        {update?.state === 'downloaded' ? (
          <button type="button" className="btn btn-primary btn-sm" onClick={() => void installUpdate()} data-testid="update-install">
            {S.settings.updateInstall}
          </button>
        ) : (
          <button
            type="button"
            className="btn btn-sm"
            disabled={unsupported || !settings.updateUrl || update?.state === 'checking' || update?.state === 'downloading'}
            onClick={() => void checkUpdates()}
            data-testid="update-check"
          >
            {S.settings.updateCheck}
          </button>
        )}
      </div>
    </section>
  );
}

/** The browser's own engine and version from its user agent (browser mode only). */
function browserVersion(): string {
  const ua = typeof navigator !== 'undefined' ? navigator.userAgent : '';
  const m = /(Chrome|Chromium|Firefox|Version)\/([\d.]+)/.exec(ua);
  if (!m) return S.settings.aboutUnknown;
  return `${m[1] === 'Version' ? 'Safari' : m[1]} ${m[2]}`;
}

function About() {
  const about = useSettings((s) => s.about);
  const loadAbout = useSettings((s) => s.loadAbout);
  useEffect(() => {
    void loadAbout();
  }, [loadAbout]);
  const a: AboutInfo | null = about;
  return (
    <section className="card" data-testid="about">
      <h2>{S.settings.about}</h2>
      {a ? (
        <dl className="kv">
          <dt>{S.settings.aboutName}</dt>
          <dd data-testid="about-name">{a.name}</dd>
          <dt>{S.settings.aboutVersion}</dt>
          <dd data-testid="about-version">{a.version}</dd>
          <dt>{S.settings.aboutElectron}</dt>
          <dd data-testid="about-electron">{a.electron ?? <span className="muted">{S.settings.aboutNoElectron}</span>}</dd>
          {a.shell === 'electron' ? (
            <>
              <dt>{S.settings.aboutChromium}</dt>
              <dd>{a.chromium ?? S.settings.aboutUnknown}</dd>
            </>
          ) : (
            <>
              <dt>{S.settings.aboutBrowser}</dt>
              <dd data-testid="about-browser">{browserVersion()}</dd>
            </>
          )}
          <dt>{S.settings.aboutNode}</dt>
          <dd>{a.node}</dd>
          <dt>{S.settings.aboutOs}</dt>
          <dd>{a.os}</dd>
          <dt>{S.settings.aboutRelay}</dt>
          <dd data-testid="about-relay">{a.relayVersion ?? <span className="muted">{S.settings.aboutRelayUnknown}</span>}</dd>
          <dt>{S.settings.aboutBuildDate}</dt>
          {/* Only a built app has a date (its bundle's); run from the sources there is none. */}
          <dd data-testid="about-build-date">{a.buildDate ? formatDateTime(a.buildDate) : <span className="muted">{S.settings.aboutDevBuild}</span>}</dd>
        </dl>
      ) : (
        <p className="muted">{S.loading}</p>
      )}
    </section>
  );
}

export function Settings() {
  const session = useSession((s) => s.session);
  const logout = useSession((s) => s.logout);
  const { settings, save, error } = useSettings();
  const popup = settings.popup;
  const me = session?.me;
  return (
    <div className="page settings" data-testid="settings-page">
      <header className="page-head">
        <h1>{S.settings.title}</h1>
      </header>
      {error ? (
        <div className="error-box" role="alert" data-testid="settings-error">
          {S.settings.saveFailed}: {error}
        </div>
      ) : null}
      <section className="card">
        <h2>{S.settings.account}</h2>
        <dl className="kv">
          <dt>{S.settings.relayUrl}</dt>
          <RelaySetting />
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

      {me?.role === 'admin' ? (
        // The guide sends admins to «Настройки → Телефония»: the section is its own page.
        <section className="card" data-testid="settings-telephony">
          <h2>{S.nav.mango}</h2>
          <p className="muted small">{S.settings.telephonyHint}</p>
          <a className="btn" href="#/mango" data-testid="settings-open-mango">
            {S.settings.openTelephony}
          </a>
        </section>
      ) : null}

      <section className="card">
        <h2>{S.settings.app}</h2>
        {hasShell ? (
          <div className="setting-row">
            <span>
              {S.settings.startAtLogin}
              <div className="muted small">{S.settings.startAtLoginHint}</div>
            </span>
            <Switch checked={settings.startAtLogin} onChange={(v) => void save({ startAtLogin: v })} label={S.settings.startAtLogin} testId="start-at-login" />
          </div>
        ) : null}
        <div className="setting-row">
          <span>{S.settings.language}</span>
          <span data-testid="settings-language">{S.settings.languageRu}</span>
        </div>

        <h3 className="small-head">{S.settings.popups}</h3>
        <div className="setting-row">
          <span>{S.settings.popupWhen}</span>
          <select value={popup.when} onChange={(e) => void save({ popup: { when: e.target.value as PopupWhen } })} aria-label={S.settings.popupWhen} data-testid="popup-when">
            <option value="ring">{S.settings.popupWhenRing}</option>
            <option value="answer">{S.settings.popupWhenAnswer}</option>
            <option value="never">{S.settings.popupWhenNever}</option>
          </select>
        </div>
        <div className="setting-row">
          <span>{S.settings.popupPosition}</span>
          <select
            value={popup.position}
            onChange={(e) => void save({ popup: { position: e.target.value as PopupPosition } })}
            aria-label={S.settings.popupPosition}
            data-testid="popup-position"
          >
            {(Object.keys(S.settings.positions) as PopupPosition[]).map((p) => (
              <option key={p} value={p}>
                {S.settings.positions[p]}
              </option>
            ))}
          </select>
        </div>
        {hasShell ? (
          <div className="setting-row">
            <span>{S.settings.popupDisplay}</span>
            <select
              value={popup.display}
              onChange={(e) => void save({ popup: { display: e.target.value as 'cursor' | 'primary' } })}
              aria-label={S.settings.popupDisplay}
            >
              <option value="cursor">{S.settings.displayCursor}</option>
              <option value="primary">{S.settings.displayPrimary}</option>
            </select>
          </div>
        ) : null}
        <div className="setting-row">
          <span>
            {S.settings.popupDuration}
            <div className="muted small">{S.settings.popupDurationHint}</div>
          </span>
          <span>
            <NumberSetting
              value={popup.durationSec}
              min={0}
              max={MAX_DURATION_SEC}
              label={S.settings.popupDuration}
              testId="popup-duration"
              onCommit={(n) => void save({ popup: { durationSec: n } })}
            />{' '}
            {S.settings.seconds}
          </span>
        </div>
        <div className="setting-row">
          <span>
            {S.settings.minDigits}
            <div className="muted small">{S.settings.minDigitsHint}</div>
          </span>
          <NumberSetting value={popup.minDigits} min={0} max={15} label={S.settings.minDigits} testId="popup-min-digits" onCommit={(n) => void save({ popup: { minDigits: n } })} />
        </div>
        <div className="setting-row">
          <span>{S.settings.sound}</span>
          <span className="row-gap">
            <button type="button" className="btn btn-sm btn-ghost" onClick={() => ringTone()}>
              {S.settings.soundTest}
            </button>
            <Switch checked={popup.sound} onChange={(v) => void save({ popup: { sound: v } })} label={S.settings.sound} testId="popup-sound" />
          </span>
        </div>
        {hasShell ? (
          <div className="setting-row">
            <span>{S.settings.notification}</span>
            <Switch checked={popup.notification} onChange={(v) => void save({ popup: { notification: v } })} label={S.settings.notification} />
          </div>
        ) : null}
        {!hasShell && typeof Notification !== 'undefined' ? <BrowserNotifications /> : null}
        <div className="setting-row">
          <span>
            {S.settings.mailNotifications}
            <div className="muted small">{S.settings.mailNotificationsHint}</div>
          </span>
          <Switch checked={settings.mailNotifications} onChange={(v) => void save({ mailNotifications: v })} label={S.settings.mailNotifications} testId="mail-notifications" />
        </div>
        <div className="setting-row">
          <span>
            {M.undoSetting.label}
            <div className="muted small">{M.undoSetting.hint}</div>
          </span>
          <select
            value={settings.mailUndoSendSec}
            onChange={(e) => void save({ mailUndoSendSec: Number(e.target.value) as (typeof MAIL_UNDO_SEND_CHOICES)[number] })}
            aria-label={M.undoSetting.label}
            data-testid="mail-undo-send"
          >
            {MAIL_UNDO_SEND_CHOICES.map((n) => (
              <option key={n} value={n}>
                {n ? M.undoSetting.seconds(n) : M.undoSetting.off}
              </option>
            ))}
          </select>
        </div>
        <p className="muted small">{S.settings.localOnly}</p>
      </section>

      <Updates />
      <About />
    </div>
  );
}
