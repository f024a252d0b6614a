/** The main window frame: sidebar navigation, connection state, user, content. */
import { useEffect, type ReactNode } from 'react';
import { countMissedCallers } from '../../src-shared/missed';
import { ROLE_LABELS } from '../../src-shared/roles';
import { hasShell } from '../api';
import { href, type Route } from '../router';
import { S } from '../strings';
import { useAttention } from '../stores/attention';
import { useHome } from '../stores/home';
import { useIsAdmin, useMe, useSession } from '../stores/session';
import { ConnectionBadge } from './ConnectionBadge';
import { IconChart, IconHome, IconList, IconMail, IconPlug, IconSettings, IconUser } from './icons';
import { PopupStack } from './PopupStack';
import { Toasts } from './Toasts';
import { ConfirmHost } from './ConfirmDialog';

/** A count as a badge or the title shows it: past 999, «999+». */
const shortCount = (n: number) => (n > 999 ? '999+' : String(n));

function NavLink({ to, section, route, icon, children, testId, count, countLabel }: { to: string; section: string; route: Route; icon: ReactNode; children: ReactNode; testId?: string; count?: number; countLabel?: string }) {
  const active = route.section === section;
  return (
    <a href={href(to)} className={`nav-link${active ? ' active' : ''}`} aria-current={active ? 'page' : undefined} data-testid={testId}>
      {icon}
      <span>{children}</span>
      {count ? (
        <b className="nav-count" title={countLabel} aria-label={countLabel} data-testid={testId ? `${testId}-count` : undefined}>
          {shortCount(count)}
        </b>
      ) : null}
    </a>
  );
}

/** «(3) АСГАРД Телефония»: the count shows on the taskbar and browser tab while something waits. */
function useTitleCount(count: number): void {
  useEffect(() => {
    document.title = count ? `(${shortCount(count)}) ${S.appName}` : S.appName;
  }, [count]);
}

export function Layout({ route, children }: { route: Route; children: ReactNode }) {
  const me = useMe();
  const isAdmin = useIsAdmin();
  const logout = useSession((s) => s.logout);
  // The rows of the «Перезвонить» list (the core's read, less those just taken off with «×»),
  // counted as the core counts the same read for the tray; its figure until the list is loaded.
  const listed = useHome((s) => (s.missedLoaded ? countMissedCallers(s.missed) : null));
  const missed = useAttention((s) => listed ?? s.missedCalls);
  const unread = useAttention((s) => s.unreadMail);
  useTitleCount(missed + unread);
  return (
    <div className="app">
      <aside className="sidebar">
        <div className="brand">
          <span className="brand-mark">А</span>
          <span className="brand-name">{S.appName}</span>
        </div>
        <nav className="nav">
          <NavLink to="/" section="" route={route} icon={<IconHome />} testId="nav-home" count={missed} countLabel={S.nav.missedCount(missed)}>{S.nav.home}</NavLink>
          <NavLink to="/calls" section="calls" route={route} icon={<IconList />} testId="nav-calls">{S.nav.calls}</NavLink>
          <NavLink to="/contacts" section="contacts" route={route} icon={<IconUser />} testId="nav-contacts">{S.nav.contacts}</NavLink>
          <NavLink to="/stats" section="stats" route={route} icon={<IconChart />} testId="nav-stats">{S.nav.stats}</NavLink>
          <NavLink to="/mail" section="mail" route={route} icon={<IconMail />} testId="nav-mail" count={unread} countLabel={S.nav.unreadCount(unread)}>{S.nav.mail}</NavLink>
          <NavLink to="/settings" section="settings" route={route} icon={<IconSettings />} testId="nav-settings">{S.nav.settings}</NavLink>
          {isAdmin ? (
            <>
              <div className="nav-heading">{S.nav.adminSection}</div>
              <NavLink to="/mango" section="mango" route={route} icon={<IconPlug />} testId="nav-mango">{S.nav.mango}</NavLink>
            </>
          ) : null}
        </nav>
        <div className="sidebar-foot">
          <ConnectionBadge />
          {me ? (
            <div className="me">
              <div className="me-name" data-testid="me-name">{me.name}</div>
              <div className="me-role">
                {ROLE_LABELS[me.role]}
                {me.extension ? ` · доб.\u00a0${me.extension}` : ''}
              </div>
            </div>
          ) : null}
          {/* In the 64 px sidebar of a narrow window only the icon is left (styles.css); the name stays in title/aria-label. */}
          <button type="button" className="btn btn-ghost btn-sm logout" title={S.nav.logout} aria-label={S.nav.logout} data-testid="logout" onClick={() => void logout()}>
            <svg width={16} height={16} viewBox="0 0 24 24" aria-hidden="true" fill="none" stroke="currentColor" strokeWidth={2} strokeLinecap="round" strokeLinejoin="round">
              <path d="M9 21H5a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2h4" />
              <path d="m16 17 5-5-5-5" />
              <path d="M21 12H9" />
            </svg>
            <span className="logout-text">{S.nav.logout}</span>
          </button>
        </div>
      </aside>
      <main className="content">{children}</main>
      {!hasShell ? <PopupStack mode="overlay" /> : null}
      <Toasts />
      <ConfirmHost />
    </div>
  );
}
