import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { launchChromium } from '../support/browser.ts';
import { closedPort, type Daemon, daemon, leasehold, tempDir } from '../support/leasehold.ts';
import { LocalServerHandle, World } from '../support/world.ts';

// The page answers within a second when idle; a busy test machine (scrypt, two cores) needs longer.
vi.setConfig({ expect: { poll: { timeout: 15_000, interval: 100 } } });
const DIST_INDEX = fileURLToPath(new URL('../../packages/manager/dist/index.html', import.meta.url));
const SCREENSHOTS = fileURLToPath(new URL('../../docs/screenshots/', import.meta.url));
// LEASEHOLD_SCREENSHOTS=1 writes the screenshots the docs show (docs/manager.md, README).
const takeScreenshots = process.env.LEASEHOLD_SCREENSHOTS === '1';

describe('the License Server Manager in Chromium: log in, sync, sync by file, release, history (M1-M4)', () => {
  let world: World;
  let id: string;
  let local: LocalServerHandle;
  let serving: Daemon;
  let password: string;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  const files = tempDir('manager-ui');

  const url = (path: string) => `${serving.info.url}${path}`;
  const lease = async (body: object, path = '/v1/leases') => {
    const answer = await fetch(url(path), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(answer.status, await answer.clone().text()).toBe(201);
    return answer.json() as Promise<any>;
  };
  const menu = (name: string) =>
    page.getByRole('navigation').getByRole('link', { name, exact: true }).click();
  const cell = (component: string, column: string) =>
    page.locator(`#components tr[data-component="${component}"] td[data-col="${column}"]`);
  const historyAvailable = async () =>
    page.evaluate(async () => (await fetch('/v1/admin/history?days=1')).status !== 404);

  beforeAll(async () => {
    if (!existsSync(DIST_INDEX)) throw new Error('the Manager UI is not built: run `npm run build`');
    world = await World.start();
    id = await world.createServerId('Manager UI Customer');
    await world.addLicense(
      id,
      '--name',
      'Design team',
      '--component',
      'Analysis=2',
      '--max-checkout-hours',
      '24',
    );
    const dataDir = join(world.root, 'server');
    const init = await leasehold([
      'server',
      'init',
      '--data-dir',
      dataDir,
      '--id',
      id,
      '--central-url',
      'http://127.0.0.1',
      '--central-ports',
      `${world.ports.primary}`,
      '--vendor-keys',
      world.vendorKeysFile,
      '--plain-http',
      '--plain-http-central',
      '--json',
    ]);
    expect(init.code, init.stderr).toBe(0);
    password = init.json.admin.generatedPassword;
    local = new LocalServerHandle(dataDir, init.json.serverKeyId, world);
    serving = await daemon(['server', 'serve', '--data-dir', dataDir, '--port', '0', '--host', '127.0.0.1']);
    browser = await launchChromium();
    const context = await browser.newContext({
      acceptDownloads: true,
      viewport: { width: 1366, height: 900 },
    });
    page = await context.newPage();
    // A CSP violation or a script error shows up here: the run must end with none.
    page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    page.on('pageerror', (e) => problems.push(e.message));
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await serving?.stop();
    await world?.stop();
  });

  it('refuses a wrong password with a banner naming the fix', async () => {
    await page.goto(url('/manager'));
    expect(page.url()).toBe(url('/manager/'));
    await page.getByLabel('User name').fill('admin');
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Log in' }).click();
    const banner = page.getByRole('alert');
    await expect.poll(() => banner.textContent()).toContain('SERVER_ADMIN_LOGIN_FAILED');
    expect(await banner.textContent()).toContain('leasehold server init');
  });

  it('logs in and shows an unsynchronized server: id in the title, the warning, no licenses', async () => {
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    await expect.poll(() => page.title()).toContain(id);
    expect(await page.locator('header h1').textContent()).toContain(id);
    await expect.poll(() => page.locator('#days-remaining').textContent()).toContain('Not synchronized');
    expect(await page.locator('#messages [data-code="NOT_SYNCHRONIZED"]').count()).toBe(1);
    expect(await page.locator('#components').textContent()).toContain('No licenses yet');
    expect(await page.locator('#client-address').textContent()).toBe(serving.info.url);
  });

  it('sets a proxy without ever showing its password; sync and diagnose through the dead proxy show the fix', async () => {
    const port = await closedPort();
    await menu('Proxy');
    await page.getByLabel('Proxy URL').fill(`http://127.0.0.1:${port}`);
    await page.getByLabel('User name (optional)').fill('ops');
    await page.getByLabel('Password (optional)').fill('pr0xy-s3cret');
    await page.getByRole('button', { name: 'Save proxy' }).click();
    await expect.poll(() => page.locator('#proxy-current').textContent()).toContain('with credentials');
    expect(await page.getByLabel('Password (optional)').inputValue()).toBe('');
    expect(await page.content()).not.toContain('pr0xy-s3cret');

    await menu('Synchronize Server');
    await page.getByRole('button', { name: 'Synchronize now' }).click();
    const banner = page.getByRole('alert');
    await expect.poll(() => banner.textContent(), { timeout: 30_000 }).toContain('PROXY_UNREACHABLE');
    expect(await banner.textContent()).toContain('check the proxy address');

    await menu('Diagnose');
    await page.getByRole('button', { name: 'Run diagnosis' }).click();
    await page.locator('#diagnose-summary').waitFor({ timeout: 30_000 });
    expect(await page.locator('#diagnose-summary').textContent()).toContain('A link is broken');
    const failed = page.locator('#diagnose-steps tr.step-failed');
    expect(await failed.count()).toBeGreaterThan(0);
    expect(await failed.first().textContent()).toMatch(/PROXY_UNREACHABLE.*proxy address/);

    await menu('Proxy');
    await page.getByRole('button', { name: 'Clear stored proxy' }).click();
    await expect.poll(() => page.locator('#proxy-current').textContent()).toContain('none');
  });

  it('synchronizes with progress and result; the overview then shows the licenses', async () => {
    await menu('Synchronize Server');
    await page.getByRole('button', { name: 'Synchronize now' }).click();
    await page.locator('#sync-result').waitFor({ timeout: 30_000 });
    expect(await page.locator('#sync-result').textContent()).toMatch(/allocation version 1, 1 license\./);
    await expect
      .poll(() => page.locator('#sync-state').textContent())
      .toMatch(/\d+ days until the required sync/);
    if (takeScreenshots) {
      mkdirSync(SCREENSHOTS, { recursive: true });
      await page.screenshot({ path: join(SCREENSHOTS, 'manager-sync.png') });
    }
    await menu('Overview');
    await expect.poll(() => cell('Analysis', 'maxUsers').textContent()).toBe('2');
    expect(await cell('Base', 'free').textContent()).toBe('10');
    expect(await page.locator('#license-select option').allTextContents()).toEqual([
      'All licenses (1)',
      expect.stringMatching(/^[0-9A-Z]{5}(-[0-9A-Z]{5}){4}-[0-9A-Z]{7} — Design team$/),
    ]);
  });

  it('switches automatic synchronization to daily, as the CLI then reports', async () => {
    await menu('Automatic Synchronization');
    await page.getByLabel(/^Daily/).check();
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => page.locator('#auto-sync-mode').textContent()).toBe('daily');
    expect((await local.status()).autoSync.mode).toBe('daily');
  });

  it('syncs via file: downloads a request, imports the response the vendor made from it', async () => {
    const exportLicense: string = (await world.addLicense(id, '--component', 'Export=2')).number;
    expect(exportLicense).toMatch(/^[0-9A-Z]{5}-/);
    await menu('Sync via file');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download request file' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe(`${id}-sync-request.txt`);
    const request = join(files, 'request.txt');
    await download.saveAs(request);
    expect(readFileSync(request, 'utf8')).toMatch(/^-----BEGIN LEASEHOLD SYNC REQUEST-----/);
    const response = join(files, 'response.txt');
    const responded = await world.vendor(['sync', 'respond', '--in', request, '--out', response, '--json']);
    expect(responded.code, responded.stderr).toBe(0);

    await page.getByLabel('Response file', { exact: true }).setInputFiles(response);
    await page.getByRole('button', { name: 'Import response' }).click();
    await page.locator('#import-result').waitFor();
    expect(await page.locator('#import-result').textContent()).toMatch(/allocation version 2, 2 licenses\./);

    await page.getByLabel('Response file', { exact: true }).setInputFiles(response);
    await page.getByRole('button', { name: 'Import response' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('RESPONSE_STALE');
    expect((await local.status()).allocationVersion).toBe(2);

    // The license numbers selector narrows the tables to one license.
    await menu('Overview');
    await expect.poll(() => page.locator('#license-select option').count()).toBe(3);
    await page.getByLabel('License numbers').selectOption(exportLicense);
    await expect.poll(() => page.locator('#components tbody tr').evaluateAll((rows) => rows.length)).toBe(2);
    expect(await page.locator('#components tbody th').allTextContents()).toEqual(['Base', 'Export']);
    await page.getByLabel('License numbers').selectOption('');
  });

  it('shows who holds what, force-releases a floating lease (not a checkout), and the tables follow', async () => {
    const chartBefore = (await historyAvailable()) ? await analysisChartSummary() : undefined;
    const ann = (await lease({ components: ['Analysis'], user: 'ann', computer: 'ws-ann' })).lease;
    await lease({ components: ['Base'], user: 'bob', computer: 'ws-bob' });
    await lease({ components: ['Analysis'], user: 'cat', computer: 'laptop-cat', hours: 8 }, '/v1/checkouts');

    await menu('Overview');
    await page.getByRole('button', { name: 'Refresh' }).click();
    await expect.poll(() => page.locator('#users tbody tr').count()).toBe(3);
    expect(await cell('Analysis', 'inUse').textContent()).toBe('2');
    expect(await cell('Analysis', 'free').textContent()).toBe('0');
    // bob's Base seat may come from either license (the server picks the first that can serve).
    const baseInUse = (await cell('Base', 'inUse').allTextContents()).map(Number);
    expect(baseInUse.reduce((a, b) => a + b, 0)).toBe(3);
    const checkoutRow = page.locator('#users tbody tr', { hasText: 'cat' });
    expect(await checkoutRow.textContent()).toContain('Checkout');
    expect(await checkoutRow.getByRole('button').count()).toBe(0);
    if (takeScreenshots)
      await page.screenshot({ path: join(SCREENSHOTS, 'manager-main.png'), fullPage: true });

    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Release the lease of ann on ws-ann' }).click();
    await expect.poll(() => page.locator('#users tbody tr').count()).toBe(2);
    expect(await page.getByRole('status').filter({ hasText: 'Released the lease of ann' }).count()).toBe(1);
    expect(await cell('Analysis', 'inUse').textContent()).toBe('1');
    const audit = await local.run(['audit', '--action', 'lease.force-released']);
    expect(
      audit.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line)),
    ).toEqual([expect.objectContaining({ action: 'lease.force-released', leaseId: ann.id, user: 'ann' })]);

    if (chartBefore !== undefined) {
      await menu('Usage history');
      // ann's lease and cat's checkout hold both Analysis seats of the first license.
      await expect.poll(() => analysisChartSummary()).not.toBe(chartBefore);
      expect(chartBefore).toMatch(/highest use 0 of 2/);
      expect(await analysisChartSummary()).toMatch(
        /highest use 2 of 2 .*, 0 denied requests over 24 hours\.$/,
      );
    }
  });

  async function analysisChartSummary(): Promise<string> {
    await menu('Usage history');
    await page.getByLabel('Period').selectOption('1');
    const summary = page.locator('figure.chart[data-component="Analysis"] .chart-summary');
    await expect.poll(() => summary.textContent()).toContain('over 24 hours');
    return (await summary.textContent()) ?? '';
  }

  it('shows the usage chart with a text alternative, or an empty state on a server without history', async () => {
    await menu('Usage history');
    if (await historyAvailable()) {
      const chart = page.locator('figure.chart[data-component="Analysis"]').first();
      await chart.waitFor();
      expect(await chart.getByRole('img').getAttribute('aria-labelledby')).toBeTruthy();
      expect(await chart.locator('svg rect.bar').count()).toBeGreaterThan(0);
      await chart.getByText('Show the numbers as a table').click();
      expect(await chart.getByRole('table').locator('tbody tr').count()).toBeGreaterThan(0);
      await chart.getByText('Show the numbers as a table').click();
      if (takeScreenshots) await page.screenshot({ path: join(SCREENSHOTS, 'manager-history.png') });
    } else {
      await expect.poll(() => page.locator('#history-empty').count()).toBe(1);
    }
  });

  it('filters the audit log by action and exports it as CSV', async () => {
    await menu('Audit log');
    await page.getByLabel('Action').selectOption('lease.force-released');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await expect.poll(() => page.locator('#audit tbody tr').count()).toBe(1);
    expect(await page.locator('#audit tbody tr').textContent()).toContain('ann');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export CSV' }).click(),
    ]);
    const csv = join(files, 'audit.csv');
    await download.saveAs(csv);
    const lines = readFileSync(csv, 'utf8').trim().split('\r\n');
    expect(lines[0]).toBe('at,action,leaseId,licenseNumber,user,computer,code,detail');
    expect(lines.slice(1)).toEqual([expect.stringMatching(/,lease\.force-released,.*,ann,ws-ann,/)]);

    await page.getByLabel('Action').selectOption('sync.auto');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await expect
      .poll(() => page.locator('#audit tbody tr').first().textContent())
      .toContain('automatic sync daily');
  });

  it('runs a diagnosis that passes each link', async () => {
    await menu('Diagnose');
    await page.getByRole('button', { name: 'Run diagnosis' }).click();
    await page.locator('#diagnose-summary').waitFor({ timeout: 30_000 });
    expect(await page.locator('#diagnose-summary').textContent()).toContain('Every link works');
    expect(await page.locator('#diagnose-steps .pill-failed').count()).toBe(0);
  });

  it('changes the password; the other sessions end (or, on a server without the route, shows its error)', async () => {
    const other = await browser.newContext();
    const login = await other.request.post(url('/v1/admin/session'), { data: { user: 'admin', password } });
    expect(login.status()).toBe(200);
    expect((await other.request.get(url('/v1/admin/status'))).status()).toBe(200);

    await menu('Change password');
    await page.getByLabel('Current password').fill(password);
    await page.getByLabel(/^New password \(at least/).fill('a new password 2027');
    await page.getByLabel('New password again').fill('a new password 2026');
    expect(await page.getByText('The two new passwords differ.').count()).toBe(1);
    expect(await page.getByRole('button', { name: 'Change password' }).isDisabled()).toBe(true);
    await page.getByLabel('New password again').fill('a new password 2027');
    await page.getByRole('button', { name: 'Change password' }).click();
    const routeExists = await page.evaluate(
      async () => (await fetch('/v1/admin/password', { method: 'PUT' })).status !== 404,
    );
    if (routeExists) {
      await expect
        .poll(() => page.getByRole('status').allTextContents())
        .toContain('The password is changed; other sessions have ended.');
      expect((await other.request.get(url('/v1/admin/status'))).status()).toBe(401);
      password = 'a new password 2027';
    } else {
      await expect.poll(() => page.getByRole('alert').textContent()).toContain('NOT_FOUND');
    }
    await other.close();
  });

  it('labels every form control, and a page opened from the keyboard takes the focus to its heading', async () => {
    const pagesByKeyboard = [
      'Overview',
      'Automatic Synchronization',
      'Sync via file',
      'Proxy',
      'Usage history',
      'Audit log',
      'Change password',
    ];
    for (const name of pagesByKeyboard) {
      await page.getByRole('navigation').getByRole('link', { name, exact: true }).focus();
      await page.keyboard.press('Enter');
      // Runs in the page: the root tsconfig has no DOM types.
      const focused = () =>
        page.evaluate(() => {
          const active = (globalThis as any).document.activeElement;
          return `${active?.tagName}:${active?.textContent}`;
        });
      await expect.poll(focused).toBe(`H2:${name}`);
      const unlabeled = await page.evaluate(() =>
        [...(globalThis as any).document.querySelectorAll('main input, main select, main textarea')]
          .filter((control: any) => control.labels.length === 0 && !control.getAttribute('aria-label'))
          .map((control: any) => control.id || control.outerHTML),
      );
      expect(unlabeled, name).toEqual([]);
    }
  });

  it('logs out; the admin API then refuses the old session, and no page broke the CSP', async () => {
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('button', { name: 'Log in' }).waitFor();
    expect(await page.evaluate(async () => (await fetch('/v1/admin/status')).status)).toBe(401);
    expect(problems.filter((p) => !p.startsWith('Failed to load resource'))).toEqual([]);
  });

  // Last: it locks logins from 127.0.0.1 for a minute.
  it('tells how long to wait once failed logins hit the limit', async () => {
    await page.getByRole('button', { name: 'Log in' }).waitFor();
    const banner = page.getByRole('alert');
    for (let attempt = 0; attempt < 6; attempt++) {
      await page.getByLabel('Password').fill(`wrong password ${attempt}`);
      await page.getByRole('button', { name: 'Log in' }).click();
      await expect.poll(() => page.getByRole('button', { name: 'Log in' }).isEnabled()).toBe(true);
    }
    await expect.poll(() => banner.textContent()).toContain('SERVER_ADMIN_LOGIN_LIMITED');
    expect(await banner.textContent()).toMatch(/Fix: Try again in \d+ s\./);
  });
});
