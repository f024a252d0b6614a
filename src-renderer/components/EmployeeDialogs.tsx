/**
 * #/mango «Статусы сотрудников»: «Добавить сотрудника», and the row's «⋯» menu — «Изменить ФИО…»,
 * «Задать пароль…», «Отключить»/«Включить». Checks run before the request, with the reason next
 * to the field; the relay's refusal (a login already taken) stays in the dialog, never lost.
 * An admin cannot switch themselves off (the relay refuses it too).
 */
import { useEffect, useId, useState, type ReactNode } from 'react';
import { createPortal } from 'react-dom';
import { ROLE_LABELS, ROLES, type Role } from '../../src-shared/roles';
import type { Employee } from '../../src-shared/wire';
import { toAppError } from '../api';
import { useMenu } from '../mail/MoreMenu';
import { S } from '../strings';
import { useAdmin } from '../stores/admin';
import { toast } from '../stores/toasts';
import { Modal } from './Modal';

const E = S.employees;
export const PASSWORD_MIN = 6;
/** No look-alikes (0/O, 1/l/I): the password is read out or typed from a note. */
const ALPHABET = 'abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';

/** A random password of `length` characters, with at least one letter and one digit. */
export function generatePassword(length = 10): string {
  for (;;) {
    const bytes = new Uint32Array(length);
    crypto.getRandomValues(bytes);
    const pw = Array.from(bytes, (b) => ALPHABET[b % ALPHABET.length]).join('');
    if (/\d/.test(pw) && /[a-z]/i.test(pw)) return pw;
  }
}

export interface NewEmployeeDraft {
  name: string;
  login: string;
  role: Role;
  extension: string;
  email: string;
  password: string;
}
export type DraftErrors = Partial<Record<keyof NewEmployeeDraft, string>>;

export function passwordError(pw: string): string | undefined {
  if (!pw) return E.required;
  if (pw.length < PASSWORD_MIN) return E.passwordShort;
  return undefined;
}

/** Pure: what is wrong with the form, per field (empty when it can be sent). */
export function validateNewEmployee(d: NewEmployeeDraft): DraftErrors {
  const errors: DraftErrors = {};
  if (!d.name.trim()) errors.name = E.required;
  const login = d.login.trim();
  if (!login) errors.login = E.required;
  else if (/\s/.test(login)) errors.login = E.loginSpaces;
  if (d.extension.trim() && !/^\d+$/.test(d.extension.trim())) errors.extension = E.extensionDigits;
  if (d.email.trim() && !d.email.includes('@')) errors.email = E.emailBad;
  const pw = passwordError(d.password);
  if (pw) errors.password = pw;
  return errors;
}

/** A labelled field with its error under it (aria-invalid, aria-describedby). */
function FormField({ label, hint, error, children, id }: { label: string; hint?: string; error?: string; id: string; children: ReactNode }) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children}
      {error ? (
        <small className="field-error" id={`${id}-error`} role="alert" data-testid="field-error">
          {error}
        </small>
      ) : hint ? (
        <small className="hint" id={`${id}-hint`}>
          {hint}
        </small>
      ) : null}
    </div>
  );
}

const describedBy = (id: string, error?: string, hint?: string) => (error ? `${id}-error` : hint ? `${id}-hint` : undefined);

/** Password input with «Показать» and «Сгенерировать» (which fills a random one and shows it). */
function PasswordInput({ label, value, onChange, error, hint, testId, autoFocus }: { label: string; value: string; onChange: (v: string) => void; error?: string; hint?: string; testId: string; autoFocus?: boolean }) {
  const id = useId();
  const [show, setShow] = useState(false);
  return (
    <FormField label={label} id={id} error={error} hint={hint}>
      <div className="pw-row">
        <input
          id={id}
          type={show ? 'text' : 'password'}
          value={value}
          autoFocus={autoFocus}
          autoComplete="new-password"
          spellCheck={false}
          maxLength={200}
          onChange={(e) => onChange(e.target.value)}
          aria-invalid={!!error}
          aria-describedby={describedBy(id, error, hint)}
          data-testid={testId}
        />
        <button type="button" className="btn btn-sm" aria-pressed={show} onClick={() => setShow(!show)} data-testid={`${testId}-show`}>
          {show ? E.hide : E.show}
        </button>
        <button
          type="button"
          className="btn btn-sm"
          onClick={() => {
            onChange(generatePassword());
            setShow(true);
          }}
          data-testid={`${testId}-generate`}
        >
          {E.generate}
        </button>
      </div>
    </FormField>
  );
}

function Actions({ busy, submit, busyText, onClose }: { busy: boolean; submit: string; busyText: string; onClose: () => void }) {
  return (
    <div className="form-actions">
      <button type="submit" className="btn btn-primary" disabled={busy} data-testid="dialog-submit">
        {busy ? busyText : submit}
      </button>
      <button type="button" className="btn" onClick={onClose}>
        {S.cancel}
      </button>
    </div>
  );
}

