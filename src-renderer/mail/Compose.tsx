/**
 * `#/mail/compose?mode=new|reply|replyAll|forward&source=<id>&to=<addr>&draft=<id>`: a new
 * message, answer or forward (pre-filled by the core with threading), attachments, drafts.
 * Autosave: a changed letter is kept in «Черновики на этом компьютере» (one draft, updated) a
 * moment after typing pauses and whenever the form is left or the window hidden or closed.
 */
import { useEffect, useRef, useState } from 'react';
import { call, toAppError } from '../api';
import { formatTime } from '../format';
import { Field } from '../components/Field';
import { Modal } from '../components/Modal';
import { navigate } from '../router';
import { toast } from '../stores/toasts';
import type { MailAttachmentView, MailComposeMode, MailDraftInput, MailDraftView } from '../../src-shared/ipc/mail';
import { RecipientInput } from './RecipientInput';
import { splitAddresses } from './addresses';
import { swapSignature } from '../../src-shared/mail-signature';
import { M, formatSize } from './strings';
import { fileToBase64, trackDraftSave, useMail } from './store';
import { SendLaterPanel, afterSend } from './send-later';
import { SaveTemplatePanel, TemplateMenu, type TemplateWithData } from './Templates';
import { applyTemplate, withoutSignature } from './template-text';

interface NewFile {
  filename: string;
  contentType: string;
  dataBase64: string;
  size: number;
}

const MAX_FILE = 25 * 1024 * 1024;
/** Autosave: this long after the last change (typing paused), the letter is saved as a draft. */
export const AUTOSAVE_MS = 2000;

type AutoStatus = { kind: 'saving' } | { kind: 'saved'; at: Date } | { kind: 'failed'; reason: string };

