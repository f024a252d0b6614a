/**
 * The bar above the message list: the «select all» box and, for the checked messages, flag,
 * delete, move, and in «Ещё ▾» unflag, read / unread, spam; with nothing checked, «Отметить все
 * как прочитанные».
 */
import { useEffect, useRef } from 'react';
import { call, toAppError } from '../api';
import { toast, useToasts } from '../stores/toasts';
import type { MailFolderView } from '../../src-shared/ipc/mail';
import { MenuButton } from '../components/Menu';
import { FolderSelect, spamTarget } from './FolderSelect';
import { M, folderTitle } from './strings';
import { useMail } from './store';
import { useBusyAction } from './useBusyAction';
import { askConfirm } from '../stores/confirm';

/** How long the toast of a delete or move offers «Отменить» (the core keeps the token for a minute). */
export const UNDO_TOAST_MS = 8000;

/**
 * The toast after a delete or move: with «Отменить» when the core gave an undo token (never
 * for a deletion for good). Undone, it says how many came back, or why they did not.
 */
export function removedToast(text: string, undoToken: string | null): void {
  if (!undoToken) {
    toast.info(text);
    return;
  }
  const run = () => {
    call('mail:undo', { token: undoToken })
      .then((r) => toast.ok(M.bulk.restored(r.restored)))
      .catch((e) => toast.error(toAppError(e).message, M.bulk.undoFailed));
  };
  useToasts.getState().push({ kind: 'info', text, action: { label: M.bulk.undo, run, testId: 'mail-undo' } }, UNDO_TOAST_MS);
}

/** Files messages into `target` and says how many went (the bar, and rows dropped on a folder). */
export async function moveMail(ids: number[], target: MailFolderView): Promise<void> {
  const r = await call('mail:messages:move', { ids, folderId: target.id });
  removedToast(M.bulk.moved(r.moved, folderTitle(target)), r.undoToken);
}

export interface BulkActions {
  busy: boolean;
  setFlags(f: { seen?: boolean; flagged?: boolean }): void;
  move(folder: MailFolderView): void;
  /** To Trash; in Trash, for good after a confirmation. `only`: these instead of the checked ones. */
  remove(only?: number[]): void;
  markAllRead(): void;
  /** «Очистить корзину» / «Очистить спам», after a confirmation. */
  emptyFolder(): void;
}

/** What the bar's buttons (and the list's Delete key) do to the checked messages. */
export function useBulkActions(ids: number[], folder: MailFolderView, searching: boolean, onRemoved: (ids: number[]) => void): BulkActions {
  const { busy, act } = useBusyAction();
  return {
    busy,
    setFlags: (f) =>
      void act(async () => {
        await call('mail:messages:setFlags', { ids, ...f });
      }),
    move: (target) =>
      void act(async () => {
        await moveMail(ids, target);
        onRemoved(ids);
      }),
    remove: (only = ids) => {
      if (!only.length || busy) return;
      void act(async () => {
        if (inTrash(folder, searching) && !(await askConfirm(M.bulk.confirmDeleteForever(only.length), M.bulk.deleteForever))) return;
        const r = await call('mail:messages:delete', { ids: only });
        removedToast(M.bulk.deleted(r.deleted), r.undoToken);
        onRemoved(only);
      });
    },
    markAllRead: () =>
      void act(async () => {
        const r = await call('mail:folders:markSeen', { folderId: folder.id });
        toast.info(M.bulk.markedAll(r.marked));
      }),
    emptyFolder: () =>
      void act(async () => {
        // The count asked about is the folder's now, not the pane's last refresh.
        const { total } = await call('mail:folders:messageIds', { folderId: folder.id, limit: 1 });
        if (!total || !(await askConfirm(M.bulk.confirmEmpty(total), M.bulk.deleteForever))) return;
        const r = await call('mail:folders:empty', { folderId: folder.id });
        toast.info(M.bulk.deleted(r.deleted));
        onRemoved([]);
      }),
  };
}

const inTrash = (folder: MailFolderView, searching: boolean) => !searching && folder.specialUse === '\\Trash';

