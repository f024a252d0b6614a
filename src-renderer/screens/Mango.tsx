/**
 * `#/mango` — Настройки → Телефония (admins only). Fields, buttons, checklist and hints follow
 * the customer's integration guide; employee statuses; status log.
 */
import { useEffect, useMemo, useState } from 'react';
import { ROLE_LABELS, ROLES, type Role } from '../../src-shared/roles';
import { ACCEPTED_OUTCOMES, type Employee, type MangoSettingsView, type MangoTestDraft, type RoutingMode } from '../../src-shared/wire';
import { toAppError } from '../api';
import { copyText } from '../actions';
import { IconCheck, IconCopy } from '../components/icons';
import { Switch } from '../components/Switch';
import { Field } from '../components/Field';
import { AddEmployeeDialog, EmployeeMenu } from '../components/EmployeeDialogs';
import { formatDateTime, formatRubles } from '../format';
import { S } from '../strings';
import { useAdmin } from '../stores/admin';
import { useIsAdmin, useMe } from '../stores/session';
import { toast } from '../stores/toasts';

const MODES: RoutingMode[] = ['popup', 'group', 'api'];

interface Draft {
  apiKey: string;
  apiSalt: string;
  vpbxId: string;
  apiUrl: string;
  enabled: boolean;
  routingMode: RoutingMode;
  groupId: string;
}

function toDraft(m: MangoSettingsView): Draft {
  return {
    apiKey: m.apiKey,
    apiSalt: '',
    vpbxId: m.vpbxId,
    apiUrl: m.apiUrl,
    enabled: m.enabled,
    routingMode: m.routingMode,
    groupId: m.groupId ?? '',
  };
}

/** Only what changed; an empty salt keeps the stored one. */
export function diffMango(m: MangoSettingsView, d: Draft) {
  const patch: { apiKey?: string; apiSalt?: string; vpbxId?: string; apiUrl?: string; enabled?: boolean; routingMode?: RoutingMode; groupId?: string | null } = {};
  if (d.apiKey.trim() !== m.apiKey) patch.apiKey = d.apiKey.trim();
  if (d.apiSalt.trim()) patch.apiSalt = d.apiSalt.trim();
  if (d.vpbxId.trim() !== m.vpbxId) patch.vpbxId = d.vpbxId.trim();
  if (d.apiUrl.trim() !== m.apiUrl) patch.apiUrl = d.apiUrl.trim();
  if (d.enabled !== m.enabled) patch.enabled = d.enabled;
  if (d.routingMode !== m.routingMode) patch.routingMode = d.routingMode;
  const g = d.groupId.trim() || null;
  if (g !== (m.groupId ?? null)) patch.groupId = g;
  return patch;
}

/** What «Тест подключения» sends of the form: the connection fields changed and not saved. */
export function testDraft(patch: ReturnType<typeof diffMango>): MangoTestDraft | undefined {
  const draft: MangoTestDraft = {};
  if (patch.apiKey !== undefined) draft.apiKey = patch.apiKey;
  if (patch.apiSalt !== undefined) draft.apiSalt = patch.apiSalt;
  if (patch.apiUrl !== undefined) draft.apiUrl = patch.apiUrl;
  return Object.keys(draft).length ? draft : undefined;
}

function Forbidden() {
  return (
    <div className="page">
      <div className="forbidden card" data-testid="forbidden">
        <h1>{S.mango.forbidden}</h1>
        <p className="muted">{S.mango.forbiddenHint}</p>
      </div>
    </div>
  );
}