export function AddEmployeeDialog({ onClose }: { onClose: () => void }) {
  const create = useAdmin((s) => s.createEmployee);
  const [d, setD] = useState<NewEmployeeDraft>({ name: '', login: '', role: 'to', extension: '', email: '', password: '' });
  const [errors, setErrors] = useState<DraftErrors>({});
  /** Whether «Добавить» was pressed once: from then on the errors follow the typing. */
  const [tried, setTried] = useState(false);
  const [serverError, setServerError] = useState<string | null>(null);
  /** The relay's refusal of the login (taken), shown under the field until it is changed. */
  const [conflict, setConflict] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const ids = { name: useId(), login: useId(), role: useId(), extension: useId(), email: useId() };

  const set = <K extends keyof NewEmployeeDraft>(k: K, v: NewEmployeeDraft[K]) => {
    const next = { ...d, [k]: v };
    setD(next);
    if (tried) setErrors(validateNewEmployee(next));
    // A login the relay refused as taken: typing another one clears the refusal.
    if (k === 'login') setConflict(null);
  };

  const submit = async () => {
    setTried(true);
    const found = validateNewEmployee(d);
    setErrors(found);
    setServerError(null);
    if (Object.keys(found).length) {
      // The first wrong field takes the focus.
      const first = (['name', 'login', 'extension', 'email', 'password'] as const).find((k) => found[k]);
      document.querySelector<HTMLInputElement>(first === 'password' ? '[data-testid="new-employee-password"]' : `[id="${CSS.escape(ids[first as keyof typeof ids])}"]`)?.focus();
      return;
    }
    setBusy(true);
    try {
      const e = await create({
        name: d.name.trim(),
        login: d.login.trim(),
        role: d.role,
        password: d.password,
        extension: d.extension.trim() || null,
        email: d.email.trim() || null,
      });
      toast.ok(E.created(e.name));
      onClose();
    } catch (e) {
      const err = toAppError(e);
      if (err.code === 'conflict') {
        setConflict(err.message);
        document.getElementById(ids.login)?.focus();
      } else setServerError(err.message);
    } finally {
      setBusy(false);
    }
  };

  const shown: DraftErrors = { ...errors, login: errors.login ?? conflict ?? undefined };
  const text = (k: 'name' | 'login' | 'extension' | 'email', label: string, extra: { hint?: string; placeholder?: string; autoFocus?: boolean; maxLength: number; inputMode?: 'numeric' | 'email'; type?: string }) => (
    <FormField label={label} id={ids[k]} error={shown[k]} hint={extra.hint}>
      <input
        id={ids[k]}
        type={extra.type ?? 'text'}
        value={d[k]}
        autoFocus={extra.autoFocus}
        placeholder={extra.placeholder}
        maxLength={extra.maxLength}
        inputMode={extra.inputMode}
        spellCheck={false}
        autoComplete="off"
        onChange={(e) => set(k, e.target.value)}
        aria-invalid={!!shown[k]}
        aria-describedby={describedBy(ids[k], shown[k], extra.hint)}
        data-testid={`new-employee-${k}`}
      />
    </FormField>
  );

  return (
    <Modal title={E.addTitle} onClose={onClose} dirty={!!(d.name || d.login || d.extension || d.email || d.password) || d.role !== 'to'}>
      <form
        className="form"
        noValidate
        data-testid="add-employee-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (!busy) void submit();
        }}
      >
        {text('name', E.name, { placeholder: E.namePlaceholder, autoFocus: true, maxLength: 200 })}
        {text('login', E.login, { hint: E.loginHint, maxLength: 100 })}
        <FormField label={E.role} id={ids.role}>
          <select id={ids.role} value={d.role} onChange={(e) => set('role', e.target.value as Role)} data-testid="new-employee-role">
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {ROLE_LABELS[r]}
              </option>
            ))}
          </select>
        </FormField>
        <div className="form-row">
          {text('extension', E.extension, { hint: E.extensionHint, maxLength: 20, inputMode: 'numeric' })}
          {text('email', E.email, { hint: E.emailHint, maxLength: 200, inputMode: 'email', type: 'email' })}
        </div>
        <PasswordInput label={E.password} value={d.password} onChange={(v) => set('password', v)} error={errors.password} hint={E.passwordHint} testId="new-employee-password" />
        {serverError ? (
          <div className="error-box" role="alert" data-testid="dialog-error">
            {serverError}
          </div>
        ) : null}
        <Actions busy={busy} submit={E.create} busyText={E.creating} onClose={onClose} />
      </form>
    </Modal>
  );
}

