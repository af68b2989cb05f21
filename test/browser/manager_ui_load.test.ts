import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { launchChromium } from '../support/browser.ts';
import { type Daemon, daemon, leasehold } from '../support/leasehold.ts';
import { LocalServerHandle, World } from '../support/world.ts';

// The page answers within a second when idle; a busy test machine (scrypt, two cores) needs longer.
vi.setConfig({ expect: { poll: { timeout: 15_000, interval: 100 } } });
const DIST_INDEX = fileURLToPath(new URL('../../packages/manager/dist/index.html', import.meta.url));
const WORKERS = 8;
const LOAD_MS = 8_000;

interface Shown {
  components: { component: string; inUse: number; maxUsers: number; free: number }[];
  users: { user: string; components: string[] }[];
}

/** What the page shows right now, read in one go (the DOM cannot change during one evaluate). */
function readPage(page: Page): Promise<Shown> {
  // Runs in the page: the root tsconfig has no DOM types, so the document is reached untyped.
  return page.evaluate(() => {
    const document = (globalThis as any).document;
    const number = (row: any, column: string) =>
      Number(row.querySelector(`td[data-col="${column}"]`)?.textContent ?? Number.NaN);
    const components = [...document.querySelectorAll('#components tbody tr[data-component]')].map(
      (row: any) => ({
        component: row.getAttribute('data-component') ?? '',
        inUse: number(row, 'inUse'),
        maxUsers: number(row, 'maxUsers'),
        free: number(row, 'free'),
      }),
    );
    const users = [...document.querySelectorAll('#users tbody tr[data-lease]')].map((row: any) => ({
      user: row.querySelector('th')?.textContent ?? '',
      components: (row.querySelectorAll('td')[1]?.textContent ?? '').split(', '),
    }));
    return { components, users };
  });
}

/** The invariants of one read: seats within bounds, free seats as the server counts them, one row per seat. */
function expectConsistent(shown: Shown) {
  const base = shown.components.find((c) => c.component === 'Base');
  expect(base).toBeDefined();
  for (const row of shown.components) {
    expect(row.inUse).toBeGreaterThanOrEqual(0);
    expect(row.inUse).toBeLessThanOrEqual(row.maxUsers);
    const baseFree = (base?.maxUsers ?? 0) - (base?.inUse ?? 0);
    expect(row.free).toBe(Math.max(0, Math.min(row.maxUsers - row.inUse, baseFree)));
    const holders = shown.users.filter((u) => u.components.includes(row.component));
    expect(holders.length, `${row.component}: users table rows against in use`).toBe(row.inUse);
  }
}

