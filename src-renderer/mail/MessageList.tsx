/**
 * The message list: virtualized (only visible rows are in the DOM), loaded in pages from the
 * core, unread in bold; or search results when a query is given.
 */
import { useVirtualizer } from '@tanstack/react-virtual';
import { useCallback, useEffect, useRef, useState } from 'react';
import { call, toAppError } from '../api';
import { formatDateTime } from '../format';
import type { MailSummary } from '../../src-shared/ipc/mail';
import { M } from './strings';
import { useMail } from './store';

const PAGE = 100;
const ROW = 68;

function who(m: MailSummary, sentFolder: boolean): string {
  if (sentFolder) {
    const to = m.to[0];
    return to ? `${M.reader.to}: ${to.name || to.email}${m.to.length > 1 ? ` +${m.to.length - 1}` : ''}` : '';
  }
  return m.from ? m.from.name || m.from.email : '';
}

export function MessageList({
  folderId,
  accountId,
  query,
  selectedId,
  sentFolder,
  onOpen,
}: {
  folderId: number;
  accountId: number;
  query: string;
  selectedId: number | null;
  sentFolder: boolean;
  onOpen: (m: MailSummary) => void;
}) {
  const parentRef = useRef<HTMLDivElement>(null);
  const pages = useRef(new Map<number, MailSummary[]>());
  const inflight = useRef(new Set<number>());
  const [total, setTotal] = useState<number | null>(null);
  const [, setVersion] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const searching = query.trim().length > 0;
  const tick = useMail((s) => (searching ? s.tick : (s.changedTick[folderId] ?? 0)));
  const generation = useRef(0);

  const loadPage = useCallback(
    async (page: number, gen: number) => {
      if (inflight.current.has(page)) return;
      inflight.current.add(page);
      try {
        const r = await call('mail:messages:list', { folderId, offset: page * PAGE, limit: PAGE });
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
    [folderId],
  );

  const runSearch = useCallback(
    async (gen: number) => {
      try {
        const r = await call('mail:messages:search', { query, accountId, limit: 300 });
        if (gen !== generation.current) return;
        pages.current = new Map([[0, r.items]]);
        setTotal(r.items.length);
        setError(null);
        setVersion((v) => v + 1);
      } catch (e) {
        if (gen === generation.current) setError(toAppError(e).message);
      }
    },
    [query, accountId],
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
    const keep = pages.current;
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
      const old = keep.get(p);
      if (old) pages.current.set(p, old);
    }
    for (let p = first; p <= last; p++) void loadPage(p, gen);
    return undefined;
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [folderId, query, tick]);

  useEffect(() => {
    setTotal(null);
    parentRef.current?.scrollTo({ top: 0 });
  }, [folderId, query]);

  const items = virtualizer.getVirtualItems();
  useEffect(() => {
    if (searching) return;
    for (const it of items) {
      const p = Math.floor(it.index / PAGE);
      if (!pages.current.has(p)) void loadPage(p, generation.current);
    }
  });

  return (
    <div className="mail-list" ref={parentRef} data-testid="mail-list" role="listbox" aria-label={M.title}>
      {error ? <div className="error-box mail-list-note">{error}</div> : null}
      {total === 0 ? <div className="muted mail-list-note">{searching ? M.noResults : M.emptyFolder}</div> : null}
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
                <button
                  type="button"
                  role="option"
                  aria-selected={m.id === selectedId}
                  className={`mail-row${m.seen ? '' : ' unread'}${m.id === selectedId ? ' selected' : ''}`}
                  onClick={() => onOpen(m)}
                  data-testid="mail-row"
                  data-id={m.id}
                >
                  <span className="mail-row-top">
                    <span className="mail-row-who">{who(m, sentFolder) || '—'}</span>
                    {m.flagged ? <span className="mail-flag" title={M.reader.flag}>★</span> : null}
                    {m.hasAttachments ? <span className="mail-clip" title={M.reader.attachments}>📎</span> : null}
                    <span className="mail-row-date">{formatDateTime(m.date)}</span>
                  </span>
                  <span className="mail-row-subject">{m.subject || '(без темы)'}</span>
                  <span className="mail-row-snippet">{m.snippet}</span>
                </button>
              ) : (
                <div className="mail-row placeholder" />
              )}
            </div>
          );
        })}
      </div>
    </div>
  );
}