export function PasswordDialog({ employee, self, onClose }: { employee: Employee; self: boolean; onClose: () => void }) {
  const update = useAdmin((s) => s.updateEmployee);
  const [pw, setPw] = useState('');
  const [tried, setTried] = useState(false);
  const [serverError, setServerError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const error = tried ? passwordError(pw) : undefined;
  const submit = async () => {
    setTried(true);
    setServerError(null);
    if (passwordError(pw)) return;
    setBusy(true);
    try {
      await update(employee.id, { password: pw });
      toast.ok(self ? E.passwordSetSelf : E.passwordSet(employee.name));
      onClose();
    } catch (e) {
      setServerError(toAppError(e).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal title={E.passwordTitle(employee.name)} onClose={onClose} dirty={pw !== ''}>
      <form
        className="form"
        noValidate
        data-testid="password-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (!busy) void submit();
        }}
      >
        <PasswordInput label={E.newPassword} value={pw} onChange={setPw} error={error} hint={E.passwordHint} testId="set-password" autoFocus />
        <p className="warn-box small" data-testid="password-sessions">
          {self ? E.passwordSessionsSelf : E.passwordSessions}
        </p>
        {serverError ? (
          <div className="error-box" role="alert" data-testid="dialog-error">
            {serverError}
          </div>
        ) : null}
        <Actions busy={busy} submit={S.save} busyText={S.saving} onClose={onClose} />
      </form>
    </Modal>
  );
}

export function RenameDialog({ employee, onClose }: { employee: Employee; onClose: () => void }) {
  const update = useAdmin((s) => s.updateEmployee);
  const id = useId();
  const [name, setName] = useState(employee.name);
  const [tried, setTried] = useState(false);
  const [serverError, setServerError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const error = tried && !name.trim() ? E.required : undefined;
  const submit = async () => {
    setTried(true);
    setServerError(null);
    const next = name.trim();
    if (!next) return;
    if (next === employee.name) return onClose();
    setBusy(true);
    try {
      await update(employee.id, { name: next });
      toast.ok(E.renamed);
      onClose();
    } catch (e) {
      setServerError(toAppError(e).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal title={E.renameTitle} onClose={onClose} dirty={name.trim() !== employee.name}>
      <form
        className="form"
        noValidate
        data-testid="rename-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (!busy) void submit();
        }}
      >
        <FormField label={E.name} id={id} error={error}>
          <input
            id={id}
            value={name}
            autoFocus
            maxLength={200}
            onFocus={(e) => e.target.select()}
            onChange={(e) => setName(e.target.value)}
            aria-invalid={!!error}
            aria-describedby={describedBy(id, error)}
            data-testid="rename-name"
          />
        </FormField>
        {serverError ? (
          <div className="error-box" role="alert" data-testid="dialog-error">
            {serverError}
          </div>
        ) : null}
        <Actions busy={busy} submit={S.save} busyText={S.saving} onClose={onClose} />
      </form>
    </Modal>
  );
}

/** The row's «⋯» menu (WAI-ARIA menu button, the same keys as the mail's «Ещё ▾»). */
export function EmployeeMenu({ employee, self }: { employee: Employee; self: boolean }) {
  const update = useAdmin((s) => s.updateEmployee);
  const { open, setOpen, box, button, onKey } = useMenu();
  const [dialog, setDialog] = useState<'rename' | 'password' | null>(null);
  useEffect(() => {
    if (open) box.current?.querySelector<HTMLButtonElement>('[role="menuitem"]')?.focus();
  }, [open, box]);

  const toggleActive = async () => {
    const active = !employee.active;
    if (!active && !window.confirm(E.confirmDeactivate(employee.name))) return;
    try {
      await update(employee.id, { active });
      toast.ok(active ? E.activated(employee.name) : E.deactivated(employee.name));
    } catch (e) {
      toast.error(toAppError(e).message);
    }
  };

  const items: { label: string; testId: string; onPick: () => void; disabled?: string }[] = [
    { label: E.rename, testId: 'employee-rename', onPick: () => setDialog('rename') },
    { label: E.setPassword, testId: 'employee-set-password', onPick: () => setDialog('password') },
    employee.active
      ? { label: E.deactivate, testId: 'employee-deactivate', onPick: () => void toggleActive(), disabled: self ? E.selfDeactivate : undefined }
      : { label: E.activate, testId: 'employee-activate', onPick: () => void toggleActive() },
  ];
  const close = () => {
    setDialog(null);
    button.current?.focus();
  };

  return (
    <div className="row-menu" ref={box} onKeyDown={onKey}>
      <button
        type="button"
        ref={button}
        className="btn btn-sm btn-ghost row-menu-btn"
        aria-haspopup="menu"
        aria-expanded={open}
        aria-label={E.actions(employee.name)}
        title={E.actions(employee.name)}
        data-testid="employee-menu"
        onClick={() => setOpen(!open)}
      >
        ⋯
      </button>
      {open ? (
        <div className="row-menu-list" role="menu" aria-label={E.actions(employee.name)}>
          {items.map((it) => (
            <button
              type="button"
              role="menuitem"
              key={it.testId}
              data-testid={it.testId}
              aria-disabled={it.disabled ? true : undefined}
              title={it.disabled}
              onClick={() => {
                if (it.disabled) return;
                setOpen(false);
                it.onPick();
              }}
            >
              {it.label}
              {it.disabled ? <span className="muted small"> — {it.disabled.toLowerCase()}</span> : null}
            </button>
          ))}
        </div>
      ) : null}
      {/* Out of the table: a dimmed (inactive) row must not dim or clip the dialog. */}
      {dialog === 'rename' ? createPortal(<RenameDialog employee={employee} onClose={close} />, document.body) : null}
      {dialog === 'password' ? createPortal(<PasswordDialog employee={employee} self={self} onClose={close} />, document.body) : null}
    </div>
  );
}
