import { useEffect, useState } from 'react';

/** The Manager's pages, as paths under /manager/ (the server falls back to index.html for them). */
export const pages = {
  overview: { path: '', title: 'Overview' },
  sync: { path: 'sync', title: 'Synchronize Server' },
  autoSync: { path: 'automatic-sync', title: 'Automatic Synchronization' },
  syncFile: { path: 'sync-file', title: 'Sync via file' },
  proxy: { path: 'proxy', title: 'Proxy' },
  diagnose: { path: 'diagnose', title: 'Diagnose' },
  history: { path: 'history', title: 'Usage history' },
  audit: { path: 'audit', title: 'Audit log' },
  password: { path: 'password', title: 'Change password' },
} as const;
export type PageName = keyof typeof pages;

const BASE = '/manager/';

export function pageFromPath(pathname: string): PageName {
  const rest = pathname.startsWith(BASE) ? pathname.slice(BASE.length).replace(/\/$/, '') : '';
  const found = (Object.keys(pages) as PageName[]).find((name) => pages[name].path === rest);
  return found ?? 'overview';
}

export const hrefOf = (page: PageName) => `${BASE}${pages[page].path}`;

/** The current page, following links without reloading and the browser's back and forward buttons. */
export function usePage(): [PageName, (page: PageName) => void] {
  const [page, setPage] = useState<PageName>(() => pageFromPath(window.location.pathname));
  useEffect(() => {
    const onPop = () => setPage(pageFromPath(window.location.pathname));
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);
  const go = (next: PageName) => {
    if (next !== page) window.history.pushState(null, '', hrefOf(next));
    setPage(next);
  };
  return [page, go];
}
