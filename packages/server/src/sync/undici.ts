import { createRequire } from 'node:module';

type Undici = typeof import('undici');

let loaded: Undici | undefined;

/**
 * undici, loaded on first use: it is a megabyte of JavaScript (~0.1 s to load here), and the
 * commands that never connect to the central server (`server status`, `leases`, `audit`) start
 * faster without it.
 */
export function undici(): Undici {
  loaded ??= createRequire(import.meta.url)('undici') as Undici;
  return loaded;
}
