/** Top-level routing: login gate, the popup window, and the main window's screens. */
import { useEffect } from 'react';
import { Layout } from './components/Layout';
import { PopupStack } from './components/PopupStack';
import { Toasts } from './components/Toasts';
import { ConfirmHost } from './components/ConfirmDialog';
import { MailRoutes } from './mail/MailRoutes';
import { useRoute, type Route } from './router';
import { ContactCard, NewContact } from './screens/ContactCard';
import { Contacts } from './screens/Contacts';
import { History } from './screens/History';
import { Home } from './screens/Home';
import { Login } from './screens/Login';
import { Mango } from './screens/Mango';
import { Settings } from './screens/Settings';
import { Stats } from './screens/Stats';
import { S } from './strings';
import { afterLogin, startLive } from './stores/live';
import { useSession } from './stores/session';

function Screen({ route }: { route: Route }) {
  switch (route.section) {
    case '':
      return <Home />;
    case 'calls':
      return <History />;
    case 'contacts': {
      const id = route.parts[0];
      if (!id) return <Contacts />;
      if (id === 'new') return <NewContact phone={route.query.get('phone')} />;
      const n = Number(id);
      return Number.isInteger(n) ? <ContactCard id={n} /> : <NewContact phone={null} />;
    }
    case 'mango':
      return <Mango />;
    case 'stats':
      return <Stats />;
    case 'settings':
      return <Settings />;
    case 'mail':
      return <MailRoutes path={route.path} />;
    default:
      return <Home />;
  }
}

export function App() {
  const route = useRoute();
  const session = useSession((s) => s.session);
  const loadError = useSession((s) => s.loadError);
  const init = useSession((s) => s.init);

  useEffect(() => {
    startLive();
    void init().then(() => {
      if (useSession.getState().session?.loggedIn) void afterLogin();
    });
  }, [init]);

  const isPopup = route.section === 'popup';
  useEffect(() => {
    document.body.classList.toggle('popup-body', isPopup);
  }, [isPopup]);

  if (!session) {
    return (
      <div className="splash">
        {loadError ? (
          <div className="error-box" data-testid="load-error">
            <p>{loadError}</p>
            <button type="button" className="btn" onClick={() => void init()}>
              {S.retry}
            </button>
          </div>
        ) : (
          <span className="muted">{S.loading}</span>
        )}
      </div>
    );
  }
  if (isPopup) {
    // The popup window is its own page: its actions' messages need a toast area of their own.
    return session.loggedIn ? (
      <>
        <PopupStack mode="window" />
        <Toasts />
        <ConfirmHost />
      </>
    ) : null;
  }
  if (!session.loggedIn) return <Login />;
  return (
    <Layout route={route}>
      <Screen route={route} />
    </Layout>
  );
}