describe('the Manager main view under a load of clients activating and releasing leases (M2, L2)', () => {
  let world: World;
  let local: LocalServerHandle;
  let serving: Daemon;
  let browser: Browser;
  let page: Page;
  const url = (path: string) => `${serving.info.url}${path}`;

  async function activate(user: string, components: string[]): Promise<string | undefined> {
    const answer = await fetch(url('/v1/leases'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ components, user, computer: `pc-${user}` }),
    });
    const body = (await answer.json()) as any;
    if (answer.status === 201) return body.lease.id;
    // Only a full pool may refuse: anything else is a defect of the test or the server.
    expect(body.error.code).toBe('NO_SEATS_AVAILABLE');
    return undefined;
  }
  const release = (id: string) => fetch(url(`/v1/leases/${id}`), { method: 'DELETE' });

  beforeAll(async () => {
    if (!existsSync(DIST_INDEX)) throw new Error('the Manager UI is not built: run `npm run build`');
    world = await World.start();
    const id = await world.createServerId('Load Customer');
    // Few seats, so that the load fills the pool and is refused now and then.
    const added = await world.vendor([
      'license',
      'add',
      '--server-id',
      id,
      '--expiry',
      '2030-12-31',
      '--component',
      'Base=6',
      '--component',
      'Analysis=3',
      '--json',
    ]);
    expect(added.code, added.stderr).toBe(0);
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
    local = new LocalServerHandle(dataDir, init.json.serverKeyId, world);
    expect((await local.sync()).code).toBe(0);
    serving = await daemon(['server', 'serve', '--data-dir', dataDir, '--port', '0', '--host', '127.0.0.1']);
    browser = await launchChromium();
    page = await browser.newPage();
    await page.goto(url('/manager/'));
    await page.getByLabel('Password').fill(init.json.admin.generatedPassword);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.locator('#components tr[data-component="Base"]').waitFor();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await serving?.stop();
    await world?.stop();
  });

  it('shows consistent numbers at every read, and the final truth once the load stops', async () => {
    const stopAt = Date.now() + LOAD_MS;
    let granted = 0;
    let refused = 0;
    const worker = async (w: number) => {
      for (let i = 0; Date.now() < stopAt; i++) {
        const leaseId = await activate(`u${w}-${i}`, i % 2 === 0 ? ['Analysis'] : ['Base']);
        if (!leaseId) {
          refused++;
          continue;
        }
        granted++;
        await new Promise((done) => setTimeout(done, 20 + ((w * 37 + i * 53) % 180)));
        expect((await release(leaseId)).status).toBe(200);
      }
    };
    const load = Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));

    const reads: Shown[] = [];
    while (Date.now() < stopAt) {
      await page.getByRole('button', { name: 'Refresh' }).click();
      const shown = await readPage(page);
      expectConsistent(shown);
      reads.push(shown);
    }
    await load;
    expect(granted).toBeGreaterThan(20);
    expect(refused).toBeGreaterThan(0);
    expect(reads.length).toBeGreaterThan(10);
    // The page followed the load: it showed seats in use at some reads.
    expect(reads.some((r) => r.users.length > 0)).toBe(true);

    // Three users stay: the page must settle on exactly what the server holds.
    await activate('ann', ['Analysis']);
    await activate('bob', ['Analysis']);
    await activate('cat', ['Base']);
    const truth = await local.run(['components', '--json']);
    expect(truth.code, truth.stderr).toBe(0);
    const expected = truth.json.components.map((c: any) => ({
      component: c.component,
      inUse: c.inUse,
      maxUsers: c.maxUsers,
      free: c.free,
    }));
    expect(expected).toEqual([
      { component: 'Base', inUse: 3, maxUsers: 6, free: 3 },
      { component: 'Analysis', inUse: 2, maxUsers: 3, free: 1 },
    ]);
    await page.getByRole('button', { name: 'Refresh' }).click();
    await expect.poll(async () => (await readPage(page)).components).toEqual(expected);
    const final = await readPage(page);
    expectConsistent(final);
    expect(final.users.map((u) => u.user).sort()).toEqual(['ann', 'bob', 'cat']);

    // The History chart counted every refusal, each on the component it asked for (M4).
    await page.getByRole('navigation').getByRole('link', { name: 'Usage history' }).click();
    await page.getByLabel('Period').selectOption('1');
    const summaries = page.locator('figure.chart .chart-summary');
    await expect
      .poll(async () => (await summaries.allTextContents()).join(' '))
      .toMatch(/over 24 hours.*over 24 hours/);
    const charts = (await summaries.allTextContents()).map((text) => ({
      peak: Number(/highest use (\d+) of (\d+)/.exec(text)?.[1]),
      max: Number(/highest use (\d+) of (\d+)/.exec(text)?.[2]),
      denials: Number(/(\d+) denied request/.exec(text)?.[1]),
    }));
    expect(charts.map((c) => c.max)).toEqual([6, 3]);
    for (const chart of charts) {
      expect(chart.peak).toBeGreaterThan(0);
      expect(chart.peak).toBeLessThanOrEqual(chart.max);
    }
    expect(charts.reduce((sum, c) => sum + c.denials, 0)).toBe(refused);
  });
});
