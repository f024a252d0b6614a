/** `#/mail`: accounts and folders, the message list with search, the reader. */
import { useCallback, useEffect, useRef, useState } from 'react';
import { call, toAppError } from '../api';
import { href, navigate } from '../router';
import type { MailAccountState, MailFolderView } from '../../src-shared/ipc/mail';
import { toast } from '../stores/toasts';
import { moveMail } from './BulkBar';
import { draggingMailOf, droppedMail } from './drag';
import { FolderMenu, FolderNameDialog, type FolderDialogState } from './FolderActions';
import { MessageList } from './MessageList';
import { DraftsFolderNotice } from './Outbox';
import { Reader } from './Reader';
import { M, folderTitle } from './strings';
import { useMail } from './store';

export function stateLine(s: MailAccountState | undefined): { text: string; kind: 'ok' | 'warn' | 'error' | 'muted' } {
  if (!s) return { text: M.state.idle, kind: 'muted' };
  switch (s.state) {
    case 'synced':
      return { text: M.state.synced, kind: 'ok' };
    case 'syncing':
      return { text: M.state.syncing(s.done, s.total, s.percent, s.folder), kind: 'warn' };
    case 'connecting':
      return { text: M.state.connecting, kind: 'muted' };
    case 'offline':
      return { text: M.state.offline(s.reason, s.retryInSec), kind: 'warn' };
    case 'error':
      return { text: `${M.state.error}: ${s.reason}${s.hint ? ` ${s.hint}` : ''}`, kind: 'error' };
    default:
      return { text: M.state.idle, kind: 'muted' };
  }
}