function SettingsForm({ mango }: { mango: MangoSettingsView }) {
  const saveMango = useAdmin((s) => s.saveMango);
  const testMango = useAdmin((s) => s.testMango);
  const testing = useAdmin((s) => s.testing);
  const lastTest = useAdmin((s) => s.lastTest);
  const [d, setD] = useState<Draft>(() => toDraft(mango));
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [testError, setTestError] = useState<string | null>(null);

  useEffect(() => {
    // A fresh view from the relay (after save, or another admin): keep unsaved typing only for the salt.
    setD((cur) => ({ ...toDraft(mango), apiSalt: cur.apiSalt }));
  }, [mango]);

  const patch = diffMango(mango, d);
  const dirty = Object.keys(patch).length > 0;
  const draft = testDraft(patch);

  const save = async () => {
    setSaving(true);
    setError(null);
    try {
      await saveMango(patch);
      setD((cur) => ({ ...cur, apiSalt: '' }));
      toast.ok(S.mango.saved);
    } catch (e) {
      setError(toAppError(e).message);
    } finally {
      setSaving(false);
    }
  };
  const test = async () => {
    setTestError(null);
    try {
      // Typed and not saved yet: tested as typed, so a typo is found before it is saved.
      await testMango(draft);
    } catch (e) {
      setTestError(toAppError(e).message);
    }
  };
  const set = <K extends keyof Draft>(k: K, v: Draft[K]) => setD((cur) => ({ ...cur, [k]: v }));
  const shownTest = lastTest ?? (mango.lastTest ? { ok: mango.lastTest.ok, message: mango.lastTest.message, code: '' } : null);

  return (
    <section className="card" data-testid="mango-form">
      <h2>{S.mango.credentials}</h2>
      <p className="muted small">{S.mango.credentialsHint}</p>
      <form
        className="form"
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        <Field label={S.mango.apiKey} hint={S.mango.apiKeyHint}>
          <input name="apiKey" value={d.apiKey} onChange={(e) => set('apiKey', e.target.value)} autoComplete="off" spellCheck={false} maxLength={200} data-testid="mango-apiKey" />
        </Field>
        <Field label={S.mango.apiSalt} hint={S.mango.apiSaltHint}>
          <input
            name="apiSalt"
            type="password"
            value={d.apiSalt}
            onChange={(e) => set('apiSalt', e.target.value)}
            autoComplete="new-password"
            spellCheck={false}
            maxLength={200}
            placeholder={mango.saltConfigured ? S.mango.apiSaltPlaceholderSet(mango.apiSaltMasked) : S.mango.apiSaltPlaceholderUnset}
            data-testid="mango-apiSalt"
          />
        </Field>
        <div className="form-row">
          <Field label={S.mango.vpbxId} hint={S.mango.vpbxIdHint}>
            <input name="vpbxId" value={d.vpbxId} onChange={(e) => set('vpbxId', e.target.value)} autoComplete="off" spellCheck={false} maxLength={100} placeholder="vpbx123456" data-testid="mango-vpbxId" />
          </Field>
          <Field label={S.mango.apiUrl} hint={S.mango.apiUrlHint}>
            <input name="apiUrl" value={d.apiUrl} onChange={(e) => set('apiUrl', e.target.value)} autoComplete="off" spellCheck={false} maxLength={500} placeholder="https://app.mango-office.ru/vpbx/" data-testid="mango-apiUrl" />
          </Field>
        </div>
        <label className="check">
          <input type="checkbox" checked={d.enabled} onChange={(e) => set('enabled', e.target.checked)} data-testid="mango-enabled" />
          <span>{S.mango.enabled}</span>
        </label>
        {!d.enabled && <p className="muted small" data-testid="mango-enabled-off">{S.mango.enabledOffHint}</p>}
        <fieldset className="field routing">
          <legend>{S.mango.routing}</legend>
          {MODES.map((m) => (
            <label key={m} className={`radio-card${d.routingMode === m ? ' selected' : ''}`}>
              <input type="radio" name="routingMode" value={m} checked={d.routingMode === m} onChange={() => set('routingMode', m)} data-testid={`mango-mode-${m}`} />
              <span>
                <strong>{S.mango.routingModes[m].title}</strong>
                <small>{S.mango.routingModes[m].text}</small>
              </span>
            </label>
          ))}
        </fieldset>
        {d.routingMode === 'group' ? (
          <Field
            label={S.mango.groupId}
            hint={S.mango.groupIdHint}
            extra={
              mango.lastGroupSync ? (
                <small className={mango.lastGroupSync.ok ? 'ok-text' : 'error-text'}>
                  {S.mango.groupSync}: {formatDateTime(mango.lastGroupSync.at)} — {mango.lastGroupSync.message}
                </small>
              ) : null
            }
          >
            <input name="groupId" value={d.groupId} onChange={(e) => set('groupId', e.target.value)} maxLength={50} data-testid="mango-groupId" />
          </Field>
        ) : null}
        {error ? (
          <div className="error-box" role="alert">
            {error}
          </div>
        ) : null}
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={saving || !dirty} data-testid="mango-save">
            {saving ? S.saving : S.mango.save}
          </button>
          <button type="button" className="btn" disabled={testing} onClick={() => void test()} data-testid="mango-test">
            {testing ? S.mango.testing : S.mango.test}
          </button>
          {draft ? <span className="muted small" data-testid="mango-test-draft-hint">{S.mango.testDraftHint}</span> : null}
        </div>
        {testError ? (
          <div className="test-result fail" role="alert" data-testid="mango-test-result" data-ok="false">
            <strong>{S.mango.testFail}</strong>
            <span>{testError}</span>
          </div>
        ) : shownTest ? (
          <div className={`test-result ${shownTest.ok ? 'ok' : 'fail'}`} role="status" data-testid="mango-test-result" data-ok={String(shownTest.ok)} data-draft={String(!!lastTest?.draft)}>
            <strong>{shownTest.ok ? S.mango.testOk : S.mango.testFail}</strong>
            <span>{shownTest.message}</span>
            {lastTest?.employeesFound != null && !shownTest.message.includes(String(lastTest.employeesFound)) ? (
              <span className="small">{S.mango.employeesFound(lastTest.employeesFound)}</span>
            ) : null}
            {lastTest?.balance != null ? <span className="small">{S.mango.balance(formatRubles(lastTest.balance))}</span> : null}
            {lastTest?.draft ? <span className="small muted">{shownTest.ok ? S.mango.testedDraftOk : S.mango.testedDraft}</span> : null}
            {!lastTest && mango.lastTest ? <span className="small muted">{S.mango.lastTest}: {formatDateTime(mango.lastTest.at)}</span> : null}
          </div>
        ) : null}
      </form>
    </section>
  );
}

