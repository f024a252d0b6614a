/**
 * `#/mail/settings`: mail accounts. Presets (Mail.ru, Яндекс, Gmail, Манго Офис, другой),
 * IMAP/SMTP with an app password (hint next to the field, as the guide says) or OAuth for
 * Yandex/Google, «Проверить подключение» before saving, «Отправить тестовое письмо».
 */
import { useEffect, useState } from 'react';
import { call, toAppError } from '../api';
import { Field } from '../components/Field';
import { formatDateTime } from '../format';
import { href } from '../router';
import { toast } from '../stores/toasts';
import { useFormAction } from '../use-form-action';
import type {
  MailAccountInput,
  MailAccountView,
  MailCheckResult,
  MailPreset,
  MailPresetId,
  MailSecurity,
  MailServerSettings,
} from '../../src-shared/ipc/mail';
import { stateLine } from './MailHome';
import { MailRules } from './MailRules';
import { M } from './strings';
import { useMail } from './store';
import { TemplatesSettings } from './Templates';
import { askConfirm } from '../stores/confirm';

interface Draft {
  id?: number;
  preset: MailPresetId;
  name: string;
  email: string;
  login: string;
  password: string;
  signature: string;
  auth: 'password' | 'oauth2';
  imap: { host: string; port: string; security: MailSecurity };
  smtp: { host: string; port: string; security: MailSecurity };
  clientId: string;
  clientSecret: string;
  authUrl: string;
  tokenUrl: string;
  scope: string;
  redirectPort: string;
}

const EMPTY_SERVER = (port: number): Draft['imap'] => ({ host: '', port: String(port), security: 'tls' });

function fromServer(s: MailServerSettings | null, port: number): Draft['imap'] {
  return s ? { host: s.host, port: String(s.port), security: s.security } : EMPTY_SERVER(port);
}

function emptyDraft(p: MailPreset): Draft {
  return {
    preset: p.id,
    name: '',
    email: '',
    login: '',
    password: '',
    signature: '',
    auth: 'password',
    imap: fromServer(p.imap, 993),
    smtp: fromServer(p.smtp, 465),
    clientId: '',
    clientSecret: '',
    authUrl: '',
    tokenUrl: '',
    scope: '',
    redirectPort: '0',
  };
}

function fromAccount(a: MailAccountView): Draft {
  return {
    id: a.id,
    preset: a.preset,
    name: a.name,
    email: a.email,
    login: a.login,
    password: '',
    signature: a.signature,
    auth: a.auth,
    imap: fromServer(a.imap, 993),
    smtp: fromServer(a.smtp, 465),
    clientId: a.oauth?.clientId ?? '',
    clientSecret: '',
    authUrl: '',
    tokenUrl: '',
    scope: '',
    redirectPort: '0',
  };
}

function toInput(d: Draft, preset: MailPreset | undefined): MailAccountInput {
  const provider = preset?.oauth ?? 'custom';
  return {
    id: d.id,
    preset: d.preset,
    name: d.name.trim(),
    email: d.email.trim(),
    login: d.login.trim() || d.email.trim(),
    signature: d.signature,
    imap: { host: d.imap.host.trim(), port: Number(d.imap.port), security: d.imap.security },
    smtp: { host: d.smtp.host.trim(), port: Number(d.smtp.port), security: d.smtp.security },
    auth: d.auth,
    password: d.auth === 'password' && d.password ? d.password : undefined,
    oauth:
      d.auth === 'oauth2'
        ? {
            provider,
            clientId: d.clientId.trim(),
            clientSecret: d.clientSecret ? d.clientSecret : undefined,
            authUrl: provider === 'custom' && d.authUrl ? d.authUrl.trim() : undefined,
            tokenUrl: provider === 'custom' && d.tokenUrl ? d.tokenUrl.trim() : undefined,
            scope: provider === 'custom' && d.scope ? d.scope.trim() : undefined,
            redirectPort: Number(d.redirectPort) || undefined,
          }
        : null,
  };
}

function CheckResult({ r }: { r: MailCheckResult }) {
  return (
    <div className={`test-result mail-check ${r.ok ? 'ok' : 'fail'}`} data-testid="mail-check-result" role="status">
      {r.steps.map((s) => (
        <div key={s.step} className={`mail-check-step ${s.ok ? 'ok-text' : 'error-text'}`}>
          <strong>{s.ok ? '✓' : '✗'}</strong> {s.message}
          {s.hint ? <div className="hint">{s.hint}</div> : null}
        </div>
      ))}
      <div className="muted small">{formatDateTime(r.at)}</div>
    </div>
  );
}

