/**
 * `#/contacts`: the company's clients by name. The relay searches (name, company, phone digits,
 * email) and pages (keyset, 100 a page), so 50,000 contacts scroll as smoothly as 50; the list
 * is virtualized. «Выгрузить в CSV» saves what the search finds; admins «Загрузить из CSV»: the
 * file is checked first (a dry run on the relay), shown as a preview, then imported.
 */
import { useVirtualizer } from '@tanstack/react-virtual';
import { memo, useCallback, useEffect, useRef, useState } from 'react';
import { CONTACTS_IMPORT_MAX_CHARS, type ContactListItem, type ContactsCursor, type ContactsImportResult } from '../../src-shared/wire';
import { call, toAppError } from '../api';
import { CsvExportButton } from '../components/CsvExportButton';
import { IconSearch } from '../components/icons';
import { Modal } from '../components/Modal';
import { formatDate, formatPhone, pluralize } from '../format';
import { formatPhoneWithExt } from '../../src-shared/phone';
import { href } from '../router';
import { PLURALS, S } from '../strings';
import { useIsAdmin } from '../stores/session';
import { toast } from '../stores/toasts';
import { readTextFile } from '../text-file';

const ROW_HEIGHT = 48;
const PAGE = 100;
/** Larger files are refused before reading (the relay takes up to 5 M characters of text). */
const IMPORT_MAX_BYTES = 20 * 1024 * 1024;
const ERRORS_SHOWN = 20;

interface Directory {
  contacts: ContactListItem[];
  next: ContactsCursor | null;
  total: number | null;
  loading: boolean;
  error: string | null;
}

/** The directory for `search`, page after page; an answer to an older search is dropped. */
function useDirectory(search: string) {
  const [d, setD] = useState<Directory>({ contacts: [], next: null, total: null, loading: true, error: null });
  const seq = useRef(0);
  const busy = useRef(false);

  const load = useCallback(
    async (after: ContactsCursor | null) => {
      const my = after ? seq.current : ++seq.current;
      busy.current = true;
      setD((x) => ({ ...x, loading: true, error: null, ...(after ? {} : { contacts: [], next: null, total: null }) }));
      try {
        const page = await call('contacts:page', { search: search || undefined, limit: PAGE, after: after ?? undefined });
        if (my !== seq.current) return;
        setD((x) => ({
          contacts: after ? [...x.contacts, ...page.contacts] : page.contacts,
          next: page.next,
          total: page.total ?? x.total,
          loading: false,
          error: null,
        }));
      } catch (e) {
        if (my === seq.current) setD((x) => ({ ...x, loading: false, error: toAppError(e).message }));
      } finally {
        if (my === seq.current) busy.current = false;
      }
    },
    [search],
  );

  useEffect(() => {
    void load(null);
  }, [load]);

  const loadMore = useCallback(() => {
    if (!busy.current && d.next) void load(d.next);
  }, [d.next, load]);
  return { ...d, loadMore, reload: useCallback(() => load(null), [load]) };
}

const Row = memo(function Row({ c }: { c: ContactListItem }) {
  return (
    <a className="c-row" href={href(`/contacts/${c.id}`)} data-testid="contacts-row" data-contact-id={c.id}>
      <span className="c-name">{c.name || <span className="muted">{S.contact.unnamed}</span>}</span>
      <span className="c-company">{c.company}</span>
      <span className="c-phones">{c.phones.map((p) => formatPhoneWithExt(p)).join(', ')}</span>
      <span className="c-emails">{c.emails.join(', ')}</span>
      <span className="c-last">{c.lastCallAt ? formatDate(c.lastCallAt) : <span className="muted">{S.dash}</span>}</span>
    </a>
  );
});

function countLabel(loaded: number, total: number | null, more: boolean): string {
  return pluralize(total ?? loaded, PLURALS.contact) + (total == null && more ? '+' : '');
}

/** «Выгрузить в CSV»: what the search finds. */
function ExportButton({ search }: { search: string }) {
  const fetch = () => call('contacts:export', { search: search || undefined, tz: Intl.DateTimeFormat().resolvedOptions().timeZone });
  return <CsvExportButton fetch={fetch} labels={S.contacts} testId="contacts-export" />;
}

