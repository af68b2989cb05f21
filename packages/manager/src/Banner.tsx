import type { ApiError } from './api/client.ts';

/** An error as the administrator needs it: what failed (the stable code), why, and the fix. */
export function ErrorBanner({ error, title }: { error: ApiError | undefined; title?: string }) {
  if (!error) return null;
  return (
    <div className="banner banner-error" role="alert">
      <p className="banner-title">
        {title ?? 'That did not work'}: <code>{error.code}</code>
      </p>
      <p>{error.message}</p>
      {error.fix ? (
        <p>
          <strong>Fix:</strong> {error.fix}
        </p>
      ) : null}
    </div>
  );
}

export function SuccessBanner({ children }: { children: React.ReactNode }) {
  return (
    <div className="banner banner-ok" role="status">
      {children}
    </div>
  );
}