function ServerFields({ label, value, onChange, portLabel, alt }: { label: string; portLabel: string; value: Draft['imap']; onChange: (v: Draft['imap']) => void; alt?: MailServerSettings | null }) {
  return (
    <div className="mail-server-row">
      <Field label={label}>
        <input value={value.host} onChange={(e) => onChange({ ...value, host: e.target.value })} placeholder="imap.example.ru" />
      </Field>
      <Field label={portLabel}>
        <input className="num-input" inputMode="numeric" value={value.port} onChange={(e) => onChange({ ...value, port: e.target.value.replace(/\D/g, '') })} />
      </Field>
      <Field label={M.account.security}>
        <select value={value.security} onChange={(e) => onChange({ ...value, security: e.target.value as MailSecurity })}>
          {(['tls', 'starttls', 'none'] as const).map((s) => (
            <option key={s} value={s}>{M.account.securityNames[s]}</option>
          ))}
        </select>
      </Field>
      {alt ? (
        <button type="button" className="link-btn small" onClick={() => onChange({ host: alt.host, port: String(alt.port), security: alt.security })}>
          {alt.port} {M.account.securityNames[alt.security]}
        </button>
      ) : null}
    </div>
  );
}

export function AccountsSettings({ query }: { query?: URLSearchParams } = {}) {
  const accounts = useMail((s) => s.accounts);
  const states = useMail((s) => s.states);
  const [presets, setPresets] = useState<MailPreset[]>([]);
  const [draft, setDraft] = useState<Draft | null>(null);
  const [check, setCheck] = useState<MailCheckResult | null>(null);
  const { busy, running, error, setError, run } = useFormAction<'save' | 'check' | 'test' | 'oauth' | 'remove'>();
  const [oauthUrl, setOauthUrl] = useState<string | null>(null);
  // «Создать правило…» from the reader: `?account=<id>&rule-from=<address>` opens that account's rules with a new rule.
  const ruleAccount = Number(query?.get('account')) || null;
  const ruleFrom = query?.get('rule-from') ?? null;
  const [ruleOpened, setRuleOpened] = useState(false);
  // «Правила сортировки» pressed on an account's row: its rules, with or without its form.
  const [rulesOf, setRulesOf] = useState<number | null>(null);
  const rulesAccount = rulesOf ?? draft?.id ?? null;
  useEffect(() => {
    if (rulesOf !== null) document.querySelector('[data-testid="mail-rules"]')?.scrollIntoView?.({ block: 'start' });
  }, [rulesOf]);
  useEffect(() => {
    const a = ruleAccount && !ruleOpened ? accounts.find((x) => x.id === ruleAccount) : undefined;
    if (!a) return;
    setRuleOpened(true);
    setDraft(fromAccount(a));
    setCheck(a.lastCheck);
  }, [ruleAccount, ruleOpened, accounts]);

  useEffect(() => {
    void call('mail:presets').then(setPresets).catch((e) => setError(toAppError(e).message));
  }, []);
  useEffect(() => {
    if (!draft && presets.length && !accounts.length) setDraft(emptyDraft(presets[0]));
  }, [presets, accounts.length, draft]);

  const preset = presets.find((p) => p.id === draft?.preset);
  const saved = draft?.id ? accounts.find((a) => a.id === draft.id) : undefined;
  const set = (patch: Partial<Draft>) => setDraft((d) => (d ? { ...d, ...patch } : d));

  const choosePreset = (id: MailPresetId) => {
    const p = presets.find((x) => x.id === id);
    if (!p || !draft) return;
    setDraft({
      ...draft,
      preset: id,
      imap: p.imap ? fromServer(p.imap, 993) : draft.preset === id ? draft.imap : EMPTY_SERVER(993),
      smtp: p.smtp ? fromServer(p.smtp, 465) : draft.preset === id ? draft.smtp : EMPTY_SERVER(465),
      auth: p.oauth ? draft.auth : 'password',
    });
    setCheck(null);
  };

  const save = () =>
    run('save', async () => {
      if (!draft) return;
      const a = await call('mail:accounts:save', toInput(draft, preset));
      setDraft({ ...fromAccount(a) });
      toast.ok(M.account.saved);
      void useMail.getState().load();
    });

  const doCheck = () =>
    run('check', async () => {
      if (!draft) return;
      const input = toInput(draft, preset);
      // Unsaved changes are checked as typed; a saved account without changes by its id.
      setCheck(await call('mail:accounts:check', input));
    });

  const sendTest = () =>
    run('test', async () => {
      if (!draft?.id) return;
      setCheck(await call('mail:accounts:sendTest', { id: draft.id, timeoutSec: 90 }));
    });

  const oauth = () =>
    run('oauth', async () => {
      if (!draft) return;
      const a = await call('mail:accounts:save', toInput(draft, preset));
      setDraft(fromAccount(a));
      const start = await call('mail:oauth:start', { accountId: a.id });
      setOauthUrl(start.url);
      window.open(start.url, '_blank', 'noopener');
      const done = await call('mail:oauth:finish', { flowId: start.flowId, timeoutSec: 300 });
      setOauthUrl(null);
      setDraft(fromAccount(done));
      toast.ok(M.account.oauthConnected);
      void useMail.getState().load();
    }).finally(() => setOauthUrl(null));

  const remove = () =>
    run('remove', async () => {
      if (!draft?.id || !(await askConfirm(M.account.confirmRemove, M.account.remove))) return;
      await call('mail:accounts:delete', { id: draft.id });
      setDraft(null);
      setCheck(null);
      void useMail.getState().load();
    });

  return (
    <div className="page" data-testid="mail-settings">
      <div className="page-head">
        <h1>{M.settings}</h1>
        <a className="btn" href={href('/mail')} data-testid="mail-settings-back">{M.backToMail}</a>
      </div>
      <p className="muted">{M.account.variants}</p>
      <div className="mail-settings-grid">
        <div className="mail-settings-main">
          <div className="card">
            <div className="card-head">
              <h2>{M.account.title}</h2>
              <button type="button" className="btn btn-sm" onClick={() => presets[0] && (setDraft(emptyDraft(presets[0])), setCheck(null))} data-testid="mail-add-account">
                {M.account.add}
              </button>
            </div>
            {accounts.map((a) => {
              const st = stateLine(states[a.id]);
              return (
                <div key={a.id} className={`mail-account-row${draft?.id === a.id ? ' active' : ''}`}>
                  <div className="grow">
                    <div>{a.name ? `${a.name} <${a.email}>` : a.email}</div>
                    <div className={`small mail-state-${st.kind}`}>{st.text}</div>
                  </div>
                  <button
                    type="button"
                    className="btn btn-sm"
                    onClick={() => (setRulesOf(a.id), draft?.id !== undefined && draft.id !== a.id && setDraft(null))}
                    data-testid="mail-account-rules"
                  >
                    {M.account.rules}
                  </button>
                  <button type="button" className="btn btn-sm" onClick={() => (setRulesOf(null), setDraft(fromAccount(a)), setCheck(a.lastCheck))}>
                    {M.account.edit}
                  </button>
                </div>
              );
            })}
          </div>

          {draft ? (
            <form
              className="card form"
              data-testid="mail-account-form"
              onSubmit={(e) => {
                e.preventDefault();
                void save();
              }}
            >
              <Field label={M.account.preset}>
                <select value={draft.preset} onChange={(e) => choosePreset(e.target.value as MailPresetId)} data-testid="mail-preset">
                  {presets.map((p) => (
                    <option key={p.id} value={p.id}>{p.title}</option>
                  ))}
                </select>
              </Field>
              {preset?.note ? <div className="note muted small">{preset.note}</div> : null}
              <div className="form-row">
                <Field label={M.account.email}>
                  <input type="email" value={draft.email} onChange={(e) => set({ email: e.target.value })} placeholder="crm@asgard-service.ru" data-testid="mail-email" required />
                </Field>
                <Field label={M.account.name} hint={M.account.nameHint}>
                  <input value={draft.name} onChange={(e) => set({ name: e.target.value })} />
                </Field>
              </div>
              <Field label={M.account.signature} hint={M.account.signatureHint}>
                <textarea rows={4} value={draft.signature} onChange={(e) => set({ signature: e.target.value })} placeholder={M.account.signaturePlaceholder} data-testid="mail-signature" />
              </Field>
              {preset?.oauth ? (
                <fieldset className="field">
                  <legend>{M.account.authKind}</legend>
                  <label className="check">
                    <input type="radio" checked={draft.auth === 'password'} onChange={() => set({ auth: 'password' })} /> {M.account.authPassword}
                  </label>
                  <label className="check">
                    <input type="radio" checked={draft.auth === 'oauth2'} onChange={() => set({ auth: 'oauth2' })} data-testid="mail-auth-oauth" /> {M.account.authOAuth}
                  </label>
                </fieldset>
              ) : null}
              <div className="form-row">
                <Field label={M.account.login} hint={M.account.loginHint}>
                  <input value={draft.login} onChange={(e) => set({ login: e.target.value })} placeholder={draft.email} />
                </Field>
                {draft.auth === 'password' ? (
                  <Field
                    label={M.account.password}
                    hint={
                      <>
                        {saved?.passwordConfigured ? `${M.account.passwordKeep} ` : ''}
                        {preset?.passwordHint}
                        {preset?.passwordHelpUrl ? (
                          <>
                            {' '}
                            <a href={preset.passwordHelpUrl} target="_blank" rel="noopener noreferrer">{preset.passwordHelpUrl}</a>
                          </>
                        ) : null}
                      </>
                    }
                  >
                    <input type="password" autoComplete="new-password" value={draft.password} onChange={(e) => set({ password: e.target.value })} data-testid="mail-password" />
                  </Field>
                ) : null}
              </div>
              {draft.auth === 'oauth2' ? (
                <div className="mail-oauth">
                  <div className="form-row">
                    <Field label={M.account.clientId} hint={M.account.clientIdHint}>
                      <input value={draft.clientId} onChange={(e) => set({ clientId: e.target.value })} />
                    </Field>
                    <Field label={M.account.clientSecret} hint={saved?.oauth ? M.account.clientSecretKeep : undefined}>
                      <input type="password" autoComplete="off" value={draft.clientSecret} onChange={(e) => set({ clientSecret: e.target.value })} />
                    </Field>
                  </div>
                  {preset?.oauth === 'custom' ? (
                    <div className="form-row">
                      <Field label={M.account.authUrl}>
                        <input value={draft.authUrl} onChange={(e) => set({ authUrl: e.target.value })} />
                      </Field>
                      <Field label={M.account.tokenUrl}>
                        <input value={draft.tokenUrl} onChange={(e) => set({ tokenUrl: e.target.value })} />
                      </Field>
                    </div>
                  ) : null}
                  <Field label={M.account.redirectPort} hint={M.account.redirectPortHint}>
                    <input className="num-input" inputMode="numeric" value={draft.redirectPort} onChange={(e) => set({ redirectPort: e.target.value.replace(/\D/g, '') })} />
                  </Field>
                  <div className="row-gap">
                    <span className={saved?.oauth?.connected ? 'ok-text' : 'muted'}>
                      {saved?.oauth?.connected ? M.account.oauthConnected : M.account.oauthNotConnected}
                    </span>
                    <button type="button" className="btn" disabled={busy} onClick={() => void oauth()}>
                      {running === 'oauth' ? M.account.oauthWaiting : M.account.oauthSignIn}
                    </button>
                    {oauthUrl ? (
                      <a href={oauthUrl} target="_blank" rel="noopener noreferrer">{M.account.oauthOpen}</a>
                    ) : null}
                  </div>
                </div>
              ) : null}
              <ServerFields label={M.account.imapHost} portLabel={M.account.imapPort} value={draft.imap} onChange={(imap) => set({ imap })} />
              <ServerFields label={M.account.smtpHost} portLabel={M.account.smtpPort} value={draft.smtp} onChange={(smtp) => set({ smtp })} alt={preset?.smtpAlt} />
              {error ? <div className="error-box" role="alert">{error}</div> : null}
              {check ? <CheckResult r={check} /> : null}
              <div className="form-actions">
                <button type="button" className="btn" disabled={busy} onClick={() => void doCheck()} data-testid="mail-check">
                  {running === 'check' ? M.account.checking : M.account.check}
                </button>
                <button type="submit" className="btn btn-primary" disabled={busy} data-testid="mail-save">
                  {M.account.save}
                </button>
                <button type="button" className="btn" disabled={busy || !draft.id} onClick={() => void sendTest()} data-testid="mail-send-test">
                  {running === 'test' ? M.account.sendingTest : M.account.sendTest}
                </button>
                {draft.id ? (
                  <button type="button" className="btn btn-ghost" disabled={busy} onClick={() => void remove()}>
                    {M.account.remove}
                  </button>
                ) : null}
              </div>
            </form>
          ) : null}
          {rulesAccount ? <MailRules key={rulesAccount} accountId={rulesAccount} prefillFrom={rulesAccount === ruleAccount ? ruleFrom : null} /> : null}
          <TemplatesSettings />
        </div>
        <aside className="mail-settings-side">
          <div className="card">
            <h3>{M.account.checklist}</h3>
            <h4 className="small-head">{M.account.checklistMail}</h4>
            <ul className="checklist">
              {M.account.checklistItems.map((t, i) => {
                const done =
                  i === 0 ? accounts.length > 0 :
                  i === 1 ? accounts.some((a) => a.passwordConfigured || a.oauth?.connected) :
                  i === 2 ? accounts.some((a) => a.passwordConfigured || a.oauth?.connected) :
                  // The test mail arrived, or real mail went out from the account: sending works.
                  accounts.some((a) => !!a.lastSentAt || (a.lastCheck?.ok && a.lastCheck.steps.some((s) => s.step === 'receive')));
                return <li key={t} className={done ? 'ok-text' : 'muted'}>{done ? '✓' : '○'} {t}</li>;
              })}
            </ul>
          </div>
          <div className="card troubleshooting">
            <h3>{M.account.troubleTitle}</h3>
            <ol>
              {M.account.trouble.map((t) => <li key={t}>{t}</li>)}
            </ol>
          </div>
        </aside>
      </div>
    </div>
  );
}
