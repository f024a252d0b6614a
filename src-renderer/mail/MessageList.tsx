/**
 * The message list: virtualized (only visible rows are in the DOM), loaded in pages from the
 * core, unread in bold; or search results when a query is given. Quick filters above it («Все»,
 * «Непрочитанные», «★», «С вложениями») narrow both, in the core. ↑/↓ open the next or previous
 * message. Messages are checked for bulk actions by their box, Ctrl+click (one), Shift+click (a
 * range) or Ctrl+A (all that the filter shows).
 *
 * Under «Непрочитанные» or «★», what the user opens, reads or un-stars stays listed until the
 * view changes (folder, filter, search, or the active filter pressed again): see StickyIds. The
 * count, Ctrl+A and the selection take the same kept ids, so bulk actions act on what is shown.
 */
import { useVirtualizer } from '@tanstack/react-virtual';
import { useCallback, useEffect, useRef, useState, type KeyboardEvent, type MouseEvent } from 'react';
import { call, toAppError } from '../api';
import { formatDateTime, formatListDate } from '../format';
import { IconPaperclip } from '../components/icons';
import { toast } from '../stores/toasts';
import { MAX_BULK, type MailFolderView, type MailListFilter, type MailSummary } from '../../src-shared/ipc/mail';
import { BulkBar, useBulkActions, type BulkActions } from './BulkBar';
import { dragMail } from './drag';
import { StickyIds } from './sticky';
import { M, folderTitle } from './strings';
import { useMail } from './store';

const PAGE = 100;
/**
 * A row's height in px, for the virtualizer and each row's box. It must hold what mail.css puts in
 * `.mail-row` (fixed line heights, so it does not depend on the font): padding 8 + 9, three lines
 * 20 + 20 + 18, two 1px gaps and the 1px bottom border = 78. Change both together.
 */
const ROW = 78;

/** Each folder's quick filter while the app runs (not saved: a restart shows «Все»). */
const filterOf = new Map<number, MailListFilter>();
const FILTERS: { value: MailListFilter | null; label: string; title?: string }[] = [
  { value: null, label: M.filters.all },
  { value: 'unread', label: M.filters.unread },
  { value: 'flagged', label: M.filters.flagged, title: M.filters.flaggedTitle },
  { value: 'attachments', label: M.filters.attachments },
];

function who(m: MailSummary, sentFolder: boolean): string {
  if (sentFolder) {
    const to = m.to[0];
    return to ? `${M.reader.to}: ${to.name || to.email}${m.to.length > 1 ? ` +${m.to.length - 1}` : ''}` : '';
  }
  return m.from ? m.from.name || m.from.email : '';
}

