/**
 * «Правила» of one account in the mail settings: the ordered list (switch, ↑/↓, «Применить
 * сейчас», delete) and the form (conditions ALL/ANY, actions, «остановить обработку»). The core
 * applies them to new INBOX mail; a rule whose folder is gone is marked for attention here.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { call, toAppError } from '../api';
import { Field } from '../components/Field';
import { Switch } from '../components/Switch';
import { toast } from '../stores/toasts';
import { useFormAction } from '../use-form-action';
import type { MailFolderView, MailRuleCondition, MailRuleInput, MailRuleView } from '../../src-shared/ipc/mail';
import { M, folderTitle } from './strings';
import { useMail } from './store';
import { askConfirm } from '../stores/confirm';

const R = M.rules;
type CondField = MailRuleCondition['field'];
type Op = MailRuleCondition['op'];

interface Draft {
  id?: number;
  name: string;
  enabled: boolean;
  match: 'all' | 'any';
  conditions: { field: CondField; op: Op; value: string }[];
  move: boolean;
  moveTo: number | null;
  markRead: boolean;
  flag: boolean;
  trash: boolean;
  stop: boolean;
}

const NEW_DRAFT: Draft = { name: '', enabled: true, match: 'all', conditions: [{ field: 'from', op: 'contains', value: '' }], move: false, moveTo: null, markRead: false, flag: false, trash: false, stop: false };

function fromRule(r: MailRuleView): Draft {
  return {
    id: r.id,
    name: r.name,
    enabled: r.enabled,
    match: r.match,
    conditions: r.conditions.map((c) => ({ ...c })),
    move: r.actions.moveTo !== null,
    moveTo: r.target?.id ?? r.actions.moveTo,
    markRead: r.actions.markRead,
    flag: r.actions.flag,
    trash: r.actions.delete,
    stop: r.stop,
  };
}

function toInput(accountId: number, d: Draft): MailRuleInput {
  return {
    id: d.id,
    accountId,
    name: d.name.trim(),
    enabled: d.enabled,
    match: d.match,
    conditions: d.conditions.map((c) => ({ field: c.field, op: c.field === 'from' ? c.op : 'contains', value: c.value.trim() })),
    actions: { moveTo: d.move ? d.moveTo : null, markRead: d.markRead, flag: d.flag, delete: d.trash },
    stop: d.stop,
  };
}

function summary(r: MailRuleView): string {
  const conds = r.conditions.map((c) => `${R.fields[c.field]} ${R.ops[c.op]} «${c.value}»`).join(r.match === 'all' ? ' и ' : ' или ');
  const acts = [
    r.actions.delete ? R.summaryTrash : r.actions.moveTo !== null ? R.summaryMove(r.target ? folderTitle({ ...r.target, specialUse: null }) : (r.targetPath ?? '?')) : '',
    r.actions.markRead ? R.summaryRead : '',
    r.actions.flag ? R.summaryFlag : '',
    r.stop ? R.summaryStop : '',
  ].filter(Boolean);
  return `${conds} → ${acts.join(', ')}`;
}

/** A controlled folder picker (FolderSelect is a pick-and-act menu, not a field holding a value). */
function TargetSelect({ folders, value, onChange, disabled }: { folders: MailFolderView[]; value: number | null; onChange: (id: number) => void; disabled: boolean }) {
  return (
    <select value={value ?? ''} disabled={disabled} onChange={(e) => onChange(Number(e.target.value))} data-testid="mail-rule-target" aria-label={R.move}>
      <option value="" disabled>{R.pickFolder}</option>
      {folders.map((f) => (
        <option key={f.id} value={f.id} data-path={f.path}>{'\u00a0\u00a0\u00a0'.repeat(f.depth) + folderTitle(f)}</option>
      ))}
    </select>
  );
}

