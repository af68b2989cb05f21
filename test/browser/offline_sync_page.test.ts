import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/browser.ts';
import { tempDir } from '../support/leasehold.ts';
import { type LocalServerHandle, World } from '../support/world.ts';

describe('the offline sync page of the central server, in Chromium (S5, C2)', () => {
  let world: World;
  let browser: Browser;
  let server: LocalServerHandle;
  const files = tempDir('page');

  beforeAll(async () => {
    world = await World.start();
    const id = await world.createServerId();
    await world.addLicense(id, '--component', 'Viewer=4');
    server = await world.localServer(id);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await world?.stop();
  });

  async function upload(requestFile: string) {
    const page = await browser.newPage({ acceptDownloads: true });
    await page.goto(`http://127.0.0.1:${world.ports.primary}/sync`);
    expect(await page.title()).toContain('synchronize a license server by file');
    await page.setInputFiles('#request', requestFile);
    return page;
  }

  it('turns an uploaded request file into a response file the local server imports', async () => {
    const request = join(files, 'request.txt');
    expect((await server.run(['sync', 'export', '--out', request])).code).toBe(0);
    const page = await upload(request);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#submit')]);
    expect(download.suggestedFilename()).toBe('leasehold-sync-response.txt');
    const response = join(files, 'response.txt');
    await download.saveAs(response);
    expect(readFileSync(response, 'utf8')).toMatch(/^-----BEGIN LEASEHOLD SYNC RESPONSE-----/);
    expect(await page.locator('#result').textContent()).toContain('The response file is ready');

    const imported = await server.run(['sync', 'import', response, '--json']);
    expect(imported.code, imported.stderr).toBe(0);
    const status = await server.status();
    expect(status).toMatchObject({ synchronized: true });
    expect(status.licenses[0].components.map((c: { name: string }) => c.name)).toEqual(['Base', 'Viewer']);
    await page.close();
  });

  it('shows the error code when the same request file is uploaded again', async () => {
    const page = await upload(join(files, 'request.txt'));
    await page.click('#submit');
    await page.waitForSelector('#result.error');
    expect(await page.locator('#result').textContent()).toMatch(/^REQUEST_REPLAYED: /);
    await page.close();
  });
});