export function BulkBar({
  count,
  folder,
  searching,
  allChecked,
  actions,
  onToggleAll,
  onClear,
}: {
  /** How many messages are checked. */
  count: number;
  folder: MailFolderView;
  searching: boolean;
  allChecked: boolean;
  actions: BulkActions;
  onToggleAll: () => void;
  onClear: () => void;
}) {
  const folders = useMail((s) => s.folders);
  const box = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (box.current) box.current.indeterminate = count > 0 && !allChecked;
  }, [count, allChecked]);
  const busy = actions.busy;
  // Search results may come from several folders; mail already in the target stays put.
  const targets = folders.filter((f) => f.accountId === folder.accountId && (searching || f.id !== folder.id));
  // «Спам» files into the account's Junk; in Junk, «Не спам» takes it back to the inbox.
  const inJunk = !searching && folder.specialUse === '\\Junk';
  const spamTo = spamTarget(targets, inJunk);
  const emptiable = !searching && (folder.specialUse === '\\Trash' || inJunk) && folder.total > 0;

  return (
    <div className="mail-bulk" data-testid="mail-bulk" title={M.bulk.hint}>
      <input
        ref={box}
        type="checkbox"
        className="mail-tick"
        aria-label={M.bulk.selectAll}
        title={M.bulk.selectAll}
        checked={count > 0 && allChecked}
        onChange={onToggleAll}
        data-testid="mail-select-all"
      />
      {count ? (
        <>
          <span className="mail-bulk-count" data-testid="mail-selected-count">{M.bulk.selected(count)}</span>
          <button type="button" className="link-btn mail-bulk-clear" onClick={onClear} title={M.bulk.clear} aria-label={M.bulk.clear} data-testid="mail-bulk-clear">✕</button>
          {/* Compact, so the bar keeps to two rows in the list's 250–400 px: the star as an icon, the rarer actions in «Ещё ▾». */}
          <button type="button" className="btn btn-sm btn-ghost" disabled={busy} onClick={() => actions.setFlags({ flagged: true })} data-testid="mail-bulk-flag" title={M.bulk.flagTitle} aria-label={M.bulk.flagTitle}>★</button>
          <button
            type="button"
            className="btn btn-sm btn-ghost"
            disabled={busy}
            data-testid="mail-bulk-delete"
            onClick={() => actions.remove()}
          >
            {inTrash(folder, searching) ? M.bulk.deleteForever : M.bulk.delete}
          </button>
          <MenuButton
            label={`${M.reader.more} ▾`}
            title={M.bulk.moreTitle}
            buttonClass="btn btn-sm btn-ghost"
            disabled={busy}
            testId="mail-bulk-more"
            items={[
              { label: M.bulk.unflag, testId: 'mail-bulk-unflag', onPick: () => actions.setFlags({ flagged: false }) },
              { label: M.bulk.markRead, testId: 'mail-bulk-read', onPick: () => actions.setFlags({ seen: true }) },
              { label: M.bulk.markUnread, testId: 'mail-bulk-unread', onPick: () => actions.setFlags({ seen: false }) },
              ...(spamTo ? [{ label: inJunk ? M.bulk.notSpam : M.bulk.spam, testId: inJunk ? 'mail-bulk-not-spam' : 'mail-bulk-spam', onPick: () => actions.move(spamTo) }] : []),
            ]}
          />
          <FolderSelect
            folders={targets}
            disabled={busy}
            testId="mail-bulk-move"
            onPick={actions.move}
          />
        </>
      ) : (
        <>
          <span className="grow" />
          {!searching && folder.unread > 0 ? (
            <button type="button" className="link-btn" disabled={busy} data-testid="mail-mark-all-read" title={M.bulk.markAllReadTitle} onClick={actions.markAllRead}>
              {M.bulk.markAllRead}
            </button>
          ) : null}
          {emptiable ? (
            <button type="button" className="link-btn danger-link" disabled={busy} data-testid="mail-empty-folder" onClick={actions.emptyFolder}>
              {inJunk ? M.bulk.emptyJunk : M.bulk.emptyTrash}
            </button>
          ) : null}
        </>
      )}
    </div>
  );
}
