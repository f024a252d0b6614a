/** `#/`: the "Приём звонков" switch, connection state, today's calls, missed-call reminders. */
import { useEffect, useMemo, useState } from 'react';
import { groupMissed, type MissedGroup } from '../../src-shared/missed';
import type { TelephonyInfo } from '../../src-shared/wire';
import { toAppError } from '../api';
import { summarizeCalls, summaryLink, type CallSummary } from '../call-summary';
import { dialNumber } from '../actions';
import { CallLine } from '../components/CallLine';
import { ConnectionBadge } from '../components/ConnectionBadge';
import { DirectionIcon, IconX } from '../components/icons';
import { Switch } from '../components/Switch';
import { countCalls, formatDateTime, formatPhone } from '../format';
import { href } from '../router';
import { S } from '../strings';
import { contactForNumber, useContacts } from '../stores/contacts';
import { useHome } from '../stores/home';
import { useSession } from '../stores/session';
import { useTelephony } from '../stores/telephony';
import { toast, useToasts } from '../stores/toasts';

/** The relay's setup, read again when the page opens; the feed keeps it current meanwhile. */
function useTelephonyInfo(): TelephonyInfo | null {
  const info = useTelephony((s) => s.info);
  useEffect(() => {
    void useTelephony.getState().load();
  }, []);
  return info;
}

function AcceptCallsCard() {
  const me = useSession((s) => s.session?.me ?? null);
  const info = useTelephonyInfo();
  const busy = useSession((s) => s.togglingAccept);
  const changedBy = useSession((s) => s.acceptChangedBy);
  const setAccept = useSession((s) => s.setAcceptCalls);
  if (!me) return null;
  const on = me.acceptCalls;
  return (
    <section className={`card accept-card${on ? ' on' : ''}`} data-testid="accept-card">
      <div className="accept-main">
        <label htmlFor="accept-calls" className="accept-label">
          {S.home.acceptCalls}
        </label>
        <Switch
          id="accept-calls"
          size="lg"
          checked={on}
          disabled={busy}
          label={S.home.acceptCalls}
          testId="accept-calls"
          onChange={(v) =>
            void setAccept(v).catch((e) => {
              toast.error(toAppError(e).message);
            })
          }
        />
      </div>
      <p className="accept-state" data-testid="accept-state">
        {info?.routingMode === 'popup' ? (on ? S.home.acceptOnPopup : S.home.acceptOffPopup) : on ? S.home.acceptOn : S.home.acceptOff}
      </p>
      {info && !info.enabled ? (
        // Said here, or «Перезвонить» is refused with no warning before.
        <p className="warn-box small" data-testid="telephony-off">
          {S.home.telephonyOff}
        </p>
      ) : null}
      {info?.routingMode === 'popup' ? (
        // Mango rings phones by its own scheme: the switch decides only who sees the caller's card.
        <p className="muted small" data-testid="accept-mode-hint">
          {S.home.acceptPopupHint}
        </p>
      ) : null}
      {changedBy != null ? (
        <p className="accept-note muted small">
          {S.home.acceptChangedByAdmin}
          {changedBy ? `: ${changedBy}` : ''}
        </p>
      ) : null}
    </section>
  );
}

/**
 * Why «Перезвонить» cannot work for this user, or null: Mango rings the caller from the user's
 * own extension, so without one the relay can only refuse (and an admin is told where to set it).
 */
function useCallBackBlocked(): string | null {
  const me = useSession((s) => s.session?.me ?? null);
  if (!me || me.extension) return null;
  return me.role === 'admin' ? S.home.callBackNoExtensionAdmin : S.home.callBackNoExtension;
}

