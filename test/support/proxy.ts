import { createServer, type IncomingMessage, type Server } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';

export interface ProxyConnect {
  /** `host:port` the client asked to be connected to. */
  target: string;
  /** What the proxy answered: 200 (tunnel opened), 407 (credentials), 502 (target unreachable). */
  status: number;
}

/**
 * A real HTTP CONNECT proxy on loopback, as a corporate proxy would be: it opens a TCP tunnel to
 * whatever `host:port` a client asks for, optionally only with the right Basic credentials, and
 * records every CONNECT so a test can tell that traffic went through it (or did not).
 */
export class ConnectProxy {
  readonly connects: ProxyConnect[] = [];
  readonly #sockets = new Set<Socket>();
  readonly #expected: string | undefined;
  #server!: Server;
  port = 0;

  constructor(credentials?: { username: string; password: string }) {
    this.#expected = credentials
      ? `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`
      : undefined;
  }

  /** Tunnels actually opened. */
  get tunnels(): string[] {
    return this.connects.filter((c) => c.status === 200).map((c) => c.target);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    this.#server = createServer((_req, res) => {
      // Only tunnels: a client that sends a plain proxied request is not what Leasehold should do.
      res.writeHead(405, { 'content-type': 'text/plain' }).end('CONNECT only\n');
    });
    this.#server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) =>
      this.#tunnel(req, client, head),
    );
    this.#server.on('connection', (socket: Socket) => this.#track(socket));
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.port = (this.#server.address() as AddressInfo).port;
    return this;
  }

  #tunnel(req: IncomingMessage, client: Socket, head: Buffer): void {
    const target = req.url ?? '';
    client.on('error', () => {});
    if (this.#expected && req.headers['proxy-authorization'] !== this.#expected) {
      this.connects.push({ target, status: 407 });
      client.end(
        'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\nContent-Length: 0\r\n\r\n',
      );
      return;
    }
    const [host, port] = splitTarget(target);
    const upstream = this.#track(connect(port, host));
    let opened = false;
    upstream.once('connect', () => {
      opened = true;
      this.connects.push({ target, status: 200 });
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.once('error', () => {
      if (opened) return client.destroy();
      this.connects.push({ target, status: 502 });
      client.end('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n');
    });
    client.once('close', () => upstream.destroy());
  }

  #track(socket: Socket): Socket {
    this.#sockets.add(socket);
    socket.once('close', () => this.#sockets.delete(socket));
    return socket;
  }

  stop(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

function splitTarget(target: string): [string, number] {
  const colon = target.lastIndexOf(':');
  const host = target.slice(0, colon).replace(/^\[|\]$/g, '');
  return [host, Number(target.slice(colon + 1))];
}