/**
 * Why Mango could not deliver to this address: it is this computer's or a private network's
 * (the relay started without PUBLIC_URL), or plain HTTP, which Mango does not post to.
 */
export function webhookUrlProblem(url: string): 'private' | 'http' | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return 'private';
  }
  const host = u.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const privateHost =
    host === 'localhost' || host.endsWith('.localhost') || host.endsWith('.local') || host === '::1' || host === '0.0.0.0' ||
    /^(127|10)\./.test(host) || /^192\.168\./.test(host) || /^172\.(1[6-9]|2\d|3[01])\./.test(host) || /^169\.254\./.test(host) ||
    /^f[cd][0-9a-f]{2}:/.test(host) || /^fe80:/.test(host) || !host.includes('.') && !host.includes(':');
  if (privateHost) return 'private';
  return u.protocol === 'https:' ? null : 'http';
}

function Webhook({ mango }: { mango: MangoSettingsView }) {
  const [copied, setCopied] = useState(false);
  const problem = webhookUrlProblem(mango.webhookUrl);
  return (
    <section className="card" data-testid="mango-webhook">
      <h2>{S.mango.webhook}</h2>
      <p className="muted small">{S.mango.webhookHint}</p>
      <div className="copy-row">
        <code className="webhook-url" data-testid="webhook-url">
          {mango.webhookUrl}
        </code>
        <button
          type="button"
          className="btn btn-sm"
          onClick={async () => {
            if (await copyText(mango.webhookUrl)) {
              setCopied(true);
              setTimeout(() => setCopied(false), 2000);
            }
          }}
          data-testid="webhook-copy"
        >
          {copied ? <IconCheck size={14} /> : <IconCopy size={14} />}
          {copied ? S.mango.copied : S.mango.copy}
        </button>
      </div>
      {problem ? (
        <p className="warn-box small" data-testid="webhook-url-problem">
          {problem === 'private' ? S.mango.webhookPrivate : S.mango.webhookHttp}
        </p>
      ) : null}
      <p className="small">
        {S.mango.lastWebhook}: {mango.lastWebhookAt ? formatDateTime(mango.lastWebhookAt) : <span className="muted">{S.mango.never}</span>}
      </p>
    </section>
  );
}

const JOURNAL_PERIODS = [24, 168];
const JOURNAL_REFRESH_MS = 30_000;