export function Compose({ query }: { query: URLSearchParams }) {
  const accounts = useMail((s) => s.accounts);
  const queryMode = (query.get('mode') as MailComposeMode | null) ?? 'new';
  const querySource = query.get('source') ? Number(query.get('source')) : null;
  // A draft carries its own reply/forward link (e.g. one taken back by «Отменить»).
  const [linked, setLinked] = useState<{ mode: MailComposeMode; source: number | null } | null>(null);
  const mode = linked?.mode ?? queryMode;
  const source = linked ? linked.source : querySource;
  const [laterOpen, setLaterOpen] = useState(false);
  const draftParam = query.get('draft') ? Number(query.get('draft')) : null;
  const [accountId, setAccountId] = useState<number | null>(query.get('account') ? Number(query.get('account')) : null);
  const [to, setTo] = useState(query.get('to') ?? '');
  const [cc, setCc] = useState('');
  const [bcc, setBcc] = useState('');
  const [showCc, setShowCc] = useState(false);
  const [subject, setSubject] = useState('');
  const [text, setText] = useState('');
  const [files, setFiles] = useState<NewFile[]>([]);
  const [srcAtt, setSrcAtt] = useState<MailAttachmentView[]>([]);
  const [keepSrc, setKeepSrc] = useState<Set<number>>(new Set());
  /**
   * The local draft this letter is kept in (opened, or made by the first save): every save, by
   * hand or autosave, updates this one row.
   */
  const draftId = useRef<number | null>(draftParam);
  /** Saves run one after another, so a save made while the first is under way reuses its new id. */
  const saving = useRef<Promise<unknown>>(Promise.resolve());
  /** Sent or discarded: nothing is saved any more. */
  const done = useRef(false);
  /** The draft as opened or last saved by hand: «Не сохранять» puts it back (none: the autosaved draft goes). */
  const base = useRef<MailDraftInput | null>(null);
  /** Autosave has written the draft since `base`. */
  const autoWrote = useRef(false);
  const mounted = useRef(true);
  const [autoStatus, setAutoStatus] = useState<AutoStatus | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [ready, setReady] = useState(false);
  const fileInput = useRef<HTMLInputElement>(null);
  const textArea = useRef<HTMLTextAreaElement>(null);
  // Where the user last left the caret in the text (null until they place it): a template goes there.
  const caret = useRef<number | null>(null);
  const [templateSaveOpen, setTemplateSaveOpen] = useState(false);
  /** Bumped when the form is filled (prefill or draft): the effect below then takes it as «unchanged». */
  const [filled, setFilled] = useState(0);
  /** For a reply or forward: the caret goes to the start of the text once it is in the field. */
  const caretToStart = useRef<'focus' | 'place' | null>(null);
  /** The form as last filled or saved: «Отмена» asks only when it differs. */
  const saved = useRef<string | null>(null);
  const [leaveOpen, setLeaveOpen] = useState(false);

  useEffect(() => {
    let live = true;
    (async () => {
      try {
        if (draftParam) {
          const d = await call('mail:drafts:get', { id: draftParam });
          if (!live) return;
          base.current = {
            accountId: d.accountId,
            mode: d.mode,
            sourceMessageId: d.sourceMessageId,
            to: d.to,
            cc: d.cc,
            bcc: d.bcc,
            subject: d.subject,
            text: d.text,
            attachments: d.attachmentsData,
            includeSourceAttachments: d.includeSourceAttachments ? (d.sourceAttachmentIndexes ?? true) : false,
          };
          setAccountId(d.accountId);
          setTo(d.to.join(', '));
          setCc(d.cc.join(', '));
          setBcc(d.bcc.join(', '));
          setShowCc(Boolean(d.cc.length || d.bcc.length));
          setSubject(d.subject);
          setText(d.text);
          setFiles(d.attachmentsData.map((a) => ({ ...a, size: Math.floor((a.dataBase64.length * 3) / 4) })));
          setLinked({ mode: d.mode, source: d.sourceMessageId });
          if (d.mode === 'forward' && d.sourceMessageId) {
            // The original's files are offered again, checked as they were.
            const p = await call('mail:compose:prefill', { mode: 'forward', sourceMessageId: d.sourceMessageId }).catch(() => null);
            if (!live) return;
            if (p) {
              setSrcAtt(p.sourceAttachments);
              const all = p.sourceAttachments.map((a) => a.index);
              setKeepSrc(new Set(d.includeSourceAttachments ? (d.sourceAttachmentIndexes ?? all) : []));
            }
          }
        } else {
          const p = await call('mail:compose:prefill', {
            mode,
            sourceMessageId: source ?? undefined,
            accountId: accountId ?? undefined,
            to: query.get('to') ? splitAddresses(query.get('to') ?? '') : undefined,
          });
          if (!live) return;
          setAccountId(p.accountId);
          setTo(p.to.join(', '));
          setCc(p.cc.join(', '));
          setShowCc(p.cc.length > 0);
          setSubject(p.subject);
          setText(p.text);
          setSrcAtt(p.sourceAttachments);
          setKeepSrc(new Set(p.sourceAttachments.map((a) => a.index)));
          // A reply is written above the quote: the text takes the focus, the caret at its start. A
          // forward still needs «Кому» (focused), but its text is ready at the start too.
          if (mode === 'reply' || mode === 'replyAll') caretToStart.current = 'focus';
          else if (mode === 'forward') caretToStart.current = 'place';
        }
        setReady(true);
        setFilled((n) => n + 1);
      } catch (e) {
        if (live) setError(toAppError(e).message);
      }
    })();
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [queryMode, querySource, draftParam]);

  // After the filled form has rendered: what it holds now is the unchanged letter, and the caret
  // goes where a reply is written (the textarea has its text only now, so not on mount).
  useEffect(() => {
    if (!filled) return;
    saved.current = snapshot();
    const how = caretToStart.current;
    caretToStart.current = null;
    const ta = textArea.current;
    if (!how || !ta) return;
    if (how === 'focus') ta.focus();
    ta.setSelectionRange(0, 0);
    ta.scrollTop = 0;
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [filled]);

  /** «От кого» changed: the new account's signature replaces the old one where it stands unchanged. */
  const switchAccount = (id: number) => {
    const sig = (accId: number | null) => accounts.find((a) => a.id === accId)?.signature ?? '';
    setText((t) => swapSignature(t, sig(accountId), sig(id)));
    setAccountId(id);
  };

  // The account the mail goes from (the first one until another is chosen); suggestions follow it.
  const fromAccount = accountId ?? accounts[0]?.id;
  const payload = () => ({
    accountId: fromAccount ?? 0,
    mode,
    sourceMessageId: source,
    to: splitAddresses(to),
    cc: splitAddresses(cc),
    bcc: splitAddresses(bcc),
    subject,
    text,
    attachments: files.map(({ filename, contentType, dataBase64 }) => ({ filename, contentType, dataBase64 })),
    includeSourceAttachments: mode === 'forward' ? [...keepSrc] : false,
  });

  /** What the user can change, to tell whether «Отмена» would lose anything. */
  const snapshot = () =>
    JSON.stringify([accountId, to, cc, bcc, subject, text, files.map((f) => [f.filename, f.size, f.dataBase64.length]), [...keepSrc].sort()]);
  const changed = () => ready && saved.current !== null && snapshot() !== saved.current;

  // What the saves below read: the form as last rendered (they also run after it has closed).
  const live = useRef({ ready, payload, snapshot });
  live.current = { ready, payload, snapshot };

  /**
   * Saves the form to «Черновики на этом компьютере», after any save under way; the footer shows
   * how it went. `onlyChanged` (autosave): nothing is done (null) when the letter is as last saved,
   * or sent or discarded meanwhile. `server`: when the mailbox's copy is updated (`soon`: typing,
   * rate-limited by the core).
   */
  const persist = (onlyChanged: boolean, server: 'now' | 'soon' = 'now'): Promise<{ view: MailDraftView; data: MailDraftInput } | null> => {
    const run = saving.current
      .catch(() => undefined)
      .then(async () => {
        const { ready: isReady, payload: form, snapshot: snap } = live.current;
        const state = snap();
        if (onlyChanged && (done.current || !isReady || saved.current === null || state === saved.current)) return null;
        const data: MailDraftInput = form();
        const save = (id: number | null) => call('mail:drafts:save', { ...data, id: id ?? undefined, server });
        if (mounted.current) setAutoStatus({ kind: 'saving' });
        try {
          let view: MailDraftView;
          try {
            view = await save(draftId.current);
          } catch (e) {
            // Deleted meanwhile (on the drafts page): the letter is kept in a new one.
            if (draftId.current === null || toAppError(e).code !== 'mail-no-draft') throw e;
            view = await save(null);
          }
          draftId.current = view.id;
          saved.current = state;
          if (onlyChanged) autoWrote.current = true;
          if (mounted.current) setAutoStatus({ kind: 'saved', at: new Date() });
          return { view, data };
        } catch (e) {
          if (mounted.current) setAutoStatus({ kind: 'failed', reason: toAppError(e).message });
          throw e;
        }
      });
    saving.current = run;
    return trackDraftSave(run);
  };

  /**
   * Autosave: best effort and quiet (the footer says how it went); never blocks leaving. While
   * typing the server copy follows at the core's pace; `leaving` updates it now.
   */
  const autosave = (leaving = false): void => {
    const { ready: isReady, snapshot: snap } = live.current;
    if (done.current || !isReady || saved.current === null) return;
    if (snap() !== saved.current) {
      persist(true, leaving ? 'now' : 'soon').catch(() => undefined);
      return;
    }
    const id = draftId.current;
    if (leaving && id !== null && autoWrote.current) {
      void saving.current.catch(() => undefined).then(() => call('mail:drafts:pushNow', { id }).catch(() => undefined));
    }
  };
  const autosaveLeaving = () => autosave(true);

  // Typing paused (or any other change): saved a moment later; an untouched form never is.
  const current = snapshot();
  useEffect(() => {
    if (!ready || leaveOpen || done.current || saved.current === null || current === saved.current) return;
    const t = setTimeout(autosave, AUTOSAVE_MS);
    return () => clearTimeout(t);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [current, ready, leaveOpen]);

  // Leaving the form any way (the sidebar, back, another route) or the window going away or hidden:
  // the letter is saved as it is. `autosave` reads only refs, so the first render's one will do.
  useEffect(() => {
    mounted.current = true;
    const onHidden = () => {
      if (document.visibilityState === 'hidden') autosave(true);
    };
    document.addEventListener('visibilitychange', onHidden);
    window.addEventListener('pagehide', autosaveLeaving);
    window.addEventListener('beforeunload', autosaveLeaving);
    return () => {
      document.removeEventListener('visibilitychange', onHidden);
      window.removeEventListener('pagehide', autosaveLeaving);
      window.removeEventListener('beforeunload', autosaveLeaving);
      mounted.current = false;
      autosave(true);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  const leave = () => (window.history.length > 1 ? window.history.back() : navigate('/mail'));
  /** «Отмена»: a changed letter is not dropped without asking. */
  const cancel = () => (changed() ? setLeaveOpen(true) : leave());
  /**
   * «Не сохранять»: what autosave wrote in this visit does not stay — an opened (or saved by hand)
   * draft is put back as it was, a draft made only by autosave is deleted.
   */
  const discard = () => {
    done.current = true;
    setLeaveOpen(false);
    void trackDraftSave(
      saving.current
        .catch(() => undefined)
        .then(async () => {
          const id = draftId.current;
          if (id === null || !autoWrote.current) return;
          if (base.current) await call('mail:drafts:save', { ...base.current, id });
          else await call('mail:drafts:delete', { id });
        }),
    ).catch(() => undefined);
    leave();
  };
  const keepEditing = () => {
    setLeaveOpen(false);
    requestAnimationFrame(() => textArea.current?.focus());
  };

  /** `sendAt`: «Отправить позже»; without it the core applies the «Отмена отправки» delay. */
  const send = async (sendAt?: number) => {
    const p = payload();
    if (!p.to.length && !p.cc.length && !p.bcc.length) {
      setError(M.composeForm.noRecipients);
      return;
    }
    setBusy(true);
    setError(null);
    // No autosave from here: the draft goes with the letter (the core deletes it once queued).
    done.current = true;
    try {
      // A save under way may be making the draft: its id is the one to delete.
      await saving.current.catch(() => undefined);
      const r = await call('mail:send', { ...p, draftId: draftId.current ?? undefined, sendAt });
      afterSend(r, sendAt !== undefined);
      window.history.length > 1 ? window.history.back() : navigate('/mail');
    } catch (e) {
      done.current = false;
      setError(toAppError(e).message);
    } finally {
      setBusy(false);
    }
  };

  /** Saves to «Черновики на этом компьютере»; false when that failed (the error is shown). */
  const saveDraft = async (): Promise<boolean> => {
    setBusy(true);
    try {
      const r = await persist(false);
      if (r) {
        base.current = r.data;
        autoWrote.current = false;
      }
      toast.ok(M.composeForm.draftSaved);
      return true;
    } catch (e) {
      setError(toAppError(e).message);
      return false;
    } finally {
      setBusy(false);
    }
  };

  const [dropping, setDropping] = useState(false);
  const addFiles = async (list: FileList | null) => {
    if (!list?.length) return;
    const added: NewFile[] = [];
    for (const f of Array.from(list)) {
      if (f.size > MAX_FILE) {
        toast.error(`${f.name}: ${M.composeForm.tooBig}`);
        continue;
      }
      added.push({ filename: f.name, contentType: f.type || 'application/octet-stream', dataBase64: await fileToBase64(f), size: f.size });
    }
    setFiles((x) => [...x, ...added]);
  };

  // «Шаблон ▾»: the text at the caret (above the signature), the subject if empty, the files added.
  const insertTemplate = (t: TemplateWithData) => {
    const acc = accounts.find((a) => a.id === fromAccount);
    const r = applyTemplate({ text, subject, cursor: caret.current, to, signature: acc?.signature ?? '', myName: acc?.name ?? '' }, t);
    setText(r.text);
    setSubject(r.subject);
    setFiles((x) => [...x, ...t.attachmentsData.map((a) => ({ ...a, size: Math.floor((a.dataBase64.length * 3) / 4) }))]);
    caret.current = r.cursor;
    toast.info(M.templates.inserted(t.name));
    requestAnimationFrame(() => {
      textArea.current?.focus();
      textArea.current?.setSelectionRange(r.cursor, r.cursor);
    });
  };

  const saveTemplate = async (name: string) => {
    const signature = accounts.find((a) => a.id === fromAccount)?.signature ?? '';
    const t = await call('mail:templates:save', {
      name,
      subject,
      text: withoutSignature(text, signature),
      attachments: files.map(({ filename, contentType, dataBase64 }) => ({ filename, contentType, dataBase64 })),
    });
    setTemplateSaveOpen(false);
    toast.ok(M.templates.saved(t.name));
  };

  const title = mode === 'forward' ? M.composeForm.titleForward : mode === 'new' ? M.composeForm.titleNew : M.composeForm.titleReply;
  return (
    <div className="page mail-compose" data-testid="mail-compose-page">
      <div className="page-head">
        <h1>{title}</h1>
      </div>
      <form
        className={`card form${dropping ? ' mail-compose-drop' : ''}`}
        // Files dropped anywhere on the form are attached (in Electron a drop elsewhere would
        // try to open the file in the window).
        onDragOver={(e) => {
          if (!e.dataTransfer.types.includes('Files')) return;
          e.preventDefault();
          e.dataTransfer.dropEffect = 'copy';
          setDropping(true);
        }}
        onDragLeave={(e) => {
          if (!e.currentTarget.contains(e.relatedTarget as Node | null)) setDropping(false);
        }}
        onDrop={(e) => {
          if (!e.dataTransfer.files.length) return;
          e.preventDefault();
          setDropping(false);
          void addFiles(e.dataTransfer.files);
        }}
        data-drop-hint={M.composeForm.dropHint}
        onSubmit={(e) => {
          e.preventDefault();
          void send();
        }}
      >
        {accounts.length > 1 ? (
          <Field label={M.composeForm.from}>
            <select value={accountId ?? ''} onChange={(e) => switchAccount(Number(e.target.value))}>
              {accounts.map((a) => (
                <option key={a.id} value={a.id}>{a.name ? `${a.name} <${a.email}>` : a.email}</option>
              ))}
            </select>
          </Field>
        ) : null}
        <Field label={M.composeForm.to} hint={M.composeForm.recipientsHint}>
          <RecipientInput value={to} onChange={setTo} accountId={fromAccount} autoFocus={mode !== 'reply' && mode !== 'replyAll'} data-testid="compose-to" />
        </Field>
        {showCc ? (
          <div className="form-row">
            <Field label={M.composeForm.cc}>
              <RecipientInput value={cc} onChange={setCc} accountId={fromAccount} data-testid="compose-cc" />
            </Field>
            <Field label={M.composeForm.bcc}>
              <RecipientInput value={bcc} onChange={setBcc} accountId={fromAccount} data-testid="compose-bcc" />
            </Field>
          </div>
        ) : (
          <button type="button" className="link-btn" onClick={() => setShowCc(true)}>{M.composeForm.showCc}</button>
        )}
        <Field label={M.composeForm.subject}>
          <input value={subject} onChange={(e) => setSubject(e.target.value)} data-testid="compose-subject" />
        </Field>
        <div className="mail-compose-tools">
          <TemplateMenu disabled={busy || !ready} onPick={insertTemplate} />
        </div>
        <Field label={M.composeForm.text}>
          <textarea
            rows={16}
            ref={textArea}
            value={text}
            onChange={(e) => {
              setText(e.target.value);
              caret.current = e.target.selectionStart;
            }}
            onKeyUp={(e) => (caret.current = e.currentTarget.selectionStart)}
            onMouseUp={(e) => (caret.current = e.currentTarget.selectionStart)}
            // A pasted screenshot or file becomes an attachment (the text is plain: no inline images).
            onPaste={(e) => {
              if (!e.clipboardData.files.length) return;
              e.preventDefault();
              void addFiles(e.clipboardData.files);
            }}
            data-testid="compose-text"
          />
        </Field>
        {srcAtt.length ? (
          <fieldset className="field">
            <legend>{M.composeForm.sourceAttachments}</legend>
            {srcAtt.map((a) => (
              <label key={a.index} className="check">
                <input
                  type="checkbox"
                  checked={keepSrc.has(a.index)}
                  onChange={(e) => {
                    const next = new Set(keepSrc);
                    if (e.target.checked) next.add(a.index);
                    else next.delete(a.index);
                    setKeepSrc(next);
                  }}
                />
                {a.filename} <span className="muted small">{formatSize(a.size)}</span>
              </label>
            ))}
          </fieldset>
        ) : null}
        <div className="mail-files">
          {files.map((f, i) => (
            <span className="mail-att" key={`${f.filename}-${i}`}>
              <span className="mail-att-name">{f.filename}</span>
              <span className="muted small">{formatSize(f.size)}</span>
              <button type="button" className="link-btn" onClick={() => setFiles(files.filter((_, j) => j !== i))}>{M.composeForm.removeFile}</button>
            </span>
          ))}
          <input ref={fileInput} type="file" multiple hidden onChange={(e) => void addFiles(e.target.files).then(() => { if (fileInput.current) fileInput.current.value = ''; })} data-testid="compose-files" />
          <button type="button" className="btn btn-sm" onClick={() => fileInput.current?.click()}>{M.composeForm.attach}</button>
        </div>
        {error ? <div className="error-box" role="alert">{error}</div> : null}
        {laterOpen ? <SendLaterPanel disabled={busy || !ready} onPick={(at) => void send(at)} onClose={() => setLaterOpen(false)} /> : null}
        {templateSaveOpen ? <SaveTemplatePanel initialName={subject.replace(/^\s*((re|fwd?)\s*:\s*)+/i, '')} onSave={saveTemplate} onClose={() => setTemplateSaveOpen(false)} /> : null}
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={busy || !ready} data-testid="compose-send">
            {busy ? M.composeForm.sending : M.composeForm.send}
          </button>
          <button type="button" className="btn" disabled={busy || !ready} onClick={() => setLaterOpen((v) => !v)} aria-expanded={laterOpen} data-testid="compose-send-later">
            {M.composeForm.sendLater}
          </button>
          <button type="button" className="btn" disabled={busy || !ready} onClick={() => void saveDraft()} data-testid="compose-save-draft">
            {M.composeForm.saveDraft}
          </button>
          <button type="button" className="btn" disabled={busy || !ready} onClick={() => setTemplateSaveOpen((v) => !v)} aria-expanded={templateSaveOpen} data-testid="compose-save-template">
            {M.templates.saveAs}
          </button>
          <button type="button" className="btn btn-ghost" onClick={cancel} data-testid="compose-cancel">
            {M.composeForm.cancel}
          </button>
          <span className={`mail-compose-status small${autoStatus?.kind === 'failed' ? ' failed' : ''}`} role="status" data-testid="compose-autosave">
            {autoStatus?.kind === 'saving'
              ? M.composeForm.autosaving
              : autoStatus?.kind === 'saved'
                ? M.composeForm.autosaved(formatTime(autoStatus.at))
                : autoStatus?.kind === 'failed'
                  ? M.composeForm.autosaveFailed(autoStatus.reason)
                  : null}
          </span>
        </div>
      </form>
      {leaveOpen ? (
        <Modal title={M.composeForm.leaveTitle} onClose={keepEditing}>
          <div className="form" data-testid="compose-leave-dialog">
            <p>{M.composeForm.leaveText}</p>
            {error ? <div className="error-box" role="alert">{error}</div> : null}
            <div className="form-actions">
              <button
                type="button"
                className="btn btn-primary"
                autoFocus
                disabled={busy}
                onClick={() => void saveDraft().then((ok) => ok && (setLeaveOpen(false), leave()))}
                data-testid="compose-leave-save"
              >
                {M.composeForm.leaveSave}
              </button>
              <button type="button" className="btn btn-danger" disabled={busy} onClick={discard} data-testid="compose-leave-discard">
                {M.composeForm.leaveDiscard}
              </button>
              <button type="button" className="btn" onClick={keepEditing} data-testid="compose-leave-stay">
                {M.composeForm.leaveStay}
              </button>
            </div>
          </div>
        </Modal>
      ) : null}
    </div>
  );
}
