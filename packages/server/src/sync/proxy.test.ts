import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LeaseholdError } from '@leasehold/protocol';
import { describe, expect, it } from 'vitest';
import {
  bypassesProxy,
  chooseProxy,
  clearProxySetting,
  loadProxySetting,
  maskProxy,
  parseNoProxy,
  parseProxyUrl,
  proxyAuthorization,
  proxyPath,
  saveProxySetting,
} from './proxy.ts';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof LeaseholdError ? error.code : 'not a LeaseholdError';
  }
  return undefined;
}

describe('a proxy URL as the administrator types it', () => {
  it('takes credentials from the URL, percent-decoded, and keeps only the origin as the URL', () => {
    expect(parseProxyUrl('http://alice:p%40ss@proxy.example:3128/')).toEqual({
      url: 'http://proxy.example:3128',
      username: 'alice',
      password: 'p@ss',
    });
  });

  it('lets --user and --password replace the credentials in the URL', () => {
    expect(parseProxyUrl('http://x:y@proxy:3128', { username: 'bob', password: 's3cret' })).toEqual({
      url: 'http://proxy:3128',
      username: 'bob',
      password: 's3cret',
    });
  });

  it('accepts host:port without a scheme, as curl does, as an HTTP proxy', () => {
    expect(parseProxyUrl('proxy.example:8080')).toEqual({ url: 'http://proxy.example:8080' });
  });

  it('refuses what is not an HTTP(S) proxy, a path, or a password without a user', () => {
    expect(codeOf(() => parseProxyUrl('socks5://proxy:1080'))).toBe('INVALID_INPUT');
    expect(codeOf(() => parseProxyUrl('http://proxy:3128/path'))).toBe('INVALID_INPUT');
    expect(codeOf(() => parseProxyUrl('http://proxy:3128', { password: 'x' }))).toBe('INVALID_INPUT');
    expect(codeOf(() => parseProxyUrl('http://'))).toBe('INVALID_INPUT');
  });
});

describe('showing a proxy', () => {
  it('masks the password and never prints it', () => {
    const proxy = { url: 'http://proxy:3128', username: 'alice', password: 'hunter2' };
    expect(maskProxy(proxy)).toBe('http://alice:****@proxy:3128');
    expect(maskProxy({ url: 'http://proxy:3128' })).toBe('http://proxy:3128');
  });

  it('sends the credentials as Basic proxy authorization', () => {
    const route = chooseProxy(undefined, { httpsProxy: 'http://alice:hunter2@proxy:3128' });
    expect(route && proxyAuthorization(route)).toBe(
      `Basic ${Buffer.from('alice:hunter2').toString('base64')}`,
    );
  });
});

describe('the stored proxy (proxy.json)', () => {
  it('is written with mode 0600, read back, and cleared', () => {
    const dir = mkdtempSync(join(tmpdir(), 'leasehold-proxy-'));
    expect(loadProxySetting(dir)).toBeUndefined();
    saveProxySetting(dir, { url: 'http://proxy:3128', username: 'alice', password: 'hunter2' });
    expect(statSync(proxyPath(dir)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(proxyPath(dir), 'utf8'))).toMatchObject({ formatVersion: 1 });
    expect(loadProxySetting(dir)).toMatchObject({ url: 'http://proxy:3128', username: 'alice' });
    expect(clearProxySetting(dir)).toBe(true);
    expect(clearProxySetting(dir)).toBe(false);
    expect(loadProxySetting(dir)).toBeUndefined();
  });
});

describe('which proxy online sync uses', () => {
  const stored = { formatVersion: 1 as const, url: 'http://stored:3128' };

  it('prefers the stored proxy over the environment, and ignores NO_PROXY for it', () => {
    const route = chooseProxy(stored, { httpsProxy: 'http://env:3128', noProxy: '*' });
    expect(route).toMatchObject({ url: 'http://stored:3128', source: 'stored', noProxy: [] });
  });

  it('takes HTTPS_PROXY first, then HTTP_PROXY, and none without either', () => {
    expect(chooseProxy(undefined, { httpsProxy: 'http://a:1', httpProxy: 'http://b:2' })?.url).toBe(
      'http://a:1',
    );
    expect(chooseProxy(undefined, { httpProxy: 'http://b:2' })?.url).toBe('http://b:2');
    expect(chooseProxy(undefined, {})).toBeUndefined();
  });

  it('reports an unusable variable without repeating its value, which may hold a password', () => {
    try {
      chooseProxy(undefined, { httpsProxy: 'socks5://u:topsecret@proxy:1080' });
      expect.unreachable();
    } catch (error) {
      expect((error as LeaseholdError).code).toBe('CONFIG_INVALID');
      expect((error as Error).message).toContain('HTTPS_PROXY');
      expect((error as Error).message).not.toContain('topsecret');
    }
  });
});

describe('NO_PROXY', () => {
  const bypass = (url: string, value: string) => bypassesProxy(new URL(url), parseNoProxy(value));

  it('matches hosts, domains with or without a leading dot, IP addresses and *', () => {
    expect(bypass('https://central.vendor.example', 'vendor.example')).toBe(true);
    expect(bypass('https://central.vendor.example', '.vendor.example')).toBe(true);
    expect(bypass('https://central.vendor.example', '*.vendor.example')).toBe(true);
    expect(bypass('https://othervendor.example', 'vendor.example')).toBe(false);
    expect(bypass('http://127.0.0.1:4000', 'localhost, 127.0.0.1')).toBe(true);
    expect(bypass('http://[::1]:4000', '::1')).toBe(true);
    expect(bypass('https://anything.example', '*')).toBe(true);
    expect(bypass('https://anything.example', '')).toBe(false);
  });

  it('matches a port when the entry names one (443 for https when the URL names none)', () => {
    expect(bypass('https://central.example', 'central.example:443')).toBe(true);
    expect(bypass('https://central.example:8080', 'central.example:443')).toBe(false);
    expect(bypass('http://[::1]:8080', '[::1]:8080')).toBe(true);
  });
});