function MissedList() {
  const missed = useHome((s) => s.missed);
  const loaded = useHome((s) => s.missedLoaded);
  const hide = useHome((s) => s.hideMissed);
  const restore = useHome((s) => s.restoreMissed);
  const commit = useHome((s) => s.dismissMissed);
  // One row per caller (as on a phone); the sidebar counts the same rows (countMissedCallers).
  const groups = useMemo(() => groupMissed(missed), [missed]);
  const blocked = useCallBackBlocked();
  // «×» right next to «Перезвонить» is easy to hit by mistake: the row goes at once, but the
  // dismissal (of all of that caller's calls) becomes final only when the «Отменить» toast goes.
  const dismiss = (g: MissedGroup) => {
    const ids = g.calls.map((c) => c.id);
    const hidden = hide(ids);
    if (!hidden.length) return;
    const final = () => void commit(ids).catch((e) => toast.error(toAppError(e).message));
    useToasts.getState().push(
      {
        kind: 'info',
        text: S.home.missedDismissed(g.number ? formatPhone(g.number) : S.popup.hiddenNumber),
        action: { label: S.home.undo, testId: 'missed-undo', run: () => restore(hidden) },
        onDismiss: final,
      },
      6000,
    );
  };
  const byPhone = useContacts((s) => s.byPhone);
  const [busy, setBusy] = useState<string | null>(null);
  return (
    <section className="card" data-testid="missed-list">
      <div className="card-head">
        <h2>{S.home.missed}</h2>
        {groups.length > 0 ? (
          <span className="count-badge count-danger" title={S.home.missedCallersTitle(groups.length)} data-testid="missed-count">
            {groups.length}
          </span>
        ) : null}
      </div>
      {!loaded ? (
        <p className="muted">{S.loading}</p>
      ) : groups.length === 0 ? (
        <p className="muted empty">{S.home.missedEmpty}</p>
      ) : (
        <ul className="missed-items">
          {groups.map((g) => {
            const latest = g.calls[0];
            const num = g.number;
            const contact = contactForNumber(byPhone, num);
            const n = g.calls.length;
            return (
              <li key={g.key} className="missed-item" data-testid="missed-item" data-calls={n}>
                <DirectionIcon call={latest} />
                <div className="missed-who">
                  <div className="missed-number">
                    {formatPhone(num)}
                    {n > 1 ? (
                      <span className="missed-times" title={S.home.missedTimesTitle(n)} data-testid="missed-times">
                        {S.home.missedTimes(n)}
                      </span>
                    ) : null}
                  </div>
                  <div className="muted small">
                    {contact ? (
                      <a href={href(`/contacts/${contact.id}`)}>{contact.name}</a>
                    ) : (
                      S.popup.newNumber
                    )}{' '}
                    · {formatDateTime(latest.startedAt)}
                  </div>
                </div>
                <button
                  type="button"
                  className="btn btn-primary btn-sm"
                  disabled={!num || !!blocked || busy === g.key}
                  title={blocked ?? undefined}
                  data-testid="missed-callback"
                  onClick={async () => {
                    if (!num || blocked) return;
                    setBusy(g.key);
                    try {
                      await dialNumber(num);
                    } finally {
                      setBusy(null);
                    }
                  }}
                >
                  {S.home.callBack}
                </button>
                <button
                  type="button"
                  className="icon-btn"
                  title={S.home.dismissTitle}
                  aria-label={S.home.dismiss}
                  data-testid="missed-dismiss"
                  onClick={() => dismiss(g)}
                >
                  <IconX size={16} />
                </button>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}

/** One number of «Звонки за сегодня»: a link to the history with its filter where there is one. */
function SummaryCard({ kind, n, label, tone, title }: { kind: keyof CallSummary; n: number; label: string; tone?: 'ok' | 'danger'; title?: string }) {
  const to = summaryLink(kind);
  const body = (
    <>
      <span className="summary-num">{n}</span>
      <span className="summary-label">{label}</span>
    </>
  );
  const cls = `summary-item${tone ? ` ${tone}` : ''}`;
  return to ? (
    <a className={`${cls} summary-link`} href={href(to)} title={S.home.summaryOpen(label)} data-testid={`summary-${kind}`}>
      {body}
    </a>
  ) : (
    <div className={cls} title={title} data-testid={`summary-${kind}`}>
      {body}
    </div>
  );
}

function TodayList() {
  const today = useHome((s) => s.today.calls);
  const loaded = useHome((s) => s.todayLoaded);
  const error = useHome((s) => s.todayError);
  const summary = useMemo(() => summarizeCalls(today), [today]);
  return (
    <section className="card today-card" data-testid="today-list">
      <div className="card-head">
        <h2>{S.home.today}</h2>
        <span className="muted">{countCalls(summary.total)}</span>
        <a className="card-link" href={href('/calls')}>
          {S.home.allCalls}
        </a>
      </div>
      <div className="summary" data-testid="today-summary">
        <SummaryCard kind="total" n={summary.total} label={S.home.summaryTotal} />
        <SummaryCard kind="answered" n={summary.answered} label={S.home.summaryAnswered} tone="ok" />
        <SummaryCard kind="missed" n={summary.missed} label={S.home.summaryMissed} tone="danger" />
        <SummaryCard kind="outgoing" n={summary.outgoing} label={S.home.summaryOutgoing} />
        {summary.internal > 0 && <SummaryCard kind="internal" n={summary.internal} label={S.home.summaryInternal} />}
        <SummaryCard kind="active" n={summary.active} label={S.home.summaryActive} title={S.home.summaryActiveTitle} />
      </div>
      {error ? <div className="error-box">{error}</div> : null}
      {!loaded ? (
        <p className="muted">{S.loading}</p>
      ) : today.length === 0 ? (
        <p className="muted empty">{S.home.todayEmpty}</p>
      ) : (
        <div className="call-lines">
          {today.slice(0, 200).map((c) => (
            <CallLine key={c.id} call={c} />
          ))}
        </div>
      )}
    </section>
  );
}

export function Home() {
  const me = useSession((s) => s.session?.me ?? null);
  const loadToday = useHome((s) => s.loadToday);
  const loadMissed = useHome((s) => s.loadMissed);
  useEffect(() => {
    void loadToday();
    void loadMissed();
  }, [loadToday, loadMissed]);
  return (
    <div className="page home">
      <header className="page-head">
        <div>
          <h1>{me ? S.home.greeting(me.name) : S.home.title}</h1>
        </div>
        <ConnectionBadge detailed />
      </header>
      <div className="home-grid">
        <div className="home-side">
          <AcceptCallsCard />
          <MissedList />
        </div>
        <TodayList />
      </div>
    </div>
  );
}
