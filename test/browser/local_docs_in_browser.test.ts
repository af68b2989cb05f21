import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServerApp } from '../../packages/server/src/http/app.ts';
import { syncedLocalServer } from '../../packages/server/src/test-support/localServer.ts';
import { license } from '../../packages/server/src/test-support/syncedServer.ts';
import { launchChromium } from '../support/browser.ts';

// The local server's admin API reference (/docs) in Debian's Chromium: rendered from the OpenAPI
// document, styled by its one stylesheet under `default-src 'self'` (no violation), with no script,
// nothing loaded from elsewhere, and a working link to the OpenAPI document.

describe('the local admin API reference at /docs, in Chromium', () => {
  let browser: Browser;
  let close: () => Promise<void>;
  let base: string;

  beforeAll(async () => {
    const { server } = await syncedLocalServer([license({ components: [{ name: 'Base', seats: 2 }] })]);
    const app = buildServerApp(server);
    base = await app.listen({ host: '127.0.0.1', port: 0 });
    close = async () => {
      await app.close();
      server.close();
    };
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await close?.();
  });

  it('renders styled with no CSP violation, loads only its stylesheet and icon, and links the OpenAPI document', async () => {
    const page = await browser.newPage();
    const problems: string[] = [];
    const requests: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('request', (request) => requests.push(request.url()));
    const response = await page.goto(`${base}/docs`);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toContain("default-src 'self'");
    expect(await page.title()).toBe('Leasehold local server — admin API');
    const font = String(await page.evaluate('getComputedStyle(document.body).fontFamily'));
    expect(font).toContain('system-ui');
    const history = page.locator('tr', { has: page.locator('code', { hasText: /^\/v1\/admin\/history$/ }) });
    await expect(history.textContent()).resolves.toMatch(/days: integer, 1–366, default 30/);
    expect(problems).toEqual([]);
    expect(requests.sort()).toEqual([`${base}/docs`, `${base}/docs/docs.css`, `${base}/docs/icon.svg`]);

    await page.click('a[href="/v1/admin/openapi.json"]');
    const document = JSON.parse((await page.locator('body').textContent()) ?? '');
    expect(document.paths['/v1/admin/history'].get.parameters[0]).toMatchObject({
      name: 'days',
      in: 'query',
    });
    await page.close();
  });
});