/** A folder in the pane; messages dragged from the list of the same account drop into it. */
function FolderLink({ folder: f, active }: { folder: MailFolderView; active: boolean }) {
  const [over, setOver] = useState(false);
  // Mail not all here yet (still loading, or a virtual folder): the server's count (STATUS).
  const unread = f.sync !== 'synced' && f.serverUnread !== null ? f.serverUnread : f.unread;
  const accepts = (dt: DataTransfer) => !active && draggingMailOf(dt, f.accountId);
  return (
    <a
      href={href(`/mail/f/${f.id}`)}
      className={`mail-folder${active ? ' active' : ''}${unread ? ' has-unread' : ''}${over ? ' drop-target' : ''}`}
      style={{ paddingLeft: 10 + f.depth * 12 }}
      data-testid="mail-folder"
      data-path={f.path}
      onDragOver={(e) => {
        if (!accepts(e.dataTransfer)) return;
        e.preventDefault();
        e.dataTransfer.dropEffect = 'move';
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={(e) => {
        setOver(false);
        if (!accepts(e.dataTransfer)) return;
        e.preventDefault();
        const ids = droppedMail(e.dataTransfer, f.accountId);
        if (!ids.length) return;
        moveMail(ids, f).catch((err) => toast.error(toAppError(err).message));
      }}
    >
      <span className="grow" title={folderTitle(f)}>{folderTitle(f)}</span>
      {unread ? <span className="count-badge">{unread}</span> : null}
    </a>
  );
}

function FolderPane({ current, drawer }: { current: number | null; drawer: boolean }) {
  const accounts = useMail((s) => s.accounts);
  const folders = useMail((s) => s.folders);
  const states = useMail((s) => s.states);
  const outbox = useMail((s) => s.outboxPending);
  // One folder menu («⋯» or right-click) and one name dialog at a time.
  const [menu, setMenu] = useState<number | null>(null);
  const [dialog, setDialog] = useState<FolderDialogState | null>(null);
  const closeMenu = useCallback(() => setMenu(null), []);
  return (
    <nav className={`mail-folders${drawer ? ' open' : ''}`} aria-label={M.foldersToggle} data-testid="mail-folders">
      <a className="btn btn-primary btn-block" href={href('/mail/compose')} data-testid="mail-compose">{M.compose}</a>
      {accounts.map((a) => {
        const st = stateLine(states[a.id]);
        const s = states[a.id];
        return (
          <div className="mail-account" key={a.id}>
            <div className="mail-account-head">
              <div className="mail-account-name grow" title={a.email}>{a.name || a.email}</div>
              <button
                type="button"
                className="icon-btn"
                title={M.folderManage.newFor(a.email)}
                aria-label={M.folderManage.newFor(a.email)}
                data-testid="mail-folder-new"
                onClick={() => setDialog({ kind: 'create', accountId: a.id, parent: null })}
              >
                +
              </button>
            </div>
            <div className={`mail-state mail-state-${st.kind}`} data-testid="mail-state" title={st.text}>
              {st.text}
            </div>
            {s?.state === 'syncing' ? (
              <div className="mail-progress" role="progressbar" aria-valuenow={s.percent} aria-valuemin={0} aria-valuemax={100}>
                <div style={{ width: `${s.percent}%` }} />
              </div>
            ) : null}
            <ul>
              {folders
                .filter((f) => f.accountId === a.id)
                .map((f: MailFolderView) => (
                  <li
                    key={f.id}
                    className={`mail-folder-item${menu === f.id ? ' menu-open' : ''}`}
                    onContextMenu={(e) => {
                      e.preventDefault();
                      setMenu(f.id);
                    }}
                  >
                    <FolderLink folder={f} active={f.id === current} />
                    <button
                      type="button"
                      className="icon-btn mail-folder-more"
                      title={M.folderManage.more(folderTitle(f))}
                      aria-label={M.folderManage.more(folderTitle(f))}
                      aria-haspopup="menu"
                      aria-expanded={menu === f.id}
                      data-testid="mail-folder-more"
                      onClick={() => setMenu(menu === f.id ? null : f.id)}
                    >
                      ⋯
                    </button>
                    {menu === f.id ? <FolderMenu folder={f} openId={current} onClose={closeMenu} onDialog={setDialog} /> : null}
                  </li>
                ))}
            </ul>
          </div>
        );
      })}
      <div className="mail-links">
        <a href={href('/mail/outbox')} className="mail-folder" data-testid="mail-outbox-link">
          <span className="grow">{M.outbox}</span>
          {outbox ? <span className="count-badge count-danger">{outbox}</span> : null}
        </a>
        <a href={href('/mail/drafts')} className="mail-folder" data-testid="mail-drafts-link"><span className="grow" title={M.drafts}>{M.drafts}</span></a>
        <a href={href('/mail/settings')} className="mail-folder" data-testid="mail-settings-link"><span className="grow">{M.settings}</span></a>
      </div>
      {dialog ? <FolderNameDialog state={dialog} onClose={() => setDialog(null)} /> : null}
    </nav>
  );
}

/** The «?» by the search box: the operators the core understands. */
function SearchHelp() {
  const ref = useRef<HTMLDetailsElement>(null);
  // A <details> opens by click or keyboard by itself; it only needs closing from outside and by Esc,
  // since its list covers the filters under the box.
  useEffect(() => {
    const close = (e: Event) => {
      const d = ref.current;
      if (!d?.open) return;
      if (e instanceof KeyboardEvent ? e.key === 'Escape' : !d.contains(e.target as Node)) d.open = false;
    };
    document.addEventListener('pointerdown', close);
    document.addEventListener('keydown', close);
    return () => {
      document.removeEventListener('pointerdown', close);
      document.removeEventListener('keydown', close);
    };
  }, []);
  return (
    <details className="mail-search-help" ref={ref} data-testid="mail-search-help">
      <summary title={M.searchHelp.label} aria-label={M.searchHelp.label}>?</summary>
      <div className="mail-search-help-body">
        <p>{M.searchHelp.intro}</p>
        <dl>
          {M.searchHelp.items.map(([ru, en, what]) => (
            <div key={en}>
              <dt><code>{ru}</code> <span className="muted">или</span> <code>{en}</code></dt>
              <dd>{what}</dd>
            </div>
          ))}
        </dl>
        <p className="muted">{M.searchHelp.example}</p>
      </div>
    </details>
  );
}

export function MailHome({ folderId, messageId, query }: { folderId: number | null; messageId: number | null; query: string }) {
  const accounts = useMail((s) => s.accounts);
  const folders = useMail((s) => s.folders);
  const loaded = useMail((s) => s.loaded);
  const [q, setQ] = useState(query);
  useEffect(() => setQ(query), [query]);
  // Narrow windows (≤1000 px, mail.css) hide the folder pane; «Папки» shows it over the list.
  const [drawer, setDrawer] = useState(false);
  useEffect(() => {
    if (!drawer) return;
    const close = (e: Event) => {
      const t = e.target as Element;
      if (e instanceof KeyboardEvent ? e.key === 'Escape' : !t.closest?.('.mail-folders, [data-testid="mail-folders-toggle"], .modal-backdrop, .popup-overlay')) setDrawer(false);
    };
    document.addEventListener('pointerdown', close);
    document.addEventListener('keydown', close);
    return () => {
      document.removeEventListener('pointerdown', close);
      document.removeEventListener('keydown', close);
    };
  }, [drawer]);

  // No folder chosen: the first account's INBOX.
  const fallback = folders.find((f) => f.path.toUpperCase() === 'INBOX') ?? folders[0];
  const fid = folderId ?? fallback?.id ?? null;
  const folder = folders.find((f) => f.id === fid);
  // A folder picked in the drawer closes it.
  useEffect(() => setDrawer(false), [fid]);

  // Opened before its mail is all here (a virtual folder, or one still loading in the
  // background): fetched now, ahead of the others.
  const fsync = folder?.sync;
  useEffect(() => {
    if (fid !== null && fsync !== undefined && fsync !== 'synced') {
      void call('mail:folders:sync', { folderId: fid }).catch((e) => console.warn(toAppError(e).message));
    }
  }, [fid, fsync]);

  if (loaded && !accounts.length) {
    return (
      <div className="page">
        <h1>{M.title}</h1>
        <div className="card">
          <p>{M.noAccounts}</p>
          <a className="btn btn-primary" href={href('/mail/settings')} data-testid="mail-connect">{M.connectAccount}</a>
        </div>
      </div>
    );
  }

  const base = fid !== null ? `/mail/f/${fid}` : '/mail';
  const qs = q.trim() ? `?q=${encodeURIComponent(q.trim())}` : '';
  return (
    <div className="mail-layout">
      <FolderPane current={fid} drawer={drawer} />
      <section className="mail-middle">
        <div className="mail-search">
          <button
            type="button"
            className="icon-btn mail-folders-toggle"
            title={folder ? `${M.foldersToggle}: ${folderTitle(folder)}` : M.foldersToggle}
            aria-label={M.foldersToggle}
            aria-expanded={drawer}
            data-testid="mail-folders-toggle"
            onClick={() => setDrawer(!drawer)}
          >
            ☰
          </button>
          <input
            type="search"
            className="search"
            placeholder={M.searchPlaceholder}
            aria-label={M.searchLabel}
            value={q}
            onChange={(e) => setQ(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter') navigate(`${base}${e.currentTarget.value.trim() ? `?q=${encodeURIComponent(e.currentTarget.value.trim())}` : ''}`);
            }}
            data-testid="mail-search"
          />
          <SearchHelp />
        </div>
        {folder?.specialUse === '\\Drafts' ? <DraftsFolderNotice accountId={folder.accountId} /> : null}
        {fid !== null && folder ? (
          <MessageList
            folder={folder}
            query={q}
            selectedId={messageId}
            onOpen={(m) => navigate(`/mail/f/${m.folderId}/m/${m.id}${qs}`)}
            onRemoved={(ids) => messageId !== null && ids.includes(messageId) && navigate(`${base}${qs}`)}
          />
        ) : (
          <div className="muted mail-empty">{loaded ? M.noFolder : M.loading}</div>
        )}
      </section>
      <section className="mail-right">
        {messageId !== null ? (
          <Reader id={messageId} onDeleted={() => navigate(`${base}${qs}`)} />
        ) : (
          <div className="muted mail-empty">{M.selectMessage}</div>
        )}
      </section>
    </div>
  );
}
