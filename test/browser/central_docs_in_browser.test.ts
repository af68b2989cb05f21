import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/browser.ts';
import { World } from '../support/world.ts';

// The vendor admin API reference (/docs) in Debian's Chromium: it renders with its style under its
// strict CSP (no violation), runs no script, loads nothing else, and links to the OpenAPI document.

describe('the vendor admin API reference at /docs, in Chromium', () => {
  let world: World;
  let browser: Browser;

  beforeAll(async () => {
    world = await World.start();
    browser = await launchChromium();
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await world?.stop();
  });

  it('renders styled with no CSP violation and no other request, and its link opens the OpenAPI document', async () => {
    const page = await browser.newPage();
    const problems: string[] = [];
    const requests: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('request', (request) => requests.push(request.url()));
    const base = `http://127.0.0.1:${world.ports.primary}`;
    const response = await page.goto(`${base}/docs`);
    expect(response?.status()).toBe(200);
    expect(await page.title()).toBe('Leasehold vendor admin API');
    // The inline style applied: its hash is in the CSP (a wrong hash leaves the page unstyled).
    const font = String(await page.evaluate('getComputedStyle(document.body).fontFamily'));
    expect(font).toContain('system-ui');
    expect(await page.locator('h2').count()).toBeGreaterThan(10);
    expect(problems).toEqual([]);
    expect(requests).toEqual([`${base}/docs`]);

    await page.click('a[href="/v1/admin/openapi.json"]');
    const document = JSON.parse((await page.locator('body').textContent()) ?? '');
    expect(document.paths['/v1/admin/vendor-keys/rotate'].post.summary).toContain('Rotate');
    await page.close();
  });
});
