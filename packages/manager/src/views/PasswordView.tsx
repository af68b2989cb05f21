import { type FormEvent, useState } from 'react';
import { useApi } from '../apiContext.ts';
import { ErrorBanner, SuccessBanner } from '../Banner.tsx';
import { PageHeading } from '../PageHeading.tsx';
import { useAction } from '../useAsync.ts';

const MIN_LENGTH = 12;

/** Account → Change password. The server ends every other session of the account. */
export function PasswordView() {
  const api = useApi();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [again, setAgain] = useState('');
  const change = useAction(() =>
    api.put<{ changed: boolean }>('/password', { currentPassword: current, newPassword: next }),
  );
  const mismatch = again !== '' && again !== next;
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (mismatch) return;
    const done = await change.run();
    if (done) {
      setCurrent('');
      setNext('');
      setAgain('');
    }
  };
  return (
    <>
      <PageHeading intro="Other sessions of this account end when the password changes.">
        Change password
      </PageHeading>
      <form className="card" onSubmit={submit} aria-labelledby="password-form-title">
        <h3 id="password-form-title" className="visually-hidden">
          New password
        </h3>
        <label htmlFor="password-current">Current password</label>
        <input
          id="password-current"
          type="password"
          autoComplete="current-password"
          required
          value={current}
          onChange={(e) => setCurrent(e.target.value)}
        />
        <label htmlFor="password-new">New password (at least {MIN_LENGTH} characters)</label>
        <input
          id="password-new"
          type="password"
          autoComplete="new-password"
          required
          minLength={MIN_LENGTH}
          value={next}
          onChange={(e) => setNext(e.target.value)}
        />
        <label htmlFor="password-again">New password again</label>
        <input
          id="password-again"
          type="password"
          autoComplete="new-password"
          required
          aria-invalid={mismatch}
          aria-describedby={mismatch ? 'password-mismatch' : undefined}
          value={again}
          onChange={(e) => setAgain(e.target.value)}
        />
        {mismatch ? (
          <p id="password-mismatch" className="field-error">
            The two new passwords differ.
          </p>
        ) : null}
        <button type="submit" className="primary" disabled={change.running || mismatch}>
          Change password
        </button>
      </form>
      <ErrorBanner error={change.error} title="The password was not changed" />
      {change.result?.changed ? (
        <SuccessBanner>The password is changed; other sessions have ended.</SuccessBanner>
      ) : null}
    </>
  );
}
