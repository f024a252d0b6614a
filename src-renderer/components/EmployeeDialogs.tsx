/**
 * #/mango «Статусы сотрудников»: «Добавить сотрудника», and the row's «⋯» menu — «Изменить ФИО…»,
 * «Задать пароль…», «Отключить»/«Включить». Checks run before the request, with the reason next
 * to the field; the relay's refusal (a login already taken) stays in the dialog, never lost.
 * An admin cannot switch themselves off (the relay refuses it too).
 */
import { useId, useRef, useState, type ReactNode } from 'react';
import { createPortal } from 'react-dom';
import { ROLE_LABELS, ROLES, type Role } from '../../src-shared/roles';
import type { Employee } from '../../src-shared/wire';
import { toAppError, type AppError } from '../api';
import { MenuButton, type MenuItem } from './Menu';
import { S } from '../strings';
import { useAdmin } from '../stores/admin';
import { toast } from '../stores/toasts';
import { Modal } from './Modal';
import { askConfirm } from '../stores/confirm';

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

/**
 * A dialog's form: Enter submits, once at a time; the relay's refusal (other than one shown by a
 * field) stays above the buttons.
 */
function DialogForm(p: { testId: string; busy: boolean; serverError: string | null; onSubmit: () => Promise<void>; submit: string; busyText: string; onClose: () => void; children: ReactNode }) {
  return (
    <form
      className="form"
      noValidate
      data-testid={p.testId}
      onSubmit={(e) => {
        e.preventDefault();
        if (!p.busy) void p.onSubmit();
      }}
    >
      {p.children}
      {p.serverError ? (
        <div className="error-box" role="alert" data-testid="dialog-error">
          {p.serverError}
        </div>
      ) : null}
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" disabled={p.busy} data-testid="dialog-submit">
          {p.busy ? p.busyText : p.submit}
        </button>
        <button type="button" className="btn" onClick={p.onClose}>
          {S.cancel}
        </button>
      </div>
    </form>
  );
}

/** A dialog's request: busy while it runs; its refusal kept for the form unless `onRefused` takes it. */
function useDialogRequest() {
  const [busy, setBusy] = useState(false);
  const [serverError, setServerError] = useState<string | null>(null);
  const run = async (request: () => Promise<void>, onRefused?: (e: AppError) => boolean) => {
    setServerError(null);
    setBusy(true);
    try {
      await request();
    } catch (e) {
      const err = toAppError(e);
      if (!onRefused?.(err)) setServerError(err.message);
    } finally {
      setBusy(false);
    }
  };
  return { busy, serverError, setServerError, run };
}

export function AddEmployeeDialog({ onClose }: { onClose: () => void }) {
  const create = useAdmin((s) => s.createEmployee);
  const [d, setD] = useState<NewEmployeeDraft>({ name: '', login: '', role: 'to', extension: '', email: '', password: '' });
  const [errors, setErrors] = useState<DraftErrors>({});
  /** Whether «Добавить» was pressed once: from then on the errors follow the typing. */
  const [tried, setTried] = useState(false);
  /** The relay's refusal of the login (taken), shown under the field until it is changed. */
  const [conflict, setConflict] = useState<string | null>(null);
  const { busy, serverError, setServerError, run } = useDialogRequest();
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
    await run(
      async () => {
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
      },
      (err) => {
        if (err.code !== 'conflict') return false;
        setConflict(err.message);
        document.getElementById(ids.login)?.focus();
        return true;
      },
    );
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
      <DialogForm testId="add-employee-form" busy={busy} serverError={serverError} onSubmit={submit} submit={E.create} busyText={E.creating} onClose={onClose}>
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
      </DialogForm>
    </Modal>
  );
}