/** What the relay answered Mango's callbacks: the integration guide's «логи webhook», in the panel. */
function WebhookJournalCard() {
  const journal = useAdmin((s) => s.journal);
  const hours = useAdmin((s) => s.journalHours);
  const error = useAdmin((s) => s.journalError);
  const load = useAdmin((s) => s.loadJournal);
  useEffect(() => {
    const t = setInterval(() => void load(), JOURNAL_REFRESH_MS);
    return () => clearInterval(t);
  }, [load]);
  return (
    <section className="card" data-testid="webhook-journal">
      <div className="card-head">
        <h2>{S.mango.journal}</h2>
        <div className="card-head-actions">
          <select value={hours} onChange={(e) => void load(Number(e.target.value))} data-testid="journal-period" aria-label={S.mango.journal}>
            {JOURNAL_PERIODS.map((h) => (
              <option key={h} value={h}>
                {S.mango.journalPeriods[h]}
              </option>
            ))}
          </select>
          <button type="button" className="btn btn-sm" onClick={() => void load()} data-testid="journal-refresh">
            {S.mango.journalRefresh}
          </button>
        </div>
      </div>
      <p className="muted small">{S.mango.journalHint}</p>
      {error ? <div className="error-box">{error}</div> : null}
      {!journal ? (
        !error ? <p className="muted">{S.loading}</p> : null
      ) : journal.rows.length === 0 ? (
        <p className="muted empty" data-testid="journal-empty">{S.mango.journalEmpty}</p>
      ) : (
        <>
          <p className="small" data-testid="journal-totals">{S.mango.journalTotals(journal.accepted, journal.refused)}</p>
          <div className="table-scroll">
            <table className="table">
              <thead>
                <tr>
                  <th>{S.mango.colLast}</th>
                  <th>{S.mango.colOutcome}</th>
                  <th>{S.mango.colKind}</th>
                  <th>{S.mango.colAddress}</th>
                  <th>{S.mango.colCount}</th>
                </tr>
              </thead>
              <tbody>
                {journal.rows.map((r) => {
                  const o = S.mango.outcomes[r.outcome] as { label: string; hint?: string };
                  const accepted = ACCEPTED_OUTCOMES.includes(r.outcome);
                  return (
                    <tr key={`${r.outcome}|${r.kind}|${r.ip}`} data-testid="journal-row" data-outcome={r.outcome}>
                      <td className="nowrap" title={formatDateTime(r.firstAt)}>
                        {formatDateTime(r.lastAt)}
                      </td>
                      <td>
                        <span className={`badge ${accepted ? 'badge-answered' : 'badge-missed'}`}>{o.label}</span>
                        {o.hint ? <div className="muted small">{o.hint}</div> : null}
                      </td>
                      <td>{S.mango.kinds[r.kind] ?? r.kind}</td>
                      <td className="nowrap">{r.ip === '*' ? S.mango.anyAddress : r.ip}</td>
                      <td>{r.count}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}

export function checklist(m: MangoSettingsView, employees: Employee[], lastTestOk: boolean | null) {
  return [
    { key: 'key', label: S.mango.check.key, done: !!m.apiKey.trim() },
    { key: 'salt', label: S.mango.check.salt, done: m.saltConfigured },
    { key: 'host', label: S.mango.check.host, done: !!m.apiUrl.trim() },
    // Not in the guide's list but its step 4: forgotten, popups work and «Позвонить» is refused.
    { key: 'enabled', label: S.mango.check.enabled, done: m.enabled },
    { key: 'test', label: S.mango.check.test, done: lastTestOk ?? !!m.lastTest?.ok },
    { key: 'statuses', label: S.mango.check.statuses, done: employees.some((e) => e.active && e.acceptCalls && !!e.extension) },
    { key: 'webhook', label: S.mango.check.webhook, done: !!m.lastWebhookAt },
  ];
}

function Checklist({ mango }: { mango: MangoSettingsView }) {
  const employees = useAdmin((s) => s.employees);
  const lastTest = useAdmin((s) => s.lastTest);
  // A draft's test says nothing about the saved settings the checklist is about.
  const items = checklist(mango, employees, lastTest && !lastTest.draft ? lastTest.ok : null);
  const done = items.filter((i) => i.done).length;
  return (
    <section className="card" data-testid="mango-checklist">
      <div className="card-head">
        <h2>{S.mango.checklist}</h2>
        <span className={`count-badge${done === items.length ? ' count-ok' : ''}`}>
          {done} / {items.length}
        </span>
      </div>
      <h3 className="small-head">{S.mango.checklistPhone}</h3>
      <ul className="checklist">
        {items.map((i) => (
          <li key={i.key} className={i.done ? 'done' : ''} data-testid={`check-${i.key}`} data-done={String(i.done)}>
            <span className="check-box">{i.done ? <IconCheck size={14} /> : null}</span>
            {i.label}
          </li>
        ))}
      </ul>
    </section>
  );
}

function Troubleshooting() {
  return (
    <section className="card troubleshooting">
      <h2>{S.mango.troubleshooting}</h2>
      {S.mango.troubles.map((t) => (
        <div key={t.title}>
          <h3 className="small-head">{t.title}</h3>
          <ol>
            {t.items.map((x) => (
              <li key={x}>{x}</li>
            ))}
          </ol>
        </div>
      ))}
      <p className="muted small" data-testid="mango-help">
        {S.mango.helpDocsLabel}:{' '}
        {/* target=_blank: the shell opens it in the browser (security.ts, external-url.ts). */}
        <a href={S.mango.helpDocsUrl} target="_blank" rel="noopener noreferrer">
          {S.mango.helpDocsUrl.replace(/^https:\/\//, '')}
        </a>{' '}
        · {S.mango.helpPhoneLabel}:{' '}
        <a href={S.mango.helpPhoneTel} className="nowrap">
          {S.mango.helpPhone}
        </a>
      </p>
    </section>
  );
}

function ExtensionInput({ employee }: { employee: Employee }) {
  const update = useAdmin((s) => s.updateEmployee);
  const [v, setV] = useState(employee.extension ?? '');
  useEffect(() => setV(employee.extension ?? ''), [employee.extension]);
  const commit = async () => {
    const next = v.trim() || null;
    if (next === (employee.extension ?? null)) return;
    try {
      await update(employee.id, { extension: next });
      toast.ok(S.mango.extensionSaved);
    } catch (e) {
      setV(employee.extension ?? '');
      toast.error(toAppError(e).message);
    }
  };
  return (
    <input
      className="input-sm ext-input"
      value={v}
      inputMode="numeric"
      maxLength={20}
      onChange={(e) => setV(e.target.value)}
      onBlur={() => void commit()}
      onKeyDown={(e) => {
        if (e.key === 'Enter') (e.target as HTMLInputElement).blur();
        if (e.key === 'Escape') setV(employee.extension ?? '');
      }}
      aria-label={`${S.mango.colExtension}: ${employee.name}`}
      data-testid="employee-extension"
    />
  );
}

function Employees() {
  const employees = useAdmin((s) => s.employees);
  const loaded = useAdmin((s) => s.employeesLoaded);
  const error = useAdmin((s) => s.employeesError);
  const importing = useAdmin((s) => s.importing);
  const importUsers = useAdmin((s) => s.importUsers);
  const update = useAdmin((s) => s.updateEmployee);
  const me = useMe();
  const [adding, setAdding] = useState(false);
  return (
    <section className="card" data-testid="mango-employees">
      <div className="card-head">
        <h2>{S.mango.employees}</h2>
        <div className="card-head-actions">
          <button type="button" className="btn btn-sm btn-primary" data-testid="add-employee" onClick={() => setAdding(true)}>
            {S.employees.add}
          </button>
          <button
            type="button"
            className="btn btn-sm"
            disabled={importing}
            data-testid="import-users"
            onClick={async () => {
              try {
                const r = await importUsers();
                toast.ok(S.mango.imported(r.created, r.updated));
              } catch (e) {
                toast.error(toAppError(e).message);
              }
            }}
          >
            {importing ? S.mango.importing : S.mango.importUsers}
          </button>
        </div>
      </div>
      {adding ? <AddEmployeeDialog onClose={() => setAdding(false)} /> : null}
      <p className="muted small">{S.mango.employeesHint}</p>
      {error ? <div className="error-box">{error}</div> : null}
      {!loaded ? (
        <p className="muted">{S.loading}</p>
      ) : employees.length === 0 ? (
        <p className="muted empty">{S.mango.noEmployees}</p>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th>{S.mango.colName}</th>
              <th>{S.mango.colRole}</th>
              <th>{S.mango.colExtension}</th>
              <th>{S.mango.colOnline}</th>
              <th>{S.mango.colAccept}</th>
              <th className="row-actions" aria-label={S.employees.actionsCol} />
            </tr>
          </thead>
          <tbody>
            {employees.map((e) => {
              const self = me?.id === e.id;
              return (
                <tr key={e.id} className={e.active ? '' : 'inactive'} data-testid="employee-row" data-employee-id={e.id} data-login={e.login}>
                  <td>
                    <div className="emp-name">{e.name}</div>
                    <div className="muted small">
                      {e.login}
                      {self ? ` · ${S.employees.you}` : ''}
                      {e.active ? '' : ` · ${S.mango.inactive}`}
                    </div>
                  </td>
                  <td>
                    <select
                      className="input-sm"
                      value={e.role}
                      aria-label={`${S.mango.colRole}: ${e.name}`}
                      title={self ? S.employees.selfRole : undefined}
                      data-testid="employee-role"
                      onChange={(ev) => void update(e.id, { role: ev.target.value as Role }).catch((err) => toast.error(toAppError(err).message))}
                    >
                      {ROLES.map((r) => (
                        // One's own admin role cannot be taken away here (nor on the relay).
                        <option key={r} value={r} disabled={self && e.role === 'admin' && r !== 'admin'}>
                          {ROLE_LABELS[r]}
                        </option>
                      ))}
                    </select>
                  </td>
                  <td>
                    <ExtensionInput employee={e} />
                  </td>
                  <td>
                    <span className={`presence ${e.online ? 'on' : 'off'}`} data-testid="employee-online" data-online={String(!!e.online)}>
                      <span className="conn-dot" />
                      {e.online ? S.mango.online : S.mango.offline}
                    </span>
                  </td>
                  <td>
                    <Switch
                      checked={e.acceptCalls}
                      label={`${S.mango.colAccept}: ${e.name}`}
                      testId="employee-accept"
                      onChange={(v) => void update(e.id, { acceptCalls: v }).catch((err) => toast.error(toAppError(err).message))}
                    />
                  </td>
                  <td className="row-actions">
                    <EmployeeMenu employee={e} self={self} />
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}

function StatusLog() {
  const log = useAdmin((s) => s.statusLog);
  const loaded = useAdmin((s) => s.logLoaded);
  const employees = useAdmin((s) => s.employees);
  const names = useMemo(() => new Map(employees.map((e) => [e.id, e.name])), [employees]);
  return (
    <section className="card" data-testid="status-log">
      <h2>{S.mango.statusLog}</h2>
      {!loaded ? (
        <p className="muted">{S.loading}</p>
      ) : log.length === 0 ? (
        <p className="muted empty">{S.mango.statusLogEmpty}</p>
      ) : (
        <div className="table-scroll">
          <table className="table">
            <thead>
              <tr>
                <th>{S.mango.colWhen}</th>
                <th>{S.mango.colName}</th>
                <th>{S.mango.colChange}</th>
                <th>{S.mango.colWho}</th>
              </tr>
            </thead>
            <tbody>
              {log.slice(0, 200).map((c, i) => (
                <tr key={`${c.employeeId}-${c.at}-${i}`} data-testid="status-log-row">
                  <td className="nowrap">{formatDateTime(c.at)}</td>
                  <td>{names.get(c.employeeId) ?? `#${c.employeeId}`}</td>
                  <td>
                    <span className={`badge ${c.acceptCalls ? 'badge-answered' : 'badge-missed'}`}>{c.acceptCalls ? S.mango.logOn : S.mango.logOff}</span>
                  </td>
                  <td>{c.changedBy == null ? S.mango.logSystem : c.changedBy === c.employeeId ? S.mango.logSelf : (c.changedByName ?? names.get(c.changedBy) ?? `#${c.changedBy}`)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

export function Mango() {
  const isAdmin = useIsAdmin();
  const mango = useAdmin((s) => s.mango);
  const mangoError = useAdmin((s) => s.mangoError);
  const forbidden = useAdmin((s) => s.forbidden);
  const loadAll = useAdmin((s) => s.loadAll);
  useEffect(() => {
    if (isAdmin) void loadAll();
  }, [isAdmin, loadAll]);

  if (!isAdmin || forbidden) return <Forbidden />;
  return (
    <div className="page mango">
      <header className="page-head">
        <h1>{S.mango.title}</h1>
      </header>
      {mangoError && !mango ? <div className="error-box">{mangoError}</div> : null}
      {!mango ? (
        !mangoError ? <p className="muted">{S.loading}</p> : null
      ) : (
        <div className="mango-grid">
          <div className="mango-main">
            <SettingsForm mango={mango} />
          </div>
          <div className="mango-side">
            <Checklist mango={mango} />
            <Webhook mango={mango} />
            <Troubleshooting />
          </div>
        </div>
      )}
      {mango ? <WebhookJournalCard /> : null}
      <Employees />
      <StatusLog />
    </div>
  );
}