/** The admin's «Загрузить из CSV»: pick a file, check it on the relay (dry run), preview, import. */
function ImportButton({ onImported }: { onImported: () => void }) {
  const input = useRef<HTMLInputElement>(null);
  const [reading, setReading] = useState(false);
  const [preview, setPreview] = useState<{ file: string; csv: string; result: ContactsImportResult } | null>(null);
  const pick = async (file: File | undefined) => {
    if (input.current) input.current.value = '';
    if (!file) return;
    if (file.size > IMPORT_MAX_BYTES) {
      toast.error(S.contacts.importTooBig, S.contacts.importFailed);
      return;
    }
    setReading(true);
    try {
      const csv = await readTextFile(file);
      if (csv.length > CONTACTS_IMPORT_MAX_CHARS) {
        toast.error(S.contacts.importTooBig, S.contacts.importFailed);
        return;
      }
      const result = await call('contacts:import', { csv, dryRun: true });
      setPreview({ file: file.name, csv, result });
    } catch (e) {
      toast.error(toAppError(e).message, S.contacts.importFailed);
    } finally {
      setReading(false);
    }
  };
  return (
    <>
      <input ref={input} type="file" accept=".csv,text/csv" hidden onChange={(e) => void pick(e.target.files?.[0])} data-testid="contacts-import-file" />
      <button type="button" className="btn btn-sm" title={S.contacts.importTitle} disabled={reading} onClick={() => input.current?.click()} data-testid="contacts-import">
        {reading ? S.contacts.importReading : S.contacts.import}
      </button>
      {preview ? (
        <ImportPreview
          {...preview}
          onClose={() => setPreview(null)}
          onDone={(r) => {
            setPreview(null);
            toast.ok(S.contacts.imported(r.created, r.updated));
            onImported();
          }}
        />
      ) : null}
    </>
  );
}