export function PasswordDialog({ employee, self, onClose }: { employee: Employee; self: boolean; onClose: () => void }) {
  const update = useAdmin((s) => s.updateEmployee);
  const [pw, setPw] = useState('');
  const [tried, setTried] = useState(false);
  const { busy, serverError, run } = useDialogRequest();
  const error = tried ? passwordError(pw) : undefined;
  const submit = async () => {
    setTried(true);
    if (passwordError(pw)) return;
    await run(async () => {
      await update(employee.id, { password: pw });
      toast.ok(self ? E.passwordSetSelf : E.passwordSet(employee.name));
      onClose();
    });
  };
  return (
    <Modal title={E.passwordTitle(employee.name)} onClose={onClose} dirty={pw !== ''}>
      <DialogForm testId="password-form" busy={busy} serverError={serverError} onSubmit={submit} submit={S.save} busyText={S.saving} onClose={onClose}>
        <PasswordInput label={E.newPassword} value={pw} onChange={setPw} error={error} hint={E.passwordHint} testId="set-password" autoFocus />
        <p className="warn-box small" data-testid="password-sessions">
          {self ? E.passwordSessionsSelf : E.passwordSessions}
        </p>
      </DialogForm>
    </Modal>
  );
}

export function RenameDialog({ employee, onClose }: { employee: Employee; onClose: () => void }) {
  const update = useAdmin((s) => s.updateEmployee);
  const id = useId();
  const [name, setName] = useState(employee.name);
  const [tried, setTried] = useState(false);
  const { busy, serverError, run } = useDialogRequest();
  const error = tried && !name.trim() ? E.required : undefined;
  const submit = async () => {
    setTried(true);
    const next = name.trim();
    if (!next) return;
    if (next === employee.name) return onClose();
    await run(async () => {
      await update(employee.id, { name: next });
      toast.ok(E.renamed);
      onClose();
    });
  };
  return (
    <Modal title={E.renameTitle} onClose={onClose} dirty={name.trim() !== employee.name}>
      <DialogForm testId="rename-form" busy={busy} serverError={serverError} onSubmit={submit} submit={S.save} busyText={S.saving} onClose={onClose}>
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
      </DialogForm>
    </Modal>
  );
}

/** The row's «⋯» menu (WAI-ARIA menu button, the same keys as the mail's «Ещё ▾»). */
export function EmployeeMenu({ employee, self }: { employee: Employee; self: boolean }) {
  const update = useAdmin((s) => s.updateEmployee);
  const box = useRef<HTMLSpanElement>(null);
  const [dialog, setDialog] = useState<'rename' | 'password' | null>(null);

  const toggleActive = async () => {
    const active = !employee.active;
    if (!active && !(await askConfirm(E.confirmDeactivate(employee.name), E.deactivate))) return;
    try {
      await update(employee.id, { active });
      toast.ok(active ? E.activated(employee.name) : E.deactivated(employee.name));
    } catch (e) {
      toast.error(toAppError(e).message);
    }
  };

  const items: MenuItem[] = [
    { label: E.rename, testId: 'employee-rename', onPick: () => setDialog('rename') },
    { label: E.setPassword, testId: 'employee-set-password', onPick: () => setDialog('password') },
    employee.active
      ? { label: E.deactivate, testId: 'employee-deactivate', onPick: () => void toggleActive(), disabled: self ? E.selfDeactivate : undefined }
      : { label: E.activate, testId: 'employee-activate', onPick: () => void toggleActive() },
  ];
  // The picked item is gone with the menu: the focus goes back to the «⋯» button.
  const close = () => {
    setDialog(null);
    box.current?.querySelector<HTMLButtonElement>('[aria-haspopup="menu"]')?.focus();
  };

  return (
    <span ref={box}>
      <MenuButton label="⋯" title={E.actions(employee.name)} ariaLabel={E.actions(employee.name)} buttonClass="btn btn-sm btn-ghost row-menu-btn" testId="employee-menu" items={items} />
      {/* Out of the table: a dimmed (inactive) row must not dim or clip the dialog. */}
      {dialog === 'rename' ? createPortal(<RenameDialog employee={employee} onClose={close} />, document.body) : null}
      {dialog === 'password' ? createPortal(<PasswordDialog employee={employee} self={self} onClose={close} />, document.body) : null}
    </span>
  );
}
