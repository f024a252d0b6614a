/**
 * «Шаблоны писем»: the compose form's «Шаблон ▾» (choose one to insert), «Сохранить как шаблон…»
 * (name the letter being written), and the «Шаблоны писем» section of the mail settings (edit,
 * rename, delete). Templates are shared by all accounts; the core keeps them with their files.
 */
import { foldRu } from '../../src-shared/fold';
import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import { call, toAppError } from '../api';
import { Field } from '../components/Field';
import { href } from '../router';
import { toast } from '../stores/toasts';
import { MAIL_TEMPLATE_MAX_FILE_BYTES, type MailTemplateView } from '../../src-shared/ipc/mail';
import { useMenu } from '../components/Menu';
import { M, formatSize } from './strings';
import { fileToBase64 } from './store';
import { useBusyAction } from './useBusyAction';
import { askConfirm } from '../stores/confirm';

export type TemplateWithData = MailTemplateView & { attachmentsData: { filename: string; contentType: string; dataBase64: string }[] };

const T = M.templates;
/** Above this many the list gets a search field. */
const SEARCH_FROM = 8;


/** Files picked by the user as template input, those over the compose form's limit refused with a toast. */
async function readFiles(list: FileList | null): Promise<{ filename: string; contentType: string; dataBase64: string; size: number }[]> {
  const out: { filename: string; contentType: string; dataBase64: string; size: number }[] = [];
  for (const f of Array.from(list ?? [])) {
    if (f.size > MAIL_TEMPLATE_MAX_FILE_BYTES) {
      toast.error(`${f.name}: ${T.tooBig}`);
      continue;
    }
    out.push({ filename: f.name, contentType: f.type || 'application/octet-stream', dataBase64: await fileToBase64(f), size: f.size });
  }
  return out;
}

/** «Шаблон ▾»: the saved templates, searchable when there are many; the chosen one is loaded with its files. */
export function TemplateMenu({ disabled, onPick }: { disabled?: boolean; onPick: (t: TemplateWithData) => void }) {
  const { open, setOpen, box, button, onKey: menuKey } = useMenu();
  const [list, setList] = useState<MailTemplateView[] | null>(null);
  const [query, setQuery] = useState('');

  useEffect(() => {
    if (!open) return;
    let live = true;
    setQuery('');
    // Read at each opening: templates saved or edited elsewhere show up.
    void call('mail:templates:list')
      .then((l) => live && setList(l))
      .catch((e) => {
        toast.error(toAppError(e).message);
        if (live) setOpen(false);
      });
    return () => {
      live = false;
    };
  }, [open, setOpen]);

  const searchable = (list?.length ?? 0) > SEARCH_FROM;
  useEffect(() => {
    if (!open || !list) return;
    box.current?.querySelector<HTMLElement>(searchable ? 'input' : '[role="menuitem"]')?.focus();
  }, [open, list, searchable, box]);

  // Every word typed, anywhere in the name, subject or text.
  const words = foldRu(query).split(/\s+/).filter(Boolean);
  const shown = (list ?? []).filter((t) => {
    const hay = foldRu(`${t.name}\n${t.subject}\n${t.text}`);
    return words.every((w) => hay.includes(w));
  });

  const pick = async (t: MailTemplateView) => {
    setOpen(false);
    try {
      onPick(await call('mail:templates:get', { id: t.id }));
    } catch (e) {
      toast.error(toAppError(e).message);
    }
  };

  const onKey = (e: KeyboardEvent<HTMLDivElement>) => {
    // Enter in the search field takes the first match, never submits the compose form.
    if (e.key === 'Enter' && (e.target as HTMLElement).tagName === 'INPUT') {
      e.preventDefault();
      if (shown[0]) void pick(shown[0]);
      return;
    }
    menuKey(e);
  };

  return (
    <div className="menu mail-template-pick" ref={box} onKeyDown={onKey}>
      <button
        type="button"
        ref={button}
        className="btn btn-sm"
        aria-haspopup="menu"
        aria-expanded={open}
        title={T.menuTitle}
        disabled={disabled}
        data-testid="compose-template"
        onClick={() => setOpen(!open)}
      >
        {T.menu} ▾
      </button>
      {open && list ? (
        <div className="menu-list mail-template-menu" role="menu" aria-label={T.menuTitle} data-testid="compose-template-menu">
          {searchable ? (
            <input type="search" className="mail-template-search" aria-label={T.search} placeholder={T.search} value={query} onChange={(e) => setQuery(e.target.value)} data-testid="compose-template-search" />
          ) : null}
          <div className="mail-template-items">
            {shown.map((t) => (
              <button type="button" role="menuitem" key={t.id} onClick={() => void pick(t)} data-testid="compose-template-item">
                <span className="mail-template-name">{t.name}</span>
                <span className="muted small">
                  {[t.subject || null, t.attachments.length ? T.files(t.attachments.length) : null].filter(Boolean).join(' · ')}
                </span>
              </button>
            ))}
          </div>
          {!list.length ? <div className="mail-template-note muted small">{T.empty}</div> : !shown.length ? <div className="mail-template-note muted small">{T.notFound}</div> : null}
          <a className="mail-template-manage small" href={href('/mail/settings')} onClick={() => setOpen(false)}>
            {T.manage}
          </a>
        </div>
      ) : null}
    </div>
  );
}

