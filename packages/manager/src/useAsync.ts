import { useCallback, useEffect, useRef, useState } from 'react';
import { type ApiError, asApiError } from './api/client.ts';

/** An action the administrator starts: running, its result, or its error (for the banner). */
export function useAction<A extends unknown[], T>(action: (...args: A) => Promise<T>) {
  const [state, setState] = useState<{ running: boolean; result?: T; error?: ApiError }>({ running: false });
  const run = useCallback(
    async (...args: A) => {
      setState({ running: true });
      try {
        const result = await action(...args);
        setState({ running: false, result });
        return result;
      } catch (error) {
        setState({ running: false, error: asApiError(error) });
        return undefined;
      }
    },
    [action],
  );
  return { ...state, run };
}

/**
 * Data read now and again every `intervalMs` (live update), never two reads at once, paused while
 * the tab is hidden. `reload` reads at once (the refresh button).
 */
export function usePolled<T>(read: () => Promise<T>, intervalMs: number | undefined) {
  const [state, setState] = useState<{ data?: T; error?: ApiError; readAt?: Date; loading: boolean }>({
    loading: true,
  });
  const busy = useRef(false);
  const reload = useCallback(async () => {
    if (busy.current) return;
    busy.current = true;
    setState((s) => ({ ...s, loading: true }));
    try {
      const data = await read();
      setState({ data, readAt: new Date(), loading: false });
    } catch (error) {
      setState((s) => ({ ...s, error: asApiError(error), loading: false }));
    } finally {
      busy.current = false;
    }
  }, [read]);
  useEffect(() => {
    void reload();
    if (!intervalMs) return;
    const timer = setInterval(() => {
      if (!document.hidden) void reload();
    }, intervalMs);
    return () => clearInterval(timer);
  }, [reload, intervalMs]);
  return { ...state, reload };
}
