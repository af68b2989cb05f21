import { useCallback, useEffect } from 'react';
import type { ServerStatus } from './api/types.ts';
import { useApi } from './apiContext.ts';
import { hrefOf, type PageName, pages, usePage } from './router.ts';
import { useAction, usePolled } from './useAsync.ts';
import { AuditView } from './views/AuditView.tsx';
import { AutoSyncView } from './views/AutoSyncView.tsx';
import { DiagnoseView } from './views/DiagnoseView.tsx';
import { HistoryView } from './views/HistoryView.tsx';
import { OverviewView } from './views/OverviewView.tsx';
import { PasswordView } from './views/PasswordView.tsx';
import { ProxyView } from './views/ProxyView.tsx';
import { SyncFileView } from './views/SyncFileView.tsx';
import { SyncView } from './views/SyncView.tsx';

/** Live update: how often the open page reads the server again. */
export const POLL_MS = 3_000;

const MENU: { heading: string; items: PageName[] }[] = [
  { heading: 'License server', items: ['overview'] },
  { heading: 'Server', items: ['sync', 'autoSync', 'syncFile', 'proxy', 'diagnose'] },
  { heading: 'History', items: ['history', 'audit'] },
  { heading: 'Account', items: ['password'] },
];

export interface ViewProps {
  status: ServerStatus | undefined;
  reloadStatus: () => Promise<void>;
}

function View({ page, ...props }: ViewProps & { page: PageName }) {
  switch (page) {
    case 'overview':
      return <OverviewView {...props} />;
    case 'sync':
      return <SyncView {...props} />;
    case 'autoSync':
      return <AutoSyncView {...props} />;
    case 'syncFile':
      return <SyncFileView {...props} />;
    case 'proxy':
      return <ProxyView />;
    case 'diagnose':
      return <DiagnoseView />;
    case 'history':
      return <HistoryView />;
    case 'audit':
      return <AuditView />;
    case 'password':
      return <PasswordView />;
  }
}

export function Layout({ user, onLoggedOut }: { user: string; onLoggedOut: () => void }) {
  const api = useApi();
  const [page, go] = usePage();
  const readStatus = useCallback(() => api.get<ServerStatus>('/status'), [api]);
  const status = usePolled(readStatus, POLL_MS);
  const id = status.data?.licenseServerId;
  useEffect(() => {
    document.title = `${id ? `${id} — ` : ''}${pages[page].title} — License Server Manager`;
  }, [id, page]);

  const logout = useAction(async () => {
    await api.delete('/session');
  });

  return (
    <div className="shell">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <h1>
          License Server Manager
          {id ? <span className="server-id"> — {id}</span> : null}
        </h1>
        <div className="account">
          <span>
            Logged in as <strong>{user}</strong>
          </span>
          <button
            type="button"
            onClick={async () => {
              await logout.run();
              onLoggedOut();
            }}
          >
            Log out
          </button>
        </div>
      </header>
      <nav className="sidebar" aria-label="Manager">
        {MENU.map((group) => (
          <section key={group.heading} aria-labelledby={`menu-${group.heading}`}>
            <h2 className="menu-heading" id={`menu-${group.heading}`}>
              {group.heading}
            </h2>
            <ul>
              {group.items.map((item) => (
                <li key={item}>
                  <a
                    href={hrefOf(item)}
                    aria-current={item === page ? 'page' : undefined}
                    onClick={(event) => {
                      if (event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
                      event.preventDefault();
                      go(item);
                    }}
                  >
                    {pages[item].title}
                  </a>
                </li>
              ))}
            </ul>
          </section>
        ))}
      </nav>
      <main id="main" tabIndex={-1}>
        <View page={page} status={status.data} reloadStatus={status.reload} />
      </main>
    </div>
  );
}
