/** Wires the core's event streams into the stores, once per window. */
import { browserNotify } from '../browser-notify';
import { hasShell, on } from '../api';
import { isPopupWindow } from '../router';
import type { AppliedFeedItem } from '../../src-shared/ipc/telephony';
import { S } from '../strings';
import { mailNotice } from '../../src-shared/mail-notice';
import { onSendNotice } from '../mail/send-notices';
import type { MailSummary } from '../../src-shared/ipc/mail';
import type { CommandFailure } from '../../src-shared/wire';
import { formatPhone } from '../format';
import { useAdmin } from './admin';
import { useAttention } from './attention';
import { emptyCallList } from './callsModel';
import { useConnection } from './connection';
import { useContacts } from './contacts';
import { useHistory } from './history';
import { useCommandFailures } from './command-failures';
import { commandFailureTitle } from '../../src-shared/command-notice';
import { useHome } from './home';
import { usePopups } from './popups';
import { useSession } from './session';
import { useSettings } from './settings';
import { useTelephony } from './telephony';

let started = false;
/** Calls already notified: a missed call's later items (recording, reconciliation) say nothing new. */
const notified = new Set<number>();

function notifyMissed(item: AppliedFeedItem): void {
  // The Electron shell shows native notifications itself; in a browser, do it here if allowed.
  if (hasShell || item.payload.kind !== 'call') return;
  const c = item.payload.call;
  if (c.direction !== 'in' || c.status !== 'missed' || item.payload.offered === false) return;
  // Replayed history is not news. The core knows which items happened during this session; the
  // item's `at` (the relay's clock) against this computer's clock would misjudge a skewed one.
  if (!item.news || notified.has(c.id)) return;
  const who = item.payload.contact?.name || formatPhone(c.clientNumber ?? c.from.number);
  if (!browserNotify({ title: S.status.missed + ': ' + who, body: S.home.callBack, tag: 'missed-' + c.id })) return;
  notified.add(c.id);
  if (notified.size > 200) notified.delete(notified.values().next().value as number);
}

/** Browser mode, the page in the background: a failed command is also a browser notification. */
function notifyCommandFailed(f: CommandFailure): void {
  browserNotify({ title: commandFailureTitle(f), body: f.reason, tag: 'command-' + f.commandId, onlyWhenHidden: true });
}

/** Browser mode: new inbox mail raises the browser's notification (Electron's shell does its own). */
function notifyNewMail({ accountId, messages }: { accountId: number; messages: MailSummary[] }): void {
  if (!useSettings.getState().settings.mailNotifications) return;
  const notice = mailNotice(accountId, messages);
  if (notice) browserNotify(notice);
}

/**
 * Feed items in the order they came, applied together: a reconnect's replay or a reconciliation
 * brings thousands at once, and one store update (one render) per item froze the window for
 * seconds.
 */
export function applyFeedItems(items: AppliedFeedItem[]): void {
  const contacts = items.flatMap((it) => (it.payload.kind === 'call' && it.payload.contact ? [it.payload.contact] : []));
  if (contacts.length) useContacts.getState().upsertMany(contacts);
  useHome.getState().applyFeed(items);
  useHistory.getState().applyFeed(items);
  // Replayed history is not news: a failure told before this session was told then.
  const failures = items.flatMap((it) => (it.payload.kind === 'command-failed' && it.news ? [it.payload.command] : []));
  if (failures.length) {
    useCommandFailures.getState().apply(failures);
    if (!isPopupWindow()) failures.forEach(notifyCommandFailed);
  }
  for (const item of items) {
    const p = item.payload;
    if (p.kind === 'call') notifyMissed(item);
    else if (p.kind === 'employee') useSession.getState().applyEmployee(p.employee);
    else if (p.kind === 'status') useSession.getState().applyStatus(p.change);
    else if (p.kind === 'contact-deleted') p.contactIds.forEach((id) => useContacts.getState().remove(id));
    else if (p.kind === 'telephony') useTelephony.getState().apply(p.telephony);
    useAdmin.getState().applyFeed(item);
  }
}

/** How long feed items wait to be applied together: below what a person notices. */
const FEED_BATCH_MS = 15;
let pendingFeed: AppliedFeedItem[] = [];

function queueFeedItem(item: AppliedFeedItem): void {
  pendingFeed.push(item);
  if (pendingFeed.length > 1) return;
  setTimeout(() => {
    const items = pendingFeed;
    pendingFeed = [];
    applyFeedItems(items);
  }, FEED_BATCH_MS);
}

export function startLive(): void {
  if (started) return;
  started = true;
  on('connection', (s) => {
    useConnection.getState().apply(s);
    if (s.state === 'logged-out' && s.reason) useSession.getState().setLoggedOutReason(s.reason);
  });
  on('session', (s) => {
    const wasIn = useSession.getState().session?.loggedIn;
    useSession.getState().applySession(s);
    if (s.loggedIn && !wasIn) void afterLogin();
    if (!s.loggedIn && wasIn) resetAfterLogout();
  });
  on('feed', queueFeedItem);
  on('popup', (p) => usePopups.getState().apply(p));
  on('settings', (s) => useSettings.getState().apply(s));
  on('update', (u) => useSettings.getState().applyUpdate(u));
  on('attention', (a) => useAttention.getState().apply(a));
  on('missed', (calls) => useHome.getState().applyMissed(calls));
  // Not in the popup window: one notification per new mail, from the main window.
  if (!isPopupWindow()) on('mail:new', notifyNewMail);
  // A failed send, and its delivery after failing, told once per message (main window only).
  if (!isPopupWindow()) on('mail:sendNotice', onSendNotice);
  // Settings belong to this computer, not to a session: the popup window needs them too.
  void useSettings.getState().init();
}

/** Forgets everything of the previous employee (another one may log in next). */
export function resetAfterLogout(): void {
  useAdmin.getState().reset();
  useHome.setState({ today: emptyCallList(), todayLoaded: false, missed: [], missedLoaded: false, dismissed: new Set() });
  useHistory.setState({ list: emptyCallList(), filter: {}, hasMore: true, error: null });
  usePopups.setState({ popups: [] });
  useContacts.setState({ byId: new Map(), byPhone: new Map(), loaded: false });
}

let loading: Promise<void> | null = null;

/** Loads what the signed-in views need (once at a time: the login answer and the session event both ask). */
export function afterLogin(): Promise<void> {
  if (loading) return loading;
  // The popup window needs only its popups (and may make only a few requests).
  const popupWindow = isPopupWindow();
  loading = Promise.all([
    useConnection.getState().init(),
    usePopups.getState().init(),
    ...(popupWindow ? [] : [useContacts.getState().load(), useHome.getState().loadToday(), useHome.getState().loadMissed(), useAttention.getState().init()]),
  ]).then(
    () => {
      loading = null;
    },
    () => {
      loading = null;
    },
  );
  return loading;
}
