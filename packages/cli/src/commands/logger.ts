import pino, { type Logger } from 'pino';
import { inProcessStdout } from '../io.ts';

/** A server's JSON log on stdout: the process's (pino's fast default), or the in-process run's. */
export function serverLogger(level: string): Logger {
  const sink = inProcessStdout();
  return sink ? pino({ level }, { write: (line: string) => void sink.write(line) }) : pino({ level });
}
