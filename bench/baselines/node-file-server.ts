// The plain Node baseline server, run as its own process:
//   node dist/bench/baselines/node-file-server.js --root DIR [--hash] [--fsync]
// PUT /<name> streams the body to DIR/<name> (with --hash through MD5 and
// SHA-256 in the same pass, as hoard does; with --fsync flushed to disk before
// the answer). GET /<name> streams the file back. Nothing else: it is the
// floor hoard's extra work is measured against.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import http from 'node:http';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

const NAME_RE = /^\/([A-Za-z0-9._-]{1,200})$/;

function flag(name: string): boolean {
  return process.argv.includes(`--${name}`);
}

function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function hasher(): { t: Transform; digest: () => { md5: string; sha256: string } } {
  const md5 = createHash('md5');
  const sha256 = createHash('sha256');
  const t = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      md5.update(chunk);
      sha256.update(chunk);
      cb(null, chunk);
    },
  });
  return { t, digest: () => ({ md5: md5.digest('hex'), sha256: sha256.digest('hex') }) };
}

function answer(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function handle(root: string, hash: boolean, fsync: boolean, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const m = NAME_RE.exec(req.url ?? '');
  if (!m) return answer(res, 404, { error: 'not found' });
  const path = join(root, m[1]!);
  if (req.method === 'PUT') {
    const out = createWriteStream(path, { flush: fsync });
    if (hash) {
      const h = hasher();
      await pipeline(req, h.t, out);
      return answer(res, 201, { size: out.bytesWritten, ...h.digest() });
    }
    await pipeline(req, out);
    return answer(res, 201, { size: out.bytesWritten });
  }
  if (req.method === 'GET') {
    let size: number;
    try {
      size = (await stat(path)).size;
    } catch {
      return answer(res, 404, { error: 'not found' });
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': size });
    await pipeline(createReadStream(path, { highWaterMark: 1 << 20 }), res);
    return;
  }
  answer(res, 405, { error: 'method not allowed' });
}

function main(): void {
  const root = option('root');
  if (!root) {
    process.stderr.write('usage: node-file-server.js --root DIR [--hash] [--fsync] [--port N]\n');
    process.exit(2);
  }
  const hash = flag('hash');
  const fsync = flag('fsync');
  const server = http.createServer({ requestTimeout: 0 }, (req, res) => {
    handle(root, hash, fsync, req, res).catch((err: Error) => {
      if (!res.headersSent) answer(res, 500, { error: err.message });
      else res.destroy(err);
    });
  });
  server.keepAliveTimeout = 5_000;
  server.listen(Number(option('port') ?? 0), '127.0.0.1', () => {
    const addr = server.address();
    const port = typeof addr === 'object' && addr ? addr.port : 0;
    process.stdout.write(JSON.stringify({ msg: 'listening', port, url: `http://127.0.0.1:${port}`, hash, fsync }) + '\n');
  });
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main();
