import { type FormEvent, useEffect, useRef, useState } from 'react';
import { useApi } from './apiContext.ts';
import { ErrorBanner } from './Banner.tsx';
import { useAction } from './useAsync.ts';

export function Login({ notice, onLoggedIn }: { notice?: string; onLoggedIn: (user: string) => void }) {
  const api = useApi();
  const [user, setUser] = useState('admin');
  const [password, setPassword] = useState('');
  const first = useRef<HTMLInputElement>(null);
  useEffect(() => {
    document.title = 'Log in — License Server Manager';
    first.current?.focus();
  }, []);
  const login = useAction(async () => {
    const answer = await api.post<{ user: string; csrfToken: string }>('/session', { user, password });
    api.csrfToken = answer.csrfToken;
    return answer;
  });
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const answer = await login.run();
    setPassword('');
    if (answer) onLoggedIn(answer.user);
  };
  return (
    <main className="login">
      <form className="card" onSubmit={submit} aria-labelledby="login-title">
        <h1 id="login-title">License Server Manager</h1>
        {notice ? (
          <p className="notice" role="status">
            {notice}
          </p>
        ) : null}
        <ErrorBanner error={login.error} title="Login failed" />
        <label htmlFor="login-user">User name</label>
        <input
          id="login-user"
          ref={first}
          name="username"
          autoComplete="username"
          required
          value={user}
          onChange={(e) => setUser(e.target.value)}
        />
        <label htmlFor="login-password">Password</label>
        <input
          id="login-password"
          name="password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        <button type="submit" className="primary" disabled={login.running}>
          {login.running ? 'Logging in…' : 'Log in'}
        </button>
        <p className="hint">
          The admin account is created by <code>leasehold server init</code>.
        </p>
      </form>
    </main>
  );
}