function ImportPreview({ file, csv, result, onClose, onDone }: { file: string; csv: string; result: ContactsImportResult; onClose: () => void; onDone: (r: ContactsImportResult) => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const useful = result.created + result.updated;
  const run = async () => {
    setBusy(true);
    setError(null);
    try {
      onDone(await call('contacts:import', { csv, dryRun: false }));
    } catch (e) {
      setError(toAppError(e).message);
      setBusy(false);
    }
  };
  const kpi = (label: string, n: number, testId: string, tone = '') => (
    <div className={`kpi ${tone}`} data-testid={testId} data-count={n}>
      <span className="kpi-label">{label}</span>
      <span className="kpi-value">{n.toLocaleString('ru-RU')}</span>
    </div>
  );
  return (
    <Modal title={S.contacts.previewTitle(file)} onClose={busy ? () => {} : onClose} wide>
      <div data-testid="import-preview">
        <p className="muted">{S.contacts.previewRows(result.rows)}</p>
        <div className="kpis">
          {kpi(S.contacts.previewCreated, result.created, 'import-created', 'ok')}
          {kpi(S.contacts.previewUpdated, result.updated, 'import-updated')}
          {kpi(S.contacts.previewUnchanged, result.unchanged, 'import-unchanged')}
          {kpi(S.contacts.previewSkipped, result.skipped, 'import-skipped', result.skipped ? 'warn' : '')}
        </div>
        {result.updated ? <p className="muted small">{S.contacts.previewUpdatedHint}</p> : null}
        {result.samples.created.length ? (
          <p className="small">
            <span className="muted">{S.contacts.previewSamples}: </span>
            {result.samples.created
              .slice(0, 5)
              .map((c) => c.name || c.phones.map((p) => formatPhone(p)).join(', '))
              .join('; ')}
          </p>
        ) : null}
        {result.columns ? (
          <div className="small" data-testid="import-columns">
            <span className="muted">{S.contacts.previewColumns}: </span>
            {result.columns.map((c, i) => (
              <span key={c.column} data-testid="import-column" data-field={c.field ?? ''} className={c.field ? '' : 'muted'}>
                {i ? '; ' : ''}«{c.header || c.column}» → {c.field ? S.contacts.previewField[c.field] : S.contacts.previewIgnored}
              </span>
            ))}
          </div>
        ) : null}
        {result.columns && !result.columns.some((c) => c.field === 'phone') ? (
          <div className="warn-box" data-testid="import-no-phones">
            {S.contacts.previewNoPhones}
          </div>
        ) : null}
        {result.conflicts?.length ? (
          <div className="warn-box" data-testid="import-conflicts">
            <strong>{S.contacts.previewConflicts}</strong>
            <ul className="import-errors">
              {result.conflicts.slice(0, ERRORS_SHOWN).map((c) => (
                <li key={`${c.row}:${c.phone}`}>
                  {S.contacts.previewRow(c.row)}: {S.contacts.previewConflict(c.name, formatPhoneWithExt(c.phone), c.ownerName)}
                </li>
              ))}
              {(result.conflicted ?? 0) > ERRORS_SHOWN ? <li className="muted">{S.contacts.previewMoreErrors((result.conflicted ?? 0) - ERRORS_SHOWN)}</li> : null}
            </ul>
          </div>
        ) : null}
        {result.errors.length ? (
          <div className="warn-box" data-testid="import-errors">
            <strong>{S.contacts.previewErrors}</strong>
            <ul className="import-errors">
              {result.errors.slice(0, ERRORS_SHOWN).map((e) => (
                <li key={e.row}>
                  {S.contacts.previewRow(e.row)}: {e.reason}
                </li>
              ))}
              {result.skipped > ERRORS_SHOWN ? <li className="muted">{S.contacts.previewMoreErrors(result.skipped - ERRORS_SHOWN)}</li> : null}
            </ul>
          </div>
        ) : null}
        {!useful ? <p className="muted">{S.contacts.previewNothing}</p> : null}
        {error ? <div className="error-box">{error}</div> : null}
        <div className="form-actions">
          <button type="button" className="btn btn-primary" disabled={!useful || busy} onClick={() => void run()} data-testid="import-confirm">
            {busy ? S.contacts.importing : S.contacts.importDo(useful)}
          </button>
          <button type="button" className="btn" disabled={busy} onClick={onClose}>
            {S.cancel}
          </button>
        </div>
      </div>
    </Modal>
  );
}

export function Contacts() {
  const isAdmin = useIsAdmin();
  const [search, setSearch] = useState('');
  const [debounced, setDebounced] = useState('');
  useEffect(() => {
    const t = setTimeout(() => setDebounced(search.trim()), 300);
    return () => clearTimeout(t);
  }, [search]);
  const { contacts, next, total, loading, error, loadMore, reload } = useDirectory(debounced);

  const scrollRef = useRef<HTMLDivElement>(null);
  const getItemKey = useCallback((i: number) => contacts[i]?.id ?? i, [contacts]);
  const virtualizer = useVirtualizer({ count: contacts.length, getScrollElement: () => scrollRef.current, estimateSize: () => ROW_HEIGHT, overscan: 8, getItemKey });
  const items = virtualizer.getVirtualItems();
  const lastIndex = items.length ? items[items.length - 1].index : 0;
  useEffect(() => {
    if (next && !loading && lastIndex >= contacts.length - 30) loadMore();
  }, [lastIndex, contacts.length, next, loading, loadMore]);

  return (
    <div className="page page-fill contacts-dir">
      <header className="page-head">
        <h1>{S.contacts.title}</h1>
        <span className="muted" data-testid="contacts-count" data-loaded={contacts.length} data-more={next ? 'yes' : 'no'}>
          {loading && !contacts.length ? '' : countLabel(contacts.length, total, !!next)}
        </span>
        <a className="btn btn-sm btn-primary" href={href('/contacts/new')} data-testid="contacts-new">
          {S.contacts.newContact}
        </a>
        <ExportButton search={debounced} />
        {isAdmin ? <ImportButton onImported={() => void reload()} /> : null}
      </header>
      <div className="filters">
        <label className="search">
          <IconSearch size={16} />
          <input type="search" value={search} onChange={(e) => setSearch(e.target.value)} placeholder={S.contacts.searchPlaceholder} aria-label={S.contacts.searchPlaceholder} data-testid="contacts-search" />
        </label>
      </div>
      <div className="h-table" role="table" aria-label={S.contacts.title}>
        <div className="c-row h-head" role="row">
          <span>{S.contacts.colName}</span>
          <span>{S.contacts.colCompany}</span>
          <span>{S.contacts.colPhones}</span>
          <span>{S.contacts.colEmails}</span>
          <span>{S.contacts.colLastCall}</span>
        </div>
        <div className="h-body" ref={scrollRef} data-testid="contacts-scroll">
          {error ? <div className="error-box">{error}</div> : null}
          {contacts.length === 0 && !loading && !error ? (
            <p className="muted empty" data-testid="contacts-empty">
              {debounced ? S.contacts.emptyFiltered : S.contacts.empty}
            </p>
          ) : null}
          <div style={{ height: virtualizer.getTotalSize(), position: 'relative', width: '100%' }}>
            {items.map((v) => (
              <div key={v.key} className="h-vrow" style={{ position: 'absolute', top: v.start, left: 0, right: 0, height: v.size }}>
                <Row c={contacts[v.index]} />
              </div>
            ))}
          </div>
          {loading ? <div className="loading-more muted">{contacts.length ? S.contacts.loadingMore : S.loading}</div> : null}
        </div>
      </div>
    </div>
  );
}