/** «Сохранить как шаблон…»: the name asked under the compose form (Electron has no window.prompt). */
export function SaveTemplatePanel({ initialName, onSave, onClose }: { initialName: string; onSave: (name: string) => Promise<void>; onClose: () => void }) {
  const [name, setName] = useState(initialName.slice(0, 100));
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const save = async () => {
    setBusy(true);
    setError(null);
    try {
      await onSave(name);
    } catch (e) {
      setError(toAppError(e).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="mail-send-later" role="group" aria-label={T.saveTitle} data-testid="template-save-panel">
      <strong>{T.saveTitle}</strong>
      <small className="muted">{T.saveHint}</small>
      <div className="row-gap">
        <input
          aria-label={T.name}
          placeholder={T.name}
          value={name}
          maxLength={100}
          autoFocus
          onChange={(e) => setName(e.target.value)}
          // Enter saves the template, it must not send the letter (the field is inside the compose form).
          onKeyDown={(e) => {
            if (e.key === 'Enter') {
              e.preventDefault();
              void save();
            } else if (e.key === 'Escape') onClose();
          }}
          data-testid="template-name"
        />
        <button type="button" className="btn btn-sm btn-primary" disabled={busy} onClick={() => void save()} data-testid="template-save">
          {T.save}
        </button>
        <button type="button" className="btn btn-sm btn-ghost" onClick={onClose}>
          {T.cancel}
        </button>
      </div>
      {error ? <div className="error-text small" role="alert" data-testid="template-save-error">{error}</div> : null}
    </div>
  );
}

interface EditDraft {
  id?: number;
  name: string;
  subject: string;
  text: string;
  /** Stored files still kept (by index). */
  kept: MailTemplateView['attachments'];
  added: { filename: string; contentType: string; dataBase64: string; size: number }[];
}

/** «Шаблоны писем» in the mail settings: the list, and one template open for editing. */
export function TemplatesSettings() {
  const [list, setList] = useState<MailTemplateView[]>([]);
  const [edit, setEdit] = useState<EditDraft | null>(null);
  const [error, setError] = useState<string | null>(null);
  const { busy, act } = useBusyAction();
  const fileInput = useRef<HTMLInputElement>(null);

  const load = () => call('mail:templates:list').then(setList);
  useEffect(() => {
    void load().catch((e) => setError(toAppError(e).message));
  }, []);

  const open = (t: MailTemplateView | null) => {
    setError(null);
    setEdit(t ? { id: t.id, name: t.name, subject: t.subject, text: t.text, kept: t.attachments, added: [] } : { name: '', subject: '', text: '', kept: [], added: [] });
  };
  const set = (patch: Partial<EditDraft>) => setEdit((d) => (d ? { ...d, ...patch } : d));

  const save = async () => {
    if (!edit) return;
    setError(null);
    try {
      const t = await call('mail:templates:save', {
        id: edit.id,
        name: edit.name,
        subject: edit.subject,
        text: edit.text,
        attachments: edit.added.map(({ filename, contentType, dataBase64 }) => ({ filename, contentType, dataBase64 })),
        keepAttachments: edit.id ? edit.kept.map((a) => a.index) : undefined,
      });
      toast.ok(T.saved(t.name));
      setEdit(null);
      await load();
    } catch (e) {
      setError(toAppError(e).message);
    }
  };

  const remove = (t: { id?: number; name: string }) =>
    act(async () => {
      if (!t.id || !(await askConfirm(T.confirmRemove(t.name), T.remove))) return;
      await call('mail:templates:delete', { id: t.id });
      toast.ok(T.removed(t.name));
      setEdit(null);
      await load();
    });

  return (
    <div className="card" data-testid="mail-templates">
      <div className="card-head">
        <h2>{T.title}</h2>
        <button type="button" className="btn btn-sm" onClick={() => open(null)} data-testid="mail-template-add">
          {T.add}
        </button>
      </div>
      <p className="muted small">{T.intro}</p>
      {list.map((t) => (
        <div key={t.id} className={`mail-account-row${edit?.id === t.id ? ' active' : ''}`} data-testid="mail-template-row">
          <div className="grow">
            <div>{t.name}</div>
            <div className="muted small">
              {t.subject || T.noSubject}
              {t.attachments.length ? ` · ${t.attachments.map((a) => `${a.filename} (${formatSize(a.size)})`).join(', ')}` : ''}
            </div>
          </div>
          <button type="button" className="btn btn-sm" onClick={() => open(t)} data-testid="mail-template-edit">
            {T.edit}
          </button>
        </div>
      ))}
      {edit ? (
        <form
          className="form mail-template-form"
          onSubmit={(e) => {
            e.preventDefault();
            void act(save);
          }}
          data-testid="mail-template-form"
        >
          <div className="form-row">
            <Field label={T.name}>
              <input value={edit.name} maxLength={100} onChange={(e) => set({ name: e.target.value })} required />
            </Field>
            <Field label={T.subject}>
              <input value={edit.subject} onChange={(e) => set({ subject: e.target.value })} />
            </Field>
          </div>
          <Field label={T.text} hint={T.placeholders}>
            <textarea rows={8} value={edit.text} onChange={(e) => set({ text: e.target.value })} />
          </Field>
          <fieldset className="field">
            <legend>{T.attachments}</legend>
            <div className="mail-files">
              {[...edit.kept.map((a) => ({ ...a, stored: true })), ...edit.added.map((a, i) => ({ ...a, index: i, stored: false }))].map((a) => (
                <span className="mail-att" key={`${a.stored ? 's' : 'n'}${a.index}`}>
                  <span className="mail-att-name">{a.filename}</span>
                  <span className="muted small">{formatSize(a.size)}</span>
                  <button
                    type="button"
                    className="link-btn"
                    onClick={() =>
                      a.stored ? set({ kept: edit.kept.filter((k) => k.index !== a.index) }) : set({ added: edit.added.filter((_, j) => j !== a.index) })
                    }
                  >
                    {T.removeFile}
                  </button>
                </span>
              ))}
              <input
                ref={fileInput}
                type="file"
                multiple
                hidden
                onChange={(e) =>
                  void readFiles(e.target.files).then((f) => {
                    setEdit((d) => (d ? { ...d, added: [...d.added, ...f] } : d));
                    if (fileInput.current) fileInput.current.value = '';
                  })
                }
              />
              <button type="button" className="btn btn-sm" onClick={() => fileInput.current?.click()}>
                {T.attach}
              </button>
            </div>
          </fieldset>
          {error ? <div className="error-box" role="alert">{error}</div> : null}
          <div className="form-actions">
            <button type="submit" className="btn btn-primary" disabled={busy} data-testid="mail-template-save">
              {T.save}
            </button>
            <button type="button" className="btn" onClick={() => setEdit(null)}>
              {T.cancel}
            </button>
            {edit.id ? (
              <button type="button" className="btn btn-ghost" disabled={busy} onClick={() => void remove(edit)} data-testid="mail-template-delete">
                {T.remove}
              </button>
            ) : null}
          </div>
        </form>
      ) : null}
    </div>
  );
}
