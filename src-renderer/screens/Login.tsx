/** Login: relay address, login, password; the core's Russian error shown as given. */
import { useState } from 'react';
import { toAppError } from '../api';
import { S } from '../strings';
import { Field } from '../components/Field';
import { useSession } from '../stores/session';
import { afterLogin } from '../stores/live';

function looksLikeUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

export function Login() {
  const session = useSession((s) => s.session);
  const reason = useSession((s) => s.loggedOutReason);
  const login = useSession((s) => s.login);
  const [relayUrl, setRelayUrl] = useState(session?.relayUrl ?? '');
  const [user, setUser] = useState(session?.login ?? '');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const submit = async () => {
    setError(null);
    let url = relayUrl.trim();
    if (url && !/^https?:\/\//i.test(url)) url = 'https://' + url;
    if (!looksLikeUrl(url)) return setError(S.login.badUrl);
    if (!user.trim() || !password) return setError(S.login.required);
    setBusy(true);
    try {
      await login(url, user.trim(), password);
      setPassword('');
      void afterLogin();
    } catch (e) {
      setError(toAppError(e).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="login-screen">
      <form
        className="login-card"
        data-testid="login-form"
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <div className="brand brand-lg">
          <span className="brand-mark">А</span>
          <span className="brand-name">{S.appName}</span>
        </div>
        <h1>{S.login.title}</h1>
        <p className="muted">{S.login.subtitle}</p>
        {reason && !error ? <div className="warn-box">{reason}</div> : null}
        <Field label={S.login.relayUrl} hint={S.login.relayUrlHint}>
          <input
            name="relayUrl"
            type="url"
            inputMode="url"
            autoComplete="url"
            value={relayUrl}
            onChange={(e) => setRelayUrl(e.target.value)}
            placeholder="https://crm.asgard-service.ru"
            required
          />
        </Field>
        <Field label={S.login.login}>
          <input name="login" autoComplete="username" value={user} onChange={(e) => setUser(e.target.value)} required autoFocus={!!relayUrl} />
        </Field>
        <Field label={S.login.password}>
          <input name="password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required />
        </Field>
        {error ? (
          <div className="error-box" role="alert" data-testid="login-error">
            {error}
          </div>
        ) : null}
        <button type="submit" className="btn btn-primary btn-block" disabled={busy} data-testid="login-submit">
          {busy ? S.login.submitting : S.login.submit}
        </button>
      </form>
    </div>
  );
}
