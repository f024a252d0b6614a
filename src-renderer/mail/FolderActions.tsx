/**
 * Folder management in the folder pane: «+» per account and a «⋯» menu per folder (also on
 * right-click) with «Новая папка…», «Переименовать…», «Удалить папку». The core does the work on
 * the server; the pane refreshes from its `mail:changed`.
 */
import { useEffect, useRef, useState } from 'react';
import { call, toAppError } from '../api';
import { Field } from '../components/Field';
import { Modal } from '../components/Modal';
import { navigate } from '../router';
import { toast } from '../stores/toasts';
import { MailFolderNameSchema, type MailFolderView } from '../../src-shared/ipc/mail';
import { M, folderTitle } from './strings';
import { useMail } from './store';
import { askConfirm } from '../stores/confirm';

export type FolderDialogState = { kind: 'create'; accountId: number; parent: MailFolderView | null } | { kind: 'rename'; folder: MailFolderView };

/** INBOX and the folders with a role keep their names (the core refuses too). */
export const isProtectedFolder = (f: MailFolderView) => Boolean(f.specialUse) || f.path.toUpperCase() === 'INBOX';

/** The name form for a new folder or a rename; the folder is opened once the server has it. */
export function FolderNameDialog({ state, onClose }: { state: FolderDialogState; onClose: () => void }) {
  const [name, setName] = useState(state.kind === 'rename' ? state.folder.name : '');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const F = M.folderManage;
  const submit = async () => {
    // The contract's own rules, so the message comes before a round trip.
    const parsed = MailFolderNameSchema.safeParse(name);
    if (!parsed.success) {
      setError(parsed.error.issues[0]?.message ?? F.badName);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const v =
        state.kind === 'create'
          ? await call('mail:folders:create', { accountId: state.accountId, parentId: state.parent?.id, name: parsed.data })
          : await call('mail:folders:rename', { folderId: state.folder.id, name: parsed.data });
      // Listed before it is opened, so the pane and the list agree at once.
      await useMail.getState().reloadFolders();
      toast.ok(state.kind === 'create' ? F.created(v.name) : F.renamed(v.name));
      onClose();
      navigate(`/mail/f/${v.id}`);
    } catch (e) {
      setError(toAppError(e).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal title={state.kind === 'create' ? F.createTitle : F.renameTitle} onClose={onClose}>
      <form
        className="form"
        data-testid="mail-folder-dialog"
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <Field
          label={F.name}
          hint={state.kind === 'create' ? (state.parent ? F.inside(folderTitle(state.parent)) : F.atTop) : F.renameHint}
        >
          <input autoFocus value={name} onChange={(e) => setName(e.target.value)} maxLength={200} data-testid="mail-folder-name" />
        </Field>
        {error ? (
          <div className="error-box" role="alert" data-testid="mail-folder-error">
            {error}
          </div>
        ) : null}
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={busy} data-testid="mail-folder-save">
            {busy ? F.working : state.kind === 'create' ? F.create : F.save}
          </button>
          <button type="button" className="btn" onClick={onClose}>
            {F.cancel}
          </button>
        </div>
      </form>
    </Modal>
  );
}

/**
 * «Удалить папку»: the server counts what goes (subfolders too), the user confirms, then it is
 * deleted. When the open folder went with it, the account's inbox opens.
 */
export async function deleteFolder(folder: MailFolderView, openId: number | null): Promise<void> {
  const F = M.folderManage;
  const p = await call('mail:folders:deletePreview', { folderId: folder.id });
  if (!(await askConfirm(F.confirmDelete(p), F.remove))) return;
  const r = await call('mail:folders:delete', { folderId: folder.id });
  toast.info(F.deleted(p.name, r.deleted - 1));
  await useMail.getState().reloadFolders();
  const folders = useMail.getState().folders;
  if (openId !== null && !folders.some((f) => f.id === openId)) {
    const inbox = folders.find((f) => f.accountId === folder.accountId && (f.specialUse === '\\Inbox' || f.path.toUpperCase() === 'INBOX'));
    navigate(inbox ? `/mail/f/${inbox.id}` : '/mail');
  }
}

/** The «⋯» menu of one folder. */
export function FolderMenu({
  folder,
  onClose,
  onDialog,
  openId,
}: {
  folder: MailFolderView;
  onClose: () => void;
  onDialog: (s: FolderDialogState) => void;
  openId: number | null;
}) {
  const box = useRef<HTMLDivElement>(null);
  const F = M.folderManage;
  useEffect(() => {
    const away = (e: MouseEvent) => {
      if (box.current && !box.current.contains(e.target as Node)) onClose();
    };
    const key = (e: KeyboardEvent) => e.key === 'Escape' && onClose();
    document.addEventListener('mousedown', away);
    window.addEventListener('keydown', key);
    box.current?.querySelector('button')?.focus();
    return () => {
      document.removeEventListener('mousedown', away);
      window.removeEventListener('keydown', key);
    };
  }, [onClose]);
  const locked = isProtectedFolder(folder);
  return (
    <div className="mail-folder-menu" role="menu" ref={box} data-testid="mail-folder-menu">
      <button type="button" role="menuitem" data-testid="mail-folder-menu-create" onClick={() => (onClose(), onDialog({ kind: 'create', accountId: folder.accountId, parent: folder }))}>
        {F.newInside}
      </button>
      {locked ? (
        <div className="mail-folder-menu-note">{F.lockedNote}</div>
      ) : (
        <>
          <button type="button" role="menuitem" data-testid="mail-folder-menu-rename" onClick={() => (onClose(), onDialog({ kind: 'rename', folder }))}>
            {F.rename}
          </button>
          <button
            type="button"
            role="menuitem"
            className="danger-link"
            data-testid="mail-folder-menu-delete"
            onClick={() => {
              onClose();
              deleteFolder(folder, openId).catch((e) => toast.error(toAppError(e).message));
            }}
          >
            {F.remove}
          </button>
        </>
      )}
    </div>
  );
}
