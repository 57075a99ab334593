// A TCP proxy in front of a node that cuts its first connection(s) once the
// client has sent a number of bytes on it: an upload broken by the network
// in the middle of its body. Small requests (the tracker's calls, HEADs)
// pass untouched.
import { connect, createServer, type Server, type Socket } from 'node:net';
import { listen } from '../../common/http.js';

export interface UploadCutProxy {
  url: string;
  port: number;
  setTarget(port: number): void;
  /** Cuts the next connection that carries more than `afterBytes` request bytes (once). */
  cutNext(afterBytes: number): void;
  cuts(): number;
  close(): Promise<void>;
}

export async function startUploadCutProxy(): Promise<UploadCutProxy> {
  let target: number | undefined;
  let cuts = 0;
  let armed: number | undefined;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    if (target === undefined) {
      client.destroy();
      return;
    }
    const upstream = connect(target, '127.0.0.1');
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    let sent = 0;
    let cutting = false;
    client.on('data', (b: Buffer) => {
      if (cutting) return;
      sent += b.length;
      if (armed !== undefined && sent > armed) {
        const limit = armed;
        armed = undefined;
        cutting = true;
        cuts++;
        // Forward what fits, then drop both sides: the client sees a reset mid-body.
        const keep = b.subarray(0, Math.max(0, b.length - (sent - limit)));
        upstream.write(keep, () => {
          upstream.destroy();
          client.destroy();
        });
        return;
      }
      if (!upstream.write(b)) client.pause();
    });
    upstream.on('drain', () => client.resume());
    upstream.pipe(client);
    client.on('end', () => upstream.end());
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  const port = await listen(server, 0, '127.0.0.1');
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    setTarget: (p) => (target = p),
    cutNext: (n) => (armed = n),
    cuts: () => cuts,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
