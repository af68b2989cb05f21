import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * What the proxy does to one connection:
 * - `pass`: forwards both ways (after `latencyMs` per chunk, if set);
 * - `drop`: accepts, then closes at once without a byte;
 * - `reset`: accepts, then resets (RST) at once;
 * - `resetMidResponse`: forwards the request, then resets after `afterBytes` bytes of the answer;
 * - `halfOpen`: accepts and reads, never answers and never closes (a dead peer behind a firewall);
 * - `slowRead`: forwards the answer `bytesPerTick` bytes every `tickMs` (a crawling link);
 * - `duplicate`: forwards, and sends a copy of every byte the client writes on a second connection
 *   whose answer is thrown away (a request the network delivers twice).
 */
export type Fault =
  | { kind: 'pass'; latencyMs?: number }
  | { kind: 'drop' }
  | { kind: 'reset' }
  | { kind: 'resetMidResponse'; afterBytes: number }
  | { kind: 'halfOpen' }
  | { kind: 'slowRead'; bytesPerTick: number; tickMs: number }
  | { kind: 'duplicate' };

/**
 * A fault-injecting TCP proxy on loopback for tests (S5, S9; docs/security.md, Networks): between the local server and
 * the central server, or between an application and the local server. `plan` picks the fault for
 * each new connection (numbered from 0), so a test can fail the first attempt and let a retry pass.
 */
export class FaultProxy {
  port = 0;
  /** Connections accepted so far, and the faults they got. */
  readonly connections: Fault['kind'][] = [];
  plan: (connection: number) => Fault = () => ({ kind: 'pass' });
  #server!: Server;
  readonly #sockets = new Set<Socket>();

  private readonly target: { host?: string; port: number };

  constructor(target: { host?: string; port: number }) {
    this.target = target;
  }

  /**
   * Sets one fault for every connection from now on, and closes the open ones: a client's kept-alive
   * connection would otherwise carry on unharmed.
   */
  always(fault: Fault): this {
    this.plan = () => fault;
    this.disconnectAll();
    return this;
  }

  disconnectAll(): void {
    for (const socket of this.#sockets) socket.destroy();
  }

  async start(): Promise<this> {
    this.#server = createServer((client) => this.#handle(client));
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.port = (this.#server.address() as { port: number }).port;
    return this;
  }

  async stop(): Promise<void> {
    this.disconnectAll();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #track(socket: Socket): Socket {
    this.#sockets.add(socket);
    socket.on('close', () => this.#sockets.delete(socket));
    socket.on('error', () => undefined);
    return socket;
  }

  #handle(client: Socket): void {
    this.#track(client);
    const fault = this.plan(this.connections.length);
    this.connections.push(fault.kind);
    if (fault.kind === 'drop') return void client.end();
    if (fault.kind === 'reset') return void client.resetAndDestroy();
    if (fault.kind === 'halfOpen') return void client.resume();
    const upstream = this.#track(
      createConnection({ host: this.target.host ?? '127.0.0.1', port: this.target.port }),
    );
    const closeBoth = () => {
      client.destroy();
      upstream.destroy();
    };
    upstream.on('error', closeBoth);
    upstream.on('close', () => fault.kind !== 'slowRead' && client.end());
    client.on('close', () => upstream.destroy());

    const latencyMs = fault.kind === 'pass' ? (fault.latencyMs ?? 0) : 0;
    const delayed = (to: Socket) => (chunk: Buffer) => {
      if (latencyMs === 0) to.write(chunk);
      else setTimeout(() => to.writable && to.write(chunk), latencyMs);
    };
    client.on('data', delayed(upstream));
    if (fault.kind === 'duplicate') {
      const copy = this.#track(
        createConnection({ host: this.target.host ?? '127.0.0.1', port: this.target.port }),
      );
      copy.resume();
      client.on('data', (chunk: Buffer) => copy.write(chunk));
      client.on('close', () => copy.end());
    }

    if (fault.kind === 'resetMidResponse') {
      let sent = 0;
      upstream.on('data', (chunk: Buffer) => {
        const room = fault.afterBytes - sent;
        if (room > 0) client.write(chunk.subarray(0, room));
        sent += chunk.length;
        if (sent >= fault.afterBytes) {
          upstream.destroy();
          client.resetAndDestroy();
        }
      });
      return;
    }
    if (fault.kind === 'slowRead') {
      const pending: Buffer[] = [];
      upstream.on('data', (chunk: Buffer) => pending.push(chunk));
      const timer = setInterval(() => {
        const buffered = Buffer.concat(pending.splice(0));
        if (buffered.length === 0) {
          if (upstream.destroyed) client.end();
          return;
        }
        client.write(buffered.subarray(0, fault.bytesPerTick));
        if (buffered.length > fault.bytesPerTick) pending.unshift(buffered.subarray(fault.bytesPerTick));
      }, fault.tickMs);
      client.on('close', () => clearInterval(timer));
      return;
    }
    upstream.on('data', delayed(client));
  }
}
