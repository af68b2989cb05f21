import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Exchange = { request: string; response: string; status: number; contentType: string };
export type Tamper = (
  request: string,
  forward: () => Promise<Exchange>,
) => Promise<{ body: string; status?: number; contentType?: string }>;

/**
 * A man in the middle on loopback between a local server and the central server: it forwards sync
 * requests, records every exchange, and lets a test substitute what goes back.
 */
export class SyncRelay {
  readonly exchanges: Exchange[] = [];
  tamper: Tamper | undefined;
  #server!: Server;
  port = 0;

  private readonly centralPort: number;

  constructor(centralPort: number) {
    this.centralPort = centralPort;
  }

  async start(): Promise<this> {
    this.#server = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const request = Buffer.concat(chunks).toString('utf8');
      const forward = async (): Promise<Exchange> => {
        const answer = await fetch(`http://127.0.0.1:${this.centralPort}/v1/sync`, {
          method: 'POST',
          headers: { 'content-type': 'application/jose' },
          body: request,
        });
        const exchange = {
          request,
          response: await answer.text(),
          status: answer.status,
          contentType: answer.headers.get('content-type') ?? '',
        };
        this.exchanges.push(exchange);
        return exchange;
      };
      const out = this.tamper
        ? await this.tamper(request, forward)
        : await forward().then((e) => ({ body: e.response, status: e.status, contentType: e.contentType }));
      res.writeHead(out.status ?? 200, { 'content-type': out.contentType ?? 'application/jose' });
      res.end(out.body);
    });
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.port = (this.#server.address() as AddressInfo).port;
    return this;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}
