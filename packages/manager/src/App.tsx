import { useEffect, useMemo, useState } from 'react';
import { AdminApi } from './api/client.ts';
import type { Session } from './api/types.ts';
import { ApiContext } from './apiContext.ts';
import { Layout } from './Layout.tsx';
import { Login } from './Login.tsx';

type Phase = { kind: 'checking' } | { kind: 'login'; notice?: string } | { kind: 'in'; user: string };

/** Logged in or not: a reloaded page asks the server, which answers the session's CSRF token again. */
export function App() {
  const api = useMemo(() => new AdminApi(), []);
  const [phase, setPhase] = useState<Phase>({ kind: 'checking' });

  useEffect(() => {
    api.onSessionEnded = () => {
      api.csrfToken = undefined;
      setPhase({ kind: 'login', notice: 'Your session ended. Log in again.' });
    };
    api
      .get<Session>('/session')
      .then((session) => {
        api.csrfToken = session.csrfToken;
        setPhase(session.via === 'session' ? { kind: 'in', user: session.user ?? '' } : { kind: 'login' });
      })
      .catch(() => setPhase({ kind: 'login' }));
  }, [api]);

  const loggedOut = () => {
    api.csrfToken = undefined;
    setPhase({ kind: 'login', notice: 'You are logged out.' });
  };

  return (
    <ApiContext.Provider value={api}>
      {phase.kind === 'checking' ? (
        <p className="checking" role="status">
          Loading the License Server Manager…
        </p>
      ) : phase.kind === 'login' ? (
        <Login notice={phase.notice} onLoggedIn={(user) => setPhase({ kind: 'in', user })} />
      ) : (
        <Layout user={phase.user} onLoggedOut={loggedOut} />
      )}
    </ApiContext.Provider>
  );
}
