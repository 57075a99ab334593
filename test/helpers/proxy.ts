// A TCP proxy that forwards to a target port and cuts its first connection(s)
// after a number of response bytes (a real network fault in the middle of a
// download), or after a silence (a proxy's idle timeout). It also records
// the request heads it forwarded.
import { createServer, connect, type Server, type Socket } from 'node:net';
import { listen } from '../../common/http.js';

export interface ProxiedRequest {
  connection: number;
  method: string;
  path: string;
  range: string | undefined;
}

export interface CutProxy {
  port: number;
  url: string;
  /** Where new connections go; may be set after the proxy listens. */
  setTarget(port: number): void;
  /** Request heads seen, in order. */
  readonly requests: ProxiedRequest[];
  /** Connections cut so far. */
  cuts(): number;
  /** Bytes of response forwarded per connection. */
  readonly bytesDown: number[];
  close(): Promise<void>;
}

export interface CutProxyOptions {
  target?: number;
  /** Bytes of response let through before the connection is cut. */
  cutAfterBytes: number;
  /** How many connections (the first ones) are cut; later ones pass untouched. */
  cutConnections?: number;
  /** Cut any connection silent this long both ways, as a reverse proxy's idle timeout does. */
  idleCutMs?: number;
}

const REQUEST_HEAD = /(GET|HEAD|PUT|POST) (\S+) HTTP\/1\.[01]\r\n([\s\S]*?)\r\n\r\n/g;

export async function startCutProxy(opts: CutProxyOptions): Promise<CutProxy> {
  let target = opts.target;
  const cutConnections = opts.cutConnections ?? 1;
  const requests: ProxiedRequest[] = [];
  const bytesDown: number[] = [];
  const sockets = new Set<Socket>();
  let connections = 0;
  let cuts = 0;

  const server: Server = createServer((client) => {
    const n = connections++;
    bytesDown[n] = 0;
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    if (target === undefined) {
      client.destroy();
      return;
    }
    const upstream = connect(target, '127.0.0.1');
    sockets.add(upstream);
    if (opts.idleCutMs !== undefined) {
      // Bytes either way go through `client`, so its timer sees all traffic.
      client.setTimeout(opts.idleCutMs, () => {
        cuts++;
        upstream.destroy();
        client.destroy();
      });
    }
    upstream.on('close', () => sockets.delete(upstream));
    let seen = '';
    client.on('data', (b: Buffer) => {
      // Request heads only matter for assertions; keep a bounded window.
      seen += b.toString('latin1');
      REQUEST_HEAD.lastIndex = 0;
      let m: RegExpExecArray | null;
      let consumed = 0;
      while ((m = REQUEST_HEAD.exec(seen))) {
        const range = /^range:\s*(.+)$/im.exec(m[3]!)?.[1]?.trim();
        requests.push({ connection: n, method: m[1]!, path: m[2]!, range });
        consumed = REQUEST_HEAD.lastIndex;
      }
      seen = seen.slice(consumed).slice(-65536);
      if (!upstream.write(b)) client.pause();
    });
    upstream.on('drain', () => client.resume());
    client.on('end', () => upstream.end());
    let budget = n < cutConnections ? opts.cutAfterBytes : Infinity;
    upstream.on('data', (b: Buffer) => {
      if (b.length < budget) {
        budget -= b.length;
        bytesDown[n]! += b.length;
        if (!client.write(b)) upstream.pause();
        return;
      }
      const head = b.subarray(0, budget);
      bytesDown[n]! += head.length;
      budget = 0;
      cuts++;
      upstream.pause();
      upstream.destroy();
      // Let the bytes before the cut reach the client, then drop the connection.
      client.write(head, () => client.destroy());
    });
    client.on('drain', () => upstream.resume());
    upstream.on('end', () => client.end());
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });

  const port = await listen(server, 0, '127.0.0.1');
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    setTarget(p: number) {
      target = p;
    },
    requests,
    bytesDown,
    cuts: () => cuts,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