export function MessageList({
  folder,
  query,
  selectedId,
  onOpen,
  onRemoved,
}: {
  folder: MailFolderView;
  query: string;
  selectedId: number | null;
  onOpen: (m: MailSummary) => void;
  /** Checked messages were moved or deleted. */
  onRemoved: (ids: number[]) => void;
}) {
  const folderId = folder.id;
  const accountId = folder.accountId;
  const sentFolder = folder.specialUse === '\\Sent';
  const parentRef = useRef<HTMLDivElement>(null);
  const pages = useRef(new Map<number, MailSummary[]>());
  const inflight = useRef(new Set<number>());
  const [total, setTotal] = useState<number | null>(null);
  const [, setVersion] = useState(0);
  const [error, setError] = useState<string | null>(null);
  /** Searched folders still being downloaded: the results say they may be incomplete. */
  const [loadingIds, setLoadingIds] = useState<number[]>([]);
  const searching = query.trim().length > 0;
  const tick = useMail((s) => (searching ? s.tick : (s.changedTick[folderId] ?? 0)));
  const folders = useMail((s) => s.folders);
  /** A search spans the account's folders: each row names its folder (as the sidebar does). */
  const rowFolder = (m: MailSummary): string | null => {
    if (!searching) return null;
    const f = folders.find((x) => x.id === m.folderId);
    return f ? folderTitle(f) : null;
  };
  const generation = useRef(0);
  /** What the loaded pages are of: stale rows are kept only while that stays the same. */
  const shown = useRef('');
  const [checked, setChecked] = useState<ReadonlySet<number>>(new Set());
  // Read from the per-folder map during render, so a folder switch never loads with the old one.
  const filter = filterOf.get(folderId);
  const [, setFilterVersion] = useState(0);
  /** Bumped by a press on the active filter: the same view afresh (kept rows go). */
  const [epoch, setEpoch] = useState(0);
  const setFilter = (f: MailListFilter | null) => {
    if ((filter ?? null) === f) {
      setEpoch((e) => e + 1);
      return;
    }
    if (f) filterOf.set(folderId, f);
    else filterOf.delete(folderId);
    setFilterVersion((v) => v + 1);
  };
  /** Messages opened or changed in this view: they stay listed past the filter. */
  const sticky = useRef(new StickyIds());
  const keep = () => (filter ? sticky.current.keep() : undefined);
  /** The row a Shift+click ranges from: the last one clicked or checked (and its message). */
  const anchor = useRef<number | null>(null);
  const anchorId = useRef<number | null>(null);
  const setAnchor = (index: number | null, id: number | null = null) => {
    anchor.current = index;
    anchorId.current = id;
  };

  const loadPage = useCallback(
    async (page: number, gen: number) => {
      if (inflight.current.has(page)) return;
      inflight.current.add(page);
      try {
        const r = await call('mail:messages:list', { folderId, offset: page * PAGE, limit: PAGE, filter, keep: filter ? sticky.current.keep() : undefined });
        if (gen !== generation.current) return;
        pages.current.set(page, r.items);
        setTotal(r.total);
        setError(null);
        setVersion((v) => v + 1);
      } catch (e) {
        if (gen === generation.current) setError(toAppError(e).message);
      } finally {
        inflight.current.delete(page);
      }
    },
    [folderId, filter],
  );

  const runSearch = useCallback(
    async (gen: number) => {
      try {
        const r = await call('mail:messages:search', { query, accountId, limit: 300, filter, keep: filter ? sticky.current.keep() : undefined });
        if (gen !== generation.current) return;
        pages.current = new Map([[0, r.items]]);
        setLoadingIds(r.loadingFolderIds);
        setTotal(r.items.length);
        setError(null);
        setVersion((v) => v + 1);
      } catch (e) {
        if (gen === generation.current) setError(toAppError(e).message);
      }
    },
    [query, accountId, filter],
  );

  const virtualizer = useVirtualizer({
    count: total ?? 0,
    getScrollElement: () => parentRef.current,
    estimateSize: () => ROW,
    overscan: 12,
  });

  // Folder, query or content changed: reload what is shown.
  useEffect(() => {
    const gen = ++generation.current;
    const key = `${folderId}|${query}|${filter ?? ''}|${epoch}`;
    // Another view: what the old one kept shown goes.
    sticky.current.forView(key);
    // Another folder, query or filter: rows of the old one must not show under the new count.
    const stale = shown.current === key ? pages.current : new Map<number, MailSummary[]>();
    shown.current = key;
    pages.current = new Map();
    inflight.current.clear();
    if (searching) {
      const t = setTimeout(() => void runSearch(gen), 200);
      return () => clearTimeout(t);
    }
    const items = virtualizer.getVirtualItems();
    const first = items.length ? Math.floor(items[0].index / PAGE) : 0;
    const last = items.length ? Math.floor(items[items.length - 1].index / PAGE) : 0;
    // Keep stale rows visible until the fresh page arrives (no flicker on new mail).
    for (let p = first; p <= last; p++) {
      const old = stale.get(p);
      if (old) pages.current.set(p, old);
    }
    for (let p = first; p <= last; p++) void loadPage(p, gen);
    return undefined;
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [folderId, query, tick, filter, epoch]);

  // The open message stays listed in this view once read (after the effect above, which starts a
  // new view's set over).
  useEffect(() => {
    if (selectedId !== null) sticky.current.add([selectedId]);
  }, [selectedId]);

  useEffect(() => {
    setTotal(null);
    setChecked(new Set());
    setAnchor(null);
    parentRef.current?.scrollTo({ top: 0 });
  }, [folderId, query, filter, epoch]);

  // The folder changed (mail moved or deleted by another client, a rule, the sync): what was
  // checked and is gone (or no longer shown by the filter) leaves the selection, or «Выбрано: N»
  // would count it.
  useEffect(() => {
    if (searching || checked.size === 0) return;
    const asked = [...checked];
    let live = true;
    void call('mail:folders:presentIds', { folderId, ids: asked, filter, keep: keep() })
      .then((present) => {
        if (!live || present.length === asked.length) return;
        const kept = new Set(present);
        const wasAsked = new Set(asked);
        setChecked((cur) => new Set([...cur].filter((id) => !wasAsked.has(id) || kept.has(id))));
      })
      .catch(() => {});
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [tick]);

  const ids = [...checked];
  const bulk = useBulkActions(ids, folder, searching, (gone) => {
    setChecked(new Set());
    onRemoved(gone);
  });
  // Read / unread / ★ on the checked rows: they stay listed in this view whatever the filter.
  const actions: BulkActions = {
    ...bulk,
    setFlags: (f) => {
      sticky.current.add(ids);
      bulk.setFlags(f);
    },
  };
  const allChecked = total !== null && total > 0 && checked.size >= Math.min(total, MAX_BULK);

  /** Ids of the rows from..to (either order), loading the pages between that are not here. */
  const idsBetween = async (from: number, to: number): Promise<number[]> => {
    const [lo, hi] = from < to ? [from, to] : [to, from];
    const gen = generation.current;
    for (let p = Math.floor(lo / PAGE); p <= Math.floor(hi / PAGE); p++) {
      if (!pages.current.has(p) && !searching) await loadPage(p, gen);
    }
    const out: number[] = [];
    for (let i = lo; i <= hi && out.length < MAX_BULK; i++) {
      const m = pages.current.get(Math.floor(i / PAGE))?.[i % PAGE];
      if (m) out.push(m.id);
    }
    return out;
  };

  const check = async (m: MailSummary, index: number, range: boolean) => {
    const from = anchorIndex();
    if (range && from !== null) {
      const add = await idsBetween(from, index);
      setChecked((c) => new Set([...c, ...add].slice(0, MAX_BULK)));
    } else {
      setChecked((c) => {
        const next = new Set(c);
        if (!next.delete(m.id) && next.size < MAX_BULK) next.add(m.id);
        return next;
      });
      setAnchor(index, m.id);
    }
  };

  const toggleAll = async () => {
    if (allChecked) {
      setChecked(new Set());
      return;
    }
    if (searching) {
      setChecked(new Set((pages.current.get(0) ?? []).map((m) => m.id)));
      return;
    }
    try {
      const r = await call('mail:folders:messageIds', { folderId, filter, keep: keep() });
      setChecked(new Set(r.ids));
      if (r.total > r.ids.length) toast.info(M.bulk.capped(r.ids.length, r.total));
    } catch (e) {
      toast.error(toAppError(e).message);
    }
  };

  const onRowClick = (e: MouseEvent, m: MailSummary, index: number) => {
    if (e.ctrlKey || e.metaKey || (e.shiftKey && anchor.current !== null)) {
      e.preventDefault();
      void check(m, index, e.shiftKey);
      return;
    }
    setAnchor(index, m.id);
    open(m);
  };

  /** Opens a row's message, which then stays listed in this view once read. */
  const open = (m: MailSummary) => {
    sticky.current.add([m.id]);
    onOpen(m);
  };

  /** The row index of a loaded message, or null. */
  const indexOf = (id: number): number | null => {
    for (const [p, items] of pages.current) {
      const i = items.findIndex((x) => x.id === id);
      if (i >= 0) return p * PAGE + i;
    }
    return null;
  };

  /** The anchor row's index now: found by its message first (mail that came in above moved it down). */
  const anchorIndex = (): number | null => (anchorId.current !== null ? indexOf(anchorId.current) : null) ?? anchor.current;

  const onKeyDown = (e: KeyboardEvent) => {
    if ((e.ctrlKey || e.metaKey) && e.code === 'KeyA') {
      e.preventDefault();
      if (!allChecked) void toggleAll();
    } else if (e.key === 'Escape' && checked.size) {
      setChecked(new Set());
    } else if ((e.key === 'ArrowDown' || e.key === 'ArrowUp') && !e.altKey && !e.ctrlKey && !e.metaKey && !e.shiftKey) {
      // The next or previous message opens, as in other mail clients; focus follows it. From the
      // row last opened or checked (the route may not have caught up with a fast key yet), else
      // from the open message.
      const at = anchorIndex() ?? (selectedId !== null ? indexOf(selectedId) : null);
      const to = at === null ? 0 : at + (e.key === 'ArrowDown' ? 1 : -1);
      const m = to >= 0 ? pages.current.get(Math.floor(to / PAGE))?.[to % PAGE] : undefined;
      if (!m) return;
      e.preventDefault();
      setAnchor(to, m.id);
      open(m);
      virtualizer.scrollToIndex(to);
      requestAnimationFrame(() => parentRef.current?.querySelector<HTMLElement>(`[data-testid="mail-row"][data-id="${m.id}"]`)?.focus());
    } else if (e.key === 'Delete' && (checked.size || selectedId !== null)) {
      // The checked messages, or else the open one.
      e.preventDefault();
      actions.remove(checked.size ? ids : [selectedId!]);
    }
  };

  const items = virtualizer.getVirtualItems();
  useEffect(() => {
    if (searching) return;
    for (const it of items) {
      const p = Math.floor(it.index / PAGE);
      if (!pages.current.has(p)) void loadPage(p, generation.current);
    }
  });

  return (
    <>
    <div className="mail-filters" data-testid="mail-filters">
      <div className="mail-filter-group" role="group" aria-label={M.filters.label}>
        {FILTERS.map((f) => (
          <button
            key={f.value ?? 'all'}
            type="button"
            className={`mail-filter${(filter ?? null) === f.value ? ' active' : ''}`}
            aria-pressed={(filter ?? null) === f.value}
            title={f.title}
            aria-label={f.title}
            onClick={() => setFilter(f.value)}
            data-testid="mail-filter"
            data-filter={f.value ?? 'all'}
          >
            {f.label}
          </button>
        ))}
      </div>
      <span className="mail-filter-total muted" data-testid="mail-list-total">{total !== null ? M.filters.total(total) : ''}</span>
    </div>
    {searching && loadingIds.length ? (
      <div className="muted mail-list-note" role="status" data-testid="mail-search-loading">
        {M.searchLoading(loadingIds.map((id) => folders.find((f) => f.id === id)).filter((f): f is MailFolderView => Boolean(f)).map(folderTitle))}
      </div>
    ) : null}
    <BulkBar
      count={checked.size}
      folder={folder}
      searching={searching}
      allChecked={allChecked}
      actions={actions}
      onToggleAll={() => void toggleAll()}
      onClear={() => setChecked(new Set())}
    />
    <div className="mail-list" ref={parentRef} data-testid="mail-list" role="listbox" aria-label={M.title} aria-multiselectable="true" onKeyDown={onKeyDown}>
      {error ? <div className="error-box mail-list-note">{error}</div> : null}
      {total === 0 ? (
        <div className="muted mail-list-note" data-testid="mail-list-empty">{searching ? M.noResults : filter ? M.filters.empty[filter] : M.emptyFolder}</div>
      ) : null}
      {total === null && !error ? <div className="muted mail-list-note">{M.loading}</div> : null}
      <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
        {items.map((it) => {
          const m = pages.current.get(Math.floor(it.index / PAGE))?.[it.index % PAGE];
          return (
            <div
              key={it.key}
              className="mail-row-wrap"
              style={{ position: 'absolute', top: 0, left: 0, right: 0, height: ROW, transform: `translateY(${it.start}px)` }}
            >
              {m ? (
                <>
                <input
                  type="checkbox"
                  className="mail-tick mail-row-check"
                  checked={checked.has(m.id)}
                  aria-label={M.bulk.selectRow(m.subject || '(без темы)')}
                  // onClick, not onChange: it needs the Shift key; the state follows `checked`.
                  onClick={(e) => void check(m, it.index, e.shiftKey)}
                  onChange={() => undefined}
                  data-testid="mail-row-check"
                />
                <button
                  type="button"
                  role="option"
                  aria-selected={checked.has(m.id) || m.id === selectedId}
                  className={`mail-row${m.seen ? '' : ' unread'}${m.id === selectedId ? ' selected' : ''}${checked.has(m.id) ? ' checked' : ''}`}
                  onClick={(e) => onRowClick(e, m, it.index)}
                  draggable
                  // Dragged onto a folder: the checked messages if this is one of them, else this one.
                  onDragStart={(e) => dragMail(e.dataTransfer, accountId, checked.has(m.id) ? ids : [m.id])}
                  onDragEnd={(e) => {
                    if (e.dataTransfer.dropEffect !== 'move') return;
                    const gone = checked.has(m.id) ? ids : [m.id];
                    if (checked.has(m.id)) setChecked(new Set());
                    onRemoved(gone);
                  }}
                  data-testid="mail-row"
                  data-id={m.id}
                >
                  <span className="mail-row-top">
                    <span className="mail-row-who">{who(m, sentFolder) || '—'}</span>
                    {m.flagged ? <span className="mail-flag" title={M.reader.flag}>★</span> : null}
                    {m.hasAttachments ? (
                      <span className="mail-clip" title={M.reader.attachments} role="img" aria-label={M.reader.attachments} data-testid="mail-row-clip">
                        <IconPaperclip size={13} />
                      </span>
                    ) : null}
                    {searching && rowFolder(m) ? (
                      <span className="mail-row-folder" title={M.rowFolder(rowFolder(m)!)} data-testid="mail-row-folder">
                        {rowFolder(m)}
                      </span>
                    ) : null}
                    <span className="mail-row-date" title={formatDateTime(m.date)}>{formatListDate(m.date)}</span>
                  </span>
                  <span className="mail-row-subject">{m.subject || '(без темы)'}</span>
                  <span className="mail-row-snippet">{m.snippet}</span>
                </button>
                </>
              ) : (
                <div className="mail-row placeholder" />
              )}
            </div>
          );
        })}
      </div>
    </div>
    </>
  );
}
