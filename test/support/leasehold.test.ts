import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generatePartyKeys, serializeVendorPublicKeys } from '@leasehold/protocol';
import { describe, expect, it } from 'vitest';
import { daemon, leasehold, listeningLine, tempDir, untilReady } from './leasehold.ts';

/** A stand-in program: writes `chunks` to stdout one by one, then exits with `code` or stays up. */
function program(chunks: string[], code?: number) {
  const script = `
    const chunks = ${JSON.stringify(chunks)};
    (function next() {
      if (chunks.length) { process.stdout.write(chunks.shift()); setTimeout(next, 20); }
      else if (${code === undefined ? 'false' : 'true'}) process.exit(${code ?? 0});
      else setInterval(() => {}, 1000);
    })();`;
  return spawn(process.execPath, ['-e', script]);
}

const log = (msg: string) => `${JSON.stringify({ level: 30, time: 1, pid: 1, hostname: 'h', msg })}\n`;

describe('daemon(): waits for the ready line, not the first JSON line', () => {
  it('skips log lines, and a ready line cut across writes, until the whole ready line', async () => {
    const ready = JSON.stringify({ listening: 4321, url: 'http://127.0.0.1:4321' });
    const running = await untilReady(
      program([
        log('opening'),
        log('Server listening at http://127.0.0.1:4321'),
        ready.slice(0, 9),
        `${ready.slice(9)}\n`,
      ]),
      'stand-in',
      listeningLine,
    );
    try {
      expect(running.info).toEqual({ listening: 4321, url: 'http://127.0.0.1:4321' });
    } finally {
      await running.stop();
    }
  });

  it('fails clearly, with what the program said, when it exits before its ready line', async () => {
    await expect(
      untilReady(program([log('starting'), 'not json\n'], 3), 'stand-in', listeningLine),
    ).rejects.toThrow(/stand-in exited \(code 3\) before its ready line: .*starting[\s\S]*not json/);
  });

  it('fails when the program never prints it, and stops the program', async () => {
    const child = program([log('waiting')]);
    await expect(untilReady(child, 'stand-in', listeningLine, 500)).rejects.toThrow(
      /no ready line from stand-in/,
    );
    await expect.poll(() => child.exitCode !== null || child.signalCode !== null).toBe(true);
  });

  it('starts `server serve` at log level info, whose log lines share stdout with the ready line', async () => {
    const dir = tempDir('ready-line');
    const vendorKeys = join(dir, 'vendor-public-keys.json');
    writeFileSync(vendorKeys, await serializeVendorPublicKeys(await generatePartyKeys()));
    const init = await leasehold([
      'server',
      'init',
      '--data-dir',
      join(dir, 'server'),
      '--id',
      'LS-AAAA-BBBB-CCCC',
      '--central-url',
      'http://127.0.0.1:1',
      '--plain-http-central',
      '--vendor-keys',
      vendorKeys,
      '--plain-http',
      '--json',
    ]);
    expect(init.code, init.stderr).toBe(0);
    const running = await daemon(
      ['server', 'serve', '--data-dir', join(dir, 'server'), '--port', '0', '--host', '127.0.0.1'],
      { LEASEHOLD_LOG_LEVEL: 'info' },
    );
    try {
      expect(running.info).toEqual({ listening: expect.any(Number), url: expect.any(String) });
      // pino's log lines and the ready line share stdout; which comes first is up to the two writers,
      // so the ready line was found among log lines, whatever their order.
      const jsonLines = running
        .output()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l));
      expect(jsonLines).toContainEqual(expect.objectContaining({ level: 30, msg: expect.any(String) }));
      expect((await fetch(`${running.info.url}/healthz`)).status).toBe(200);
    } finally {
      await running.stop();
    }
  });
});
