import { type FormEvent, useCallback, useState } from 'react';
import type { ProxyShown } from '../api/types.ts';
import { useApi } from '../apiContext.ts';
import { ErrorBanner, SuccessBanner } from '../Banner.tsx';
import { PageHeading } from '../PageHeading.tsx';
import { useAction, usePolled } from '../useAsync.ts';

/** Server → Proxy (S7). The password goes to the server and is never shown again, here or there. */
export function ProxyView() {
  const api = useApi();
  const read = useCallback(() => api.get<ProxyShown>('/proxy'), [api]);
  const current = usePolled(read, undefined);
  const [url, setUrl] = useState('');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const save = useAction(async () => {
    const answer = await api.put<ProxyShown>('/proxy', {
      url,
      ...(username ? { username } : {}),
      ...(password ? { password } : {}),
    });
    await current.reload();
    return { ...answer, message: 'The proxy is stored; online syncs go through it.' };
  });
  const clear = useAction(async () => {
    await api.delete('/proxy');
    await current.reload();
    return { message: 'The stored proxy is removed; the proxy environment variables apply again, if set.' };
  });
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const done = await save.run();
    setPassword('');
    if (done) setUrl('');
  };
  const shown = current.data;
  const done = save.result ?? clear.result;
  return (
    <>
      <PageHeading intro="Online synchronization goes through this HTTP(S) proxy. Without one stored here, the server uses HTTPS_PROXY / HTTP_PROXY from its environment.">
        Proxy
      </PageHeading>
      <dl className="facts-inline">
        <div>
          <dt>Proxy in use</dt>
          <dd id="proxy-current">
            {shown?.proxy ? (
              <>
                <code>{shown.proxy}</code> (
                {shown.source === 'stored' ? 'stored here' : 'from the environment'}
                {shown.authenticated ? ', with credentials' : ''})
              </>
            ) : shown ? (
              'none: direct connection'
            ) : (
              '…'
            )}
          </dd>
        </div>
        {shown && shown.noProxy.length > 0 ? (
          <div>
            <dt>Not for</dt>
            <dd>{shown.noProxy.join(', ')}</dd>
          </div>
        ) : null}
      </dl>
      <ErrorBanner error={current.error} />
      <form className="card" onSubmit={submit} aria-labelledby="proxy-form-title">
        <h3 id="proxy-form-title">Set a proxy</h3>
        <label htmlFor="proxy-url">Proxy URL</label>
        <input
          id="proxy-url"
          type="url"
          required
          placeholder="http://proxy.example:3128"
          value={url}
          onChange={(e) => setUrl(e.target.value)}
        />
        <label htmlFor="proxy-user">User name (optional)</label>
        <input
          id="proxy-user"
          autoComplete="off"
          value={username}
          onChange={(e) => setUsername(e.target.value)}
        />
        <label htmlFor="proxy-password">Password (optional)</label>
        <input
          id="proxy-password"
          type="password"
          autoComplete="new-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        <div className="buttons">
          <button type="submit" className="primary" disabled={save.running}>
            Save proxy
          </button>
          <button
            type="button"
            disabled={clear.running || shown?.source !== 'stored'}
            onClick={() => void clear.run()}
          >
            Clear stored proxy
          </button>
        </div>
      </form>
      <ErrorBanner error={save.error ?? clear.error} title="Could not change the proxy" />
      {done ? <SuccessBanner>{done.message}</SuccessBanner> : null}
      <p className="hint">
        Same as <code>leasehold server proxy set URL</code> and <code>leasehold server proxy clear</code>.
      </p>
    </>
  );
}