export function MailRules({ accountId, prefillFrom }: { accountId: number; prefillFrom?: string | null }) {
  const allFolders = useMail((s) => s.folders);
  const email = useMail((s) => s.accounts.find((a) => a.id === accountId)?.email ?? '');
  const folders = useMemo(() => allFolders.filter((f) => f.accountId === accountId && f.path.toUpperCase() !== 'INBOX'), [allFolders, accountId]);
  const [rules, setRules] = useState<MailRuleView[]>([]);
  const [draft, setDraft] = useState<Draft | null>(null);
  const { busy, error, setError, run } = useFormAction<'save' | 'toggle' | 'move' | 'remove' | 'apply'>();
  const formRef = useRef<HTMLFormElement>(null);

  const reload = useCallback(async () => {
    try {
      setRules(await call('mail:rules:list', { accountId }));
    } catch (e) {
      setError(toAppError(e).message);
    }
  }, [accountId, setError]);
  // Folder changes (deleted, renamed) change which rules need attention.
  useEffect(() => {
    void reload();
  }, [reload, allFolders]);
  useEffect(() => {
    setDraft(prefillFrom ? { ...NEW_DRAFT, name: `Письма от ${prefillFrom}`, conditions: [{ field: 'from', op: 'equals', value: prefillFrom }] } : null);
  }, [accountId, prefillFrom]);
  // Opened from the reader: the new rule's form is below the account's settings.
  useEffect(() => {
    if (prefillFrom) formRef.current?.scrollIntoView({ block: 'center' });
  }, [prefillFrom, draft !== null]);

  const set = (patch: Partial<Draft>) => setDraft((d) => (d ? { ...d, ...patch } : d));
  const setCond = (i: number, patch: Partial<Draft['conditions'][number]>) =>
    setDraft((d) => (d ? { ...d, conditions: d.conditions.map((c, j) => (j === i ? { ...c, ...patch } : c)) } : d));

  const save = () =>
    run('save', async () => {
      if (!draft) return;
      if (!draft.name.trim()) throw new Error(R.needName);
      if (draft.move && draft.moveTo === null) throw new Error(R.needFolder);
      await call('mail:rules:save', toInput(accountId, draft));
      setDraft(null);
      toast.ok(R.saved);
      await reload();
    });

  const toggle = (r: MailRuleView, enabled: boolean) =>
    run('toggle', async () => {
      await call('mail:rules:save', { ...toInput(accountId, fromRule(r)), enabled });
      await reload();
    });

  const moveRule = (i: number, by: -1 | 1) =>
    run('move', async () => {
      const ids = rules.map((r) => r.id);
      [ids[i], ids[i + by]] = [ids[i + by], ids[i]];
      setRules(await call('mail:rules:reorder', { accountId, ids }));
    });

  const remove = (r: MailRuleView) =>
    run('remove', async () => {
      if (!(await askConfirm(R.confirmRemove(r.name), R.remove))) return;
      await call('mail:rules:delete', { id: r.id });
      if (draft?.id === r.id) setDraft(null);
      toast.ok(R.removed);
      await reload();
    });

  const apply = (r: MailRuleView) =>
    run('apply', async () => {
      const res = await call('mail:rules:apply', { id: r.id, limit: 5000 });
      toast.ok(R.applied(res.matched, res.scanned));
    });

  return (
    <div className="card mail-rules" data-testid="mail-rules">
      <div className="card-head">
        <h2>
          {R.title} <span className="muted small">{email}</span>
        </h2>
        <button type="button" className="btn btn-sm" disabled={busy} onClick={() => setDraft({ ...NEW_DRAFT, conditions: NEW_DRAFT.conditions.map((c) => ({ ...c })) })} data-testid="mail-rule-add">
          {R.add}
        </button>
      </div>
      <p className="muted small">{R.intro}</p>
      {rules.length ? (
        <ol className="mail-rule-list">
          {rules.map((r, i) => (
            <li key={r.id} className={`mail-rule-row${r.enabled ? '' : ' off'}${r.needsAttention ? ' attention' : ''}`} data-testid="mail-rule-row" data-name={r.name}>
              <Switch checked={r.enabled} disabled={busy} label={R.enabled(r.name)} onChange={(on) => void toggle(r, on)} testId="mail-rule-enabled" />
              <div className="grow">
                <div className="mail-rule-name">
                  {r.name}
                  {r.enabled ? null : <span className="muted small"> — {R.off}</span>}
                </div>
                <div className="muted small mail-rule-summary">{summary(r)}</div>
                {r.needsAttention ? (
                  <div className="mail-rule-attention small" role="status" data-testid="mail-rule-attention">
                    ⚠ {R.attention(r.targetPath ?? '?')}
                  </div>
                ) : null}
              </div>
              <div className="mail-rule-buttons">
                <button type="button" className="btn btn-sm btn-ghost" disabled={busy || i === 0} onClick={() => void moveRule(i, -1)} title={R.up} aria-label={`${R.up}: ${r.name}`} data-testid="mail-rule-up">↑</button>
                <button type="button" className="btn btn-sm btn-ghost" disabled={busy || i === rules.length - 1} onClick={() => void moveRule(i, 1)} title={R.down} aria-label={`${R.down}: ${r.name}`} data-testid="mail-rule-down">↓</button>
                <button type="button" className="btn btn-sm" disabled={busy} onClick={() => void apply(r)} title={R.applyHint} data-testid="mail-rule-apply">{R.apply}</button>
                <button type="button" className="btn btn-sm" disabled={busy} onClick={() => setDraft({ ...fromRule(r), moveTo: r.target?.id ?? null })} data-testid="mail-rule-edit">{R.edit}</button>
                <button type="button" className="btn btn-sm btn-ghost" disabled={busy} onClick={() => void remove(r)} data-testid="mail-rule-remove">{R.remove}</button>
              </div>
            </li>
          ))}
        </ol>
      ) : (
        <p className="muted">{R.empty}</p>
      )}
      {error && !draft ? <div className="error-box" role="alert">{error}</div> : null}

      {draft ? (
        <form
          ref={formRef}
          className="form mail-rule-form"
          data-testid="mail-rule-form"
          onSubmit={(e) => {
            e.preventDefault();
            void save();
          }}
        >
          <h3>{draft.id ? R.formTitleEdit : R.formTitleNew}</h3>
          <Field label={R.name}>
            <input value={draft.name} onChange={(e) => set({ name: e.target.value })} placeholder={R.namePlaceholder} data-testid="mail-rule-name" />
          </Field>
          <Field label={R.match}>
            <select value={draft.match} onChange={(e) => set({ match: e.target.value as Draft['match'] })} data-testid="mail-rule-match">
              <option value="all">{R.matchAll}</option>
              <option value="any">{R.matchAny}</option>
            </select>
          </Field>
          {draft.conditions.map((c, i) => (
            <div className="mail-rule-cond" key={i} data-testid="mail-rule-cond">
              <select aria-label={R.field} value={c.field} onChange={(e) => setCond(i, { field: e.target.value as CondField, op: e.target.value === 'from' ? c.op : 'contains' })} data-testid="mail-rule-field">
                {(['from', 'to', 'subject', 'body'] as const).map((f) => (
                  <option key={f} value={f}>{R.fields[f]}</option>
                ))}
              </select>
              <select aria-label={R.op} value={c.op} onChange={(e) => setCond(i, { op: e.target.value as Op })} data-testid="mail-rule-op">
                {(c.field === 'from' ? (['contains', 'equals', 'domain'] as const) : (['contains'] as const)).map((o) => (
                  <option key={o} value={o}>{R.ops[o]}</option>
                ))}
              </select>
              <input aria-label={R.value} className="grow" value={c.value} placeholder={R.valuePlaceholder[c.op]} onChange={(e) => setCond(i, { value: e.target.value })} data-testid="mail-rule-value" />
              {draft.conditions.length > 1 ? (
                <button type="button" className="btn btn-sm btn-ghost" onClick={() => set({ conditions: draft.conditions.filter((_, j) => j !== i) })} aria-label={R.removeCondition} title={R.removeCondition}>✕</button>
              ) : null}
            </div>
          ))}
          <div>
            <button type="button" className="link-btn small" disabled={draft.conditions.length >= 20} onClick={() => set({ conditions: [...draft.conditions, { field: 'subject', op: 'contains', value: '' }] })} data-testid="mail-rule-add-cond">
              {R.addCondition}
            </button>
          </div>
          {draft.conditions.some((c) => c.field === 'body') ? <div className="muted small">{R.bodyNote}</div> : null}
          <fieldset className="mail-rule-actions">
            <legend>{R.actions}</legend>
            <div className="mail-rule-move">
              <label className="check">
                <input type="checkbox" checked={draft.move} disabled={draft.trash} onChange={(e) => set({ move: e.target.checked })} data-testid="mail-rule-move" /> {R.move}
              </label>
              <TargetSelect folders={folders} value={draft.moveTo} disabled={draft.trash} onChange={(id) => set({ moveTo: id, move: true })} />
            </div>
            <label className="check">
              <input type="checkbox" checked={draft.markRead} onChange={(e) => set({ markRead: e.target.checked })} data-testid="mail-rule-read" /> {R.markRead}
            </label>
            <label className="check">
              <input type="checkbox" checked={draft.flag} onChange={(e) => set({ flag: e.target.checked })} data-testid="mail-rule-flag" /> {R.flag}
            </label>
            <label className="check">
              <input type="checkbox" checked={draft.trash} onChange={(e) => set({ trash: e.target.checked, move: e.target.checked ? false : draft.move })} data-testid="mail-rule-trash" /> {R.trash}
            </label>
          </fieldset>
          <label className="check">
            <input type="checkbox" checked={draft.stop} onChange={(e) => set({ stop: e.target.checked })} data-testid="mail-rule-stop" /> {R.stop}
          </label>
          {error ? <div className="error-box" role="alert" data-testid="mail-rule-error">{error}</div> : null}
          <div className="form-actions">
            <button type="submit" className="btn btn-primary" disabled={busy} data-testid="mail-rule-save">{R.save}</button>
            <button type="button" className="btn" disabled={busy} onClick={() => (setDraft(null), setError(null))}>{R.cancel}</button>
          </div>
        </form>
      ) : null}
    </div>
  );
}
