/**
 * `#/calls`: every call visible to the employee (admins: everyone's), newest first, in a
 * virtualized list that stays smooth with 100,000 rows; server-side filters and search;
 * click-to-call; recordings; "+ контакт" for unknown numbers; each call's comment, written in
 * place (the row being commented grows to hold the editor).
 */
import { useVirtualizer } from '@tanstack/react-virtual';
import { memo, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { Call } from '../../src-shared/wire';
import { historyFilterFromQuery, type HistoryDirection } from '../call-summary';
import { CommentAction, CommentEditor, CommentText, mayComment } from '../components/CallComment';
import { CreateContactDialog } from '../components/CreateContact';
import { CsvExportButton } from '../components/CsvExportButton';
import { DirectionIcon, IconPlay, IconSearch } from '../components/icons';
import { PhoneLink } from '../components/PhoneLink';
import { RecordingPlayer } from '../components/RecordingPlayer';
import { callNumber, callStatusLabel, countLabel, formatDate, formatDuration, formatTime, fromDateInput, toDateInput } from '../format';
import { href, navigate, parseHash } from '../router';
import { S } from '../strings';
import { useAdmin } from '../stores/admin';
import type { CallFilter } from '../stores/callsModel';
import { contactForNumber, useContacts } from '../stores/contacts';
import { exportHistory, useHistory } from '../stores/history';
import { useIsAdmin } from '../stores/session';

type Period = 'all' | 'today' | '7d' | '30d' | 'custom';

const ROW_HEIGHT = 48;
/** Added to the row whose comment is being written (see .h-editor). */
const EDITOR_HEIGHT = 128;

function periodBounds(p: Period, from: string, to: string): { since?: string; until?: string } {
  const now = new Date();
  const today = new Date(now.getFullYear(), now.getMonth(), now.getDate());
  const back = (n: number) => new Date(today.getFullYear(), today.getMonth(), today.getDate() - (n - 1)).toISOString();
  switch (p) {
    case 'all':
      return {};
    case 'today':
      return { since: today.toISOString() };
    case '7d':
      return { since: back(7) };
    case '30d':
      return { since: back(30) };
    case 'custom': {
      const f = fromDateInput(from);
      const t = fromDateInput(to);
      return {
        since: f ? f.toISOString() : undefined,
        until: t ? new Date(t.getFullYear(), t.getMonth(), t.getDate() + 1, 0, 0, 0, -1).toISOString() : undefined,
      };
    }
  }
}

/**
 * Recycled row slots: a row that stays visible keeps its slot; a row entering the window takes
 * the slot of one that left. Rows are keyed (and ordered in the DOM) by slot, so scrolling —
 * even a jump across thousands of calls — updates existing rows instead of unmounting and
 * mounting them, and never moves DOM nodes (rows are absolutely positioned).
 */
function useSlots(indexes: number[]): number[] {
  const pool = useRef<{ byIndex: Map<number, number>; next: number }>({ byIndex: new Map(), next: 0 });
  const { byIndex } = pool.current;
  const wanted = new Set(indexes);
  const free: number[] = [];
  for (const [idx, slot] of byIndex) {
    if (!wanted.has(idx)) {
      free.push(slot);
      byIndex.delete(idx);
    }
  }
  free.sort((a, b) => b - a);
  return indexes.map((idx) => {
    let slot = byIndex.get(idx);
    if (slot === undefined) {
      slot = free.length ? free.pop()! : pool.current.next++;
      byIndex.set(idx, slot);
    }
    return slot;
  });
}

function playableRecording(c: Call): string | null {
  const r = c.recordings.find((x) => x.state === 'available' || x.state === 'completed');
  return r ? r.id : null;
}

const Row = memo(function Row({
  call,
  onPlay,
  onCreate,
  playing,
  editing,
  onEdit,
}: {
  call: Call;
  onPlay: (id: string) => void;
  onCreate: (phone: string) => void;
  playing: boolean;
  editing: boolean;
  /** Opens (a call id) or closes (null) the comment editor. */
  onEdit: (callId: number | null) => void;
}) {
  const byPhone = useContacts((s) => s.byPhone);
  const isAdmin = useIsAdmin();
  const number = callNumber(call);
  const contact = contactForNumber(byPhone, number);
  const rec = playableRecording(call);
  const external = !!number && (number.startsWith('+') || number.replace(/\D/g, '').length > 6);
  return (
    <>
      <div className={`h-row status-${call.status}${playing ? ' playing' : ''}`} data-testid="history-row" data-call-id={call.id} data-status={call.status} data-direction={call.direction}>
        <span className="h-time">
          <span className="h-date">{formatDate(call.startedAt)}</span>
          <span className="h-clock">{formatTime(call.startedAt)}</span>
        </span>
        <span className="h-dir">
          <DirectionIcon call={call} />
        </span>
        <span className="h-number">
          <PhoneLink number={number} />
          {contact ? (
            <a className="h-contact" href={href(`/contacts/${contact.id}`)} data-testid="row-contact">
              {contact.name}
              {contact.company ? <span className="muted"> · {contact.company}</span> : null}
            </a>
          ) : external ? (
            <button type="button" className="link-btn small" title={S.calls.addContactTitle} data-testid="row-add-contact" onClick={() => onCreate(number!)}>
              {S.calls.addContact}
            </button>
          ) : null}
        </span>
        <span className="h-emp">{call.employee?.name ?? <span className="muted">{S.dash}</span>}</span>
        <span className="h-dur">
          {call.status === 'answered' ? formatDuration(call.talkSeconds) : <span className="muted">{S.dash}</span>}
        </span>
        <span className={`h-status`}>
          <span className={`badge badge-${call.status}`} data-testid="row-status">{callStatusLabel(call)}</span>
        </span>
        <span className="h-comment">
          {call.comment ? <CommentText comment={call.comment} /> : null}
          {editing || !mayComment(call, isAdmin) ? null : <CommentAction has={!!call.comment} onClick={() => onEdit(call.id)} />}
        </span>
        <span className="h-rec">
          {rec ? (
            <button type="button" className="icon-btn" title={S.calls.play} aria-label={S.calls.play} data-testid="row-play" onClick={() => onPlay(rec)}>
              <IconPlay size={14} />
            </button>
          ) : null}
        </span>
      </div>
      {editing ? <CommentEditor className="h-editor" call={call} onCancel={() => onEdit(null)} onDone={() => onEdit(null)} /> : null}
    </>
  );
});

export function History() {
  const isAdmin = useIsAdmin();
  const { list, loading, hasMore, total, error, setFilter, loadMore } = useHistory();
  const calls = list.calls;
  const employees = useAdmin((s) => s.employees);
  const loadEmployees = useAdmin((s) => s.loadEmployees);
  const employeesLoaded = useAdmin((s) => s.employeesLoaded);

  const [search, setSearch] = useState('');
  // The main page's summary cards open the history with their filter (`#/calls?period=today&…`).
  const initial = useMemo(() => historyFilterFromQuery(parseHash(window.location.hash).query), []);
  const [direction, setDirection] = useState<HistoryDirection>(initial.direction);
  const [result, setResult] = useState<'' | 'answered' | 'missed' | 'unanswered'>(initial.result);
  const [employeeId, setEmployeeId] = useState<string>('');
  const [period, setPeriod] = useState<Period>(initial.period);
  const [from, setFrom] = useState(() => toDateInput(new Date(Date.now() - 7 * 86400_000)));
  const [to, setTo] = useState(() => toDateInput(new Date()));
  const [debounced, setDebounced] = useState('');
  const [recording, setRecording] = useState<string | null>(null);
  const [creating, setCreating] = useState<string | null>(null);
  const [editingId, setEditingId] = useState<number | null>(null);

  useEffect(() => {
    const t = setTimeout(() => setDebounced(search), 300);
    return () => clearTimeout(t);
  }, [search]);

  useEffect(() => {
    if (isAdmin && !employeesLoaded) void loadEmployees();
  }, [isAdmin, employeesLoaded, loadEmployees]);

  // Contacts others created since start: names next to numbers (and what a name search found).
  useEffect(() => {
    void useContacts.getState().load();
  }, []);

  const filter: CallFilter = useMemo(() => {
    const f: CallFilter = { ...periodBounds(period, from, to) };
    if (direction) f.direction = direction;
    if (result) f.result = result;
    if (employeeId) f.employeeId = Number(employeeId);
    if (debounced.trim()) f.search = debounced.trim();
    return f;
  }, [direction, result, employeeId, period, from, to, debounced]);

  useEffect(() => {
    void setFilter(filter);
  }, [filter, setFilter]);

  const scrollRef = useRef<HTMLDivElement>(null);
  // Stable per list: a new function would make the virtualizer re-measure every row on each frame.
  const getItemKey = useCallback((i: number) => calls[i]?.id ?? i, [calls]);
  const estimateSize = useCallback((i: number) => (calls[i]?.id === editingId ? ROW_HEIGHT + EDITOR_HEIGHT : ROW_HEIGHT), [calls, editingId]);
  const virtualizer = useVirtualizer({
    count: calls.length,
    getScrollElement: () => scrollRef.current,
    estimateSize,
    overscan: 8,
    getItemKey,
  });
  // Sizes are cached per row: the one opening or closing its editor is measured again.
  useEffect(() => {
    virtualizer.measure();
  }, [editingId, virtualizer]);
  const items = virtualizer.getVirtualItems();
  const slots = useSlots(items.map((v) => v.index));
  const lastIndex = items.length ? items[items.length - 1].index : 0;
  useEffect(() => {
    if (hasMore && !loading && calls.length > 0 && lastIndex >= calls.length - 60) void loadMore();
  }, [lastIndex, calls.length, hasMore, loading, loadMore]);

  const filtered = !!(direction || result || employeeId || period !== 'all' || debounced.trim());
  const reset = () => {
    setSearch('');
    setDebounced('');
    setDirection('');
    setResult('');
    setEmployeeId('');
    setPeriod('all');
  };

  return (
    <div className="page page-fill history">
      <header className="page-head">
        <h1>{S.calls.title}</h1>
        <span className="muted" data-testid="history-count" data-loaded={calls.length} data-more={hasMore ? 'yes' : 'no'}>
          {countLabel(calls.length, hasMore, total)}
        </span>
        {/* The relay writes the file for the filter the list shows (the store's, set from these controls). */}
        <CsvExportButton fetch={exportHistory} labels={S.calls} testId="history-export" />
      </header>
      <div className="filters" data-testid="history-filters">
        <label className="search">
          <IconSearch size={16} />
          <input
            type="search"
            value={search}
            onChange={(e) => setSearch(e.target.value)}
            placeholder={S.calls.searchPlaceholder}
            aria-label={S.calls.searchPlaceholder}
            data-testid="history-search"
          />
        </label>
        <select value={direction} onChange={(e) => setDirection(e.target.value as typeof direction)} aria-label={S.calls.direction} data-testid="filter-direction">
          <option value="">{S.calls.directionAll}</option>
          <option value="in">{S.calls.directionIn}</option>
          <option value="out">{S.calls.directionOut}</option>
          <option value="internal">{S.calls.directionInternal}</option>
        </select>
        <select value={result} onChange={(e) => setResult(e.target.value as typeof result)} aria-label={S.calls.result} data-testid="filter-result">
          <option value="">{S.calls.resultAll}</option>
          <option value="answered">{S.calls.resultAnswered}</option>
          <option value="missed">{S.calls.resultMissed}</option>
          <option value="unanswered">{S.status.unanswered}</option>
        </select>
        {isAdmin ? (
          <select value={employeeId} onChange={(e) => setEmployeeId(e.target.value)} aria-label={S.calls.employee} data-testid="filter-employee">
            <option value="">{S.calls.employeeAll}</option>
            {employees.map((e) => (
              <option key={e.id} value={String(e.id)}>
                {e.name}
              </option>
            ))}
          </select>
        ) : null}
        <select value={period} onChange={(e) => setPeriod(e.target.value as Period)} aria-label={S.calls.period} data-testid="filter-period">
          <option value="all">{S.calls.periodAll}</option>
          <option value="today">{S.calls.periodToday}</option>
          <option value="7d">{S.calls.periodWeek}</option>
          <option value="30d">{S.calls.periodMonth}</option>
          <option value="custom">{S.calls.periodCustom}</option>
        </select>
        {period === 'custom' ? (
          <span className="date-range">
            <span className="muted">{S.calls.from}</span>
            <input type="date" value={from} onChange={(e) => setFrom(e.target.value)} aria-label={S.calls.from} />
            <span className="muted">{S.calls.to}</span>
            <input type="date" value={to} onChange={(e) => setTo(e.target.value)} aria-label={S.calls.to} />
          </span>
        ) : null}
        {filtered ? (
          <button type="button" className="btn btn-ghost btn-sm" onClick={reset}>
            {S.calls.reset}
          </button>
        ) : null}
      </div>

      <div className="h-table" role="table" aria-label={S.calls.title}>
        <div className="h-row h-head" role="row">
          <span className="h-time">{S.calls.colTime}</span>
          <span className="h-dir" />
          <span className="h-number">{S.calls.colNumber}</span>
          <span className="h-emp">{S.calls.colEmployee}</span>
          {/* The short label where the table is narrow (styles.css, @container h-table). */}
          <span className="h-dur" title={S.calls.colDuration}>
            <span className="h-label-long">{S.calls.colDuration}</span>
            <span className="h-label-short">{S.calls.colDurationShort}</span>
          </span>
          <span className="h-status">{S.calls.colStatus}</span>
          <span className="h-comment" title={S.calls.colComment}>
            {S.calls.colComment}
          </span>
          <span className="h-rec" title={S.calls.colRecording}>
            {S.calls.colRecording}
          </span>
        </div>
        <div className="h-body" ref={scrollRef} data-testid="history-scroll">
          {error ? <div className="error-box">{error}</div> : null}
          {calls.length === 0 && !loading && !error ? (
            <p className="muted empty" data-testid="history-empty">
              {filtered ? S.calls.emptyFiltered : S.calls.empty}
            </p>
          ) : null}
          <div style={{ height: virtualizer.getTotalSize(), position: 'relative', width: '100%' }}>
            {items
              .map((v, i) => ({ v, slot: slots[i] }))
              .sort((a, b) => a.slot - b.slot)
              .map(({ v, slot }) => {
                const c = calls[v.index];
                return (
                  <div key={slot} className="h-vrow" style={{ position: 'absolute', top: v.start, left: 0, right: 0, height: v.size }}>
                    <Row
                      call={c}
                      playing={!!recording && c.recordings.some((r) => r.id === recording)}
                      onPlay={setRecording}
                      onCreate={setCreating}
                      editing={c.id === editingId}
                      onEdit={setEditingId}
                    />
                  </div>
                );
              })}
          </div>
          {loading ? <div className="loading-more muted">{calls.length ? S.calls.loadingMore : S.loading}</div> : null}
        </div>
      </div>
      {recording ? (
        <div className="player-bar">
          <RecordingPlayer key={recording} recordingId={recording} onClose={() => setRecording(null)} />
        </div>
      ) : null}
      {creating ? <CreateContactDialog phone={creating} onClose={() => setCreating(null)} onCreated={(c) => navigate(`/contacts/${c.id}`)} /> : null}
    </div>
  );
}
