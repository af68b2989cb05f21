import { join } from 'node:path';
import { freshPgliteFolder } from '../../packages/central/src/test-support/pgliteTemplate.ts';
import { type Daemon, daemon, leasehold, tempDir } from './leasehold.ts';

/**
 * A vendor with a running central server and helpers for local servers, all through the real
 * `leasehold` program: the setup every scenario starts from.
 */
export class World {
  readonly root = tempDir('world');
  readonly centralDir = join(this.root, 'central');
  central!: Daemon;
  env: NodeJS.ProcessEnv = {};

  static async start(options: { databaseUrl?: string; initArgs?: string[] } = {}): Promise<World> {
    const world = new World();
    // An empty PGlite cluster copied in place: `central init` then only migrates it (no initdb).
    if (!options.databaseUrl) await freshPgliteFolder(join(world.centralDir, 'db'));
    const init = await world.vendor([
      'init',
      '--host',
      '127.0.0.1',
      ...(options.databaseUrl ? ['--database-url', options.databaseUrl] : []),
      ...(options.initArgs ?? []),
      ...(options.initArgs?.includes('--tls-cert') ? [] : ['--plain-http']),
      '--json',
    ]);
    if (init.code !== 0) throw new Error(`central init failed: ${init.stderr}`);
    await world.startCentral();
    return world;
  }

  async startCentral(): Promise<void> {
    this.central = await daemon(
      ['central', 'serve', '--data-dir', this.centralDir, '--port', '0', '--fallback-port', '0'],
      this.env,
    );
  }

  get ports(): { primary: number; fallback: number } {
    return this.central.info.listening;
  }

  get vendorKeysFile(): string {
    return join(this.centralDir, 'vendor-public-keys.json');
  }

  vendor(args: string[], env: NodeJS.ProcessEnv = {}) {
    return leasehold(['central', ...args, '--data-dir', this.centralDir], { ...this.env, ...env });
  }

  async createServerId(customer = 'Example Customer'): Promise<string> {
    const created = await this.vendor(['server-id', 'create', '--customer', customer, '--json']);
    if (created.code !== 0) throw new Error(created.stderr);
    return created.json.id;
  }

  async addLicense(id: string, ...flags: string[]) {
    const added = await this.vendor([
      'license',
      'add',
      '--server-id',
      id,
      '--expiry',
      '2030-12-31',
      '--component',
      'Base=10',
      ...flags,
      '--json',
    ]);
    if (added.code !== 0) throw new Error(added.stderr);
    return added.json;
  }

  /** Initializes a local server in its own folder; `ports` defaults to the central's two ports. */
  async localServer(
    id: string,
    options: { name?: string; ports?: number[]; centralUrl?: string; initArgs?: string[] } = {},
  ) {
    const dataDir = join(this.root, options.name ?? 'server');
    const ports = options.ports ?? [this.ports.primary, this.ports.fallback];
    const centralUrl = options.centralUrl ?? 'http://127.0.0.1';
    const init = await leasehold(
      [
        'server',
        'init',
        '--data-dir',
        dataDir,
        '--id',
        id,
        '--central-url',
        centralUrl,
        '--central-ports',
        ports.join(','),
        '--vendor-keys',
        this.vendorKeysFile,
        ...(options.initArgs ?? []),
        // Plain HTTP only by explicit choice (S5, L0; docs/architecture.md, departure 7): the scenarios on loopback make that choice.
        ...(centralUrl.startsWith('http:') ? ['--plain-http-central'] : []),
        ...(options.initArgs?.includes('--tls-cert') ? [] : ['--plain-http']),
        '--json',
      ],
      this.env,
    );
    if (init.code !== 0) throw new Error(`server init failed: ${init.stderr}`);
    return new LocalServerHandle(dataDir, init.json.serverKeyId, this);
  }

  async stop(): Promise<void> {
    await this.central?.stop();
  }
}

export class LocalServerHandle {
  readonly dataDir: string;
  readonly serverKeyId: string;
  private readonly world: World;

  constructor(dataDir: string, serverKeyId: string, world: World) {
    this.dataDir = dataDir;
    this.serverKeyId = serverKeyId;
    this.world = world;
  }

  run(args: string[], env: NodeJS.ProcessEnv = {}) {
    return leasehold(['server', ...args, '--data-dir', this.dataDir], { ...this.world.env, ...env });
  }

  sync(env: NodeJS.ProcessEnv = {}) {
    return this.run(['sync', '--json'], env);
  }

  async status(env: NodeJS.ProcessEnv = {}) {
    const result = await this.run(['status', '--json'], env);
    if (result.code !== 0) throw new Error(result.stderr);
    return result.json;
  }
}
