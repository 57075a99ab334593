// The node's HTTP surface in-process, with a stand-in tracker.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { open, readdir } from 'node:fs/promises';
import { connect } from 'node:net';
import { Readable } from 'node:stream';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { request } from 'undici';
import { RemoteError } from '../../../common/protocol/errors.js';
import type { CommitRequest, CommitResponse, UploadResult } from '../../../common/protocol/types.js';
import { signUploadUrl, signUrl, type UploadBinding } from '../../../common/sign.js';
import { SECRET, standInTracker, startNode as composeAndListen } from './rig.js';
import { metricsAuth } from '../../helpers/http.js';

const CS = 64 * 1024;
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');
const later = () => Math.floor(Date.now() / 1000) + 600;

interface NodeOpts {
  limits?: { maxUploadSize?: number; reserve?: number; minUploadRate?: number; rateWindowMs?: number };
  commit?: (req: CommitRequest) => Promise<CommitResponse>;
}

async function startNode(t: Test, opts: NodeOpts = {}) {
  const { rateWindowMs, ...limits } = opts.limits ?? {};
  const tracker = standInTracker(opts.commit);
  const { node, dir, base, port } = await composeAndListen(t, {
    flags: { chunkSize: CS, maxUploadSize: 1 << 30, reserve: 0, minUploadRate: 0, ...limits },
    tracker: tracker.api,
    rateWindowMs,
  });
  return {
    base,
    port,
    dir,
    store: node.store,
    ctx: node.ctx,
    commits: tracker.commits,
    uploadUrl: (name: string, exp = later(), bind: Partial<UploadBinding> = {}) =>
      signUploadUrl(SECRET, `${base}/upload/${encodeURIComponent(name)}`, name, exp, {
        uploadId: randomBytes(16).toString('base64url'),
        node: node.nodeId,
        size: undefined,
        ...bind,
      }),
    blobUrl: (id: string, name = '', exp = later()) => signUrl(SECRET, `${base}/blob/${id}`, { verb: 'GET', resource: id, exp, extra: name }),
  };
}

async function* pieces(buf: Buffer, size: number) {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}

async function put(url: string, body: Buffer | AsyncIterable<Buffer>, headers: Record<string, string> = {}) {
  const res = await request(url, { method: 'PUT', body: Buffer.isBuffer(body) ? body : Readable.from(body), headers });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

async function get(url: string, headers: Record<string, string> = {}, method: 'GET' | 'HEAD' = 'GET') {
  const res = await request(url, { method, headers });
  const body = Buffer.from(await res.body.arrayBuffer());
  return { status: res.statusCode, headers: res.headers, body };
}

/** Sends raw bytes and returns what came back until the server closed or `until` matched. */
function raw(port: number, send: (sock: import('node:net').Socket) => void, until?: RegExp, timeoutMs = 5_000): Promise<string> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1');
    let got = '';
    const done = () => {
      clearTimeout(timer);
      sock.destroy();
      resolve(got);
    };
    const timer = setTimeout(done, timeoutMs);
    sock.on('data', (d) => {
      got += d.toString('latin1');
      if (until?.test(got)) done();
    });
    sock.on('error', () => undefined);
    sock.on('close', done);
    sock.on('connect', () => send(sock));
  });
}

async function tmpEmpty(dir: string, waitMs = 3_000): Promise<boolean> {
  const until = Date.now() + waitMs;
  for (;;) {
    if ((await readdir(join(dir, 'tmp'))).length === 0) return true;
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
}

t.test('upload then download, whole and in ranges', async (t) => {
  const n = await startNode(t);
  const data = randomBytes(3 * CS + 123);
  const up = await put(n.uploadUrl('résumé final.pdf'), data);
  t.equal(up.status, 201);
  const r = up.json as unknown as UploadResult;
  t.match(r, { id: 'link1', link: 'http://tracker/f/link1', md5: md5(data), sha256: sha256(data), size: data.length, dedup: false });
  t.equal(n.commits.length, 1);
  t.equal(n.commits[0]!.filename, 'résumé final.pdf');
  t.equal(n.commits[0]!.nodeId, 'node-a');
  t.equal(n.commits[0]!.manifest.chunks.length, 4);
  t.ok(existsSync(join(n.dir, 'blobs', r.sha256.slice(0, 2), r.sha256, 'manifest.json')));
  t.ok(await tmpEmpty(n.dir));

  const url = n.blobUrl(r.sha256, 'résumé final.pdf');
  const full = await get(url);
  t.equal(full.status, 200);
  t.ok(full.body.equals(data));
  t.equal(full.headers['accept-ranges'], 'bytes');
  t.equal(full.headers['etag'], `"${r.sha256}"`);
  t.equal(full.headers['content-type'], 'application/octet-stream');
  t.equal(full.headers['cache-control'], 'private');
  t.equal(full.headers['content-length'], String(data.length));
  t.match(full.headers['content-disposition'], /^attachment; filename="r\?sum\? final\.pdf"; filename\*=UTF-8''r%C3%A9sum%C3%A9%20final\.pdf$/);
  t.ok(full.headers['last-modified']);

  const part = await get(url, { range: `bytes=${CS - 5}-${2 * CS + 5}` });
  t.equal(part.status, 206);
  t.equal(part.headers['content-range'], `bytes ${CS - 5}-${2 * CS + 5}/${data.length}`);
  t.ok(part.body.equals(data.subarray(CS - 5, 2 * CS + 6)));

  const suffix = await get(url, { range: 'bytes=-10' });
  t.equal(suffix.status, 206);
  t.ok(suffix.body.equals(data.subarray(data.length - 10)));

  const bad = await get(url, { range: `bytes=${data.length}-` });
  t.equal(bad.status, 416);
  t.equal(bad.headers['content-range'], `bytes */${data.length}`);
  t.equal(JSON.parse(bad.body.toString()).error.code, 'RANGE_NOT_SATISFIABLE');

  const stale = await get(url, { range: 'bytes=0-0', 'if-range': '"other"' });
  t.equal(stale.status, 200, 'If-Range mismatch gives the whole blob');
  t.equal(stale.body.length, data.length);

  const head = await get(url, {}, 'HEAD');
  t.equal(head.status, 200);
  t.equal(head.headers['content-length'], String(data.length));
  t.equal(head.body.length, 0);
});

t.test('download refusals', async (t) => {
  const n = await startNode(t);
  const data = randomBytes(100);
  const { json } = await put(n.uploadUrl('a.bin'), data);
  const id = json.sha256 as string;
  const cases: Array<[string, string, number, string]> = [
    ['no signature', `${n.base}/blob/${id}`, 403, 'TOKEN_INVALID'],
    ['expired', n.blobUrl(id, '', Math.floor(Date.now() / 1000) - 5), 403, 'TOKEN_EXPIRED'],
    ['name not covered by the signature', n.blobUrl(id, 'a.bin').replace('name=a.bin', 'name=b.bin'), 403, 'TOKEN_INVALID'],
    ['unknown blob', n.blobUrl(sha256(Buffer.from('nope'))), 404, 'BLOB_NOT_FOUND'],
    ['malformed id', n.blobUrl('xyz'), 404, 'BLOB_NOT_FOUND'],
  ];
  for (const [label, url, status, code] of cases) {
    const r = await get(url);
    t.equal(r.status, status, label);
    t.equal(JSON.parse(r.body.toString()).error.code, code, label);
  }
  const post = await request(n.blobUrl(id), { method: 'POST' });
  await post.body.text();
  t.equal(post.statusCode, 405);
});

t.test('a control character in the name does not break the header', async (t) => {
  const n = await startNode(t);
  const { json } = await put(n.uploadUrl('x.bin'), Buffer.from('x'));
  const r = await get(n.blobUrl(json.sha256 as string, 'evil\r\nset-cookie: a=b.txt'));
  t.equal(r.status, 200);
  t.equal(r.headers['set-cookie'], undefined);
  t.match(r.headers['content-disposition'], /^attachment; filename="evilset-cookie: a=b\.txt"; filename\*=UTF-8''evilset-cookie%3A%20a%3Db\.txt$/);
});

t.test('upload refusals before the body', async (t) => {
  const n = await startNode(t, { limits: { maxUploadSize: 1000 } });
  const small = Buffer.from('hello');
  t.match(await put(n.uploadUrl('a.txt').replace(/sig=[^&]+/, 'sig=bad'), small), { status: 403, json: { error: { code: 'TOKEN_INVALID' } } });
  t.match(await put(n.uploadUrl('a.txt', Math.floor(Date.now() / 1000) - 1), small), { status: 403, json: { error: { code: 'TOKEN_EXPIRED' } } });
  const other = n.uploadUrl('a.txt').replace('/upload/a.txt', '/upload/b.txt');
  t.match(await put(other, small), { status: 403, json: { error: { code: 'TOKEN_INVALID' } } }, 'the name is part of the signature');
  t.match(await put(n.uploadUrl('big.bin'), randomBytes(1001)), { status: 413, json: { error: { code: 'PAYLOAD_TOO_LARGE' } } });
  t.match(await put(n.uploadUrl('x'.repeat(256)), small), { status: 400, json: { error: { code: 'FILENAME_INVALID' } } });
  t.match(await put(`${n.base}/upload/%E0%A4%A?exp=1&sig=x`, small), { status: 400, json: { error: { code: 'FILENAME_INVALID' } } });
  const get405 = await request(n.uploadUrl('a.txt'));
  await get405.body.text();
  t.equal(get405.statusCode, 405);
  t.equal(n.commits.length, 0);
  t.ok(await tmpEmpty(n.dir));
});

t.test('411 without a length', async (t) => {
  const n = await startNode(t);
  const path = new URL(n.uploadUrl('a.txt'));
  const out = await raw(n.port, (s) => s.write(`PUT ${path.pathname}${path.search} HTTP/1.1\r\nHost: x\r\n\r\n`), /\r\n\r\n\{.*\}$/s);
  t.match(out, /^HTTP\/1\.1 411 /);
  t.match(out, /LENGTH_REQUIRED/);
});

t.test('507 when the disk cannot take the declared length', async (t) => {
  const n = await startNode(t);
  const { freeBytes } = await n.store.space();
  // The reserve leaves far less room than the body, with a margin for other
  // test files freeing tens of MiB in the same /tmp meanwhile.
  const n2 = await startNode(t, { limits: { reserve: freeBytes + 1024 ** 3, maxUploadSize: Number.MAX_SAFE_INTEGER } });
  const r = await put(n2.uploadUrl('a.bin'), randomBytes(1000));
  t.equal(r.status, 507);
  t.match(r.json, { error: { code: 'INSUFFICIENT_STORAGE' } });
  t.ok(await tmpEmpty(n2.dir));
});

t.test('Expect: 100-continue', async (t) => {
  const n = await startNode(t);
  const bad = new URL(n.uploadUrl('a.txt').replace(/sig=[^&]+/, 'sig=bad'));
  const refused = await raw(
    n.port,
    (s) => s.write(`PUT ${bad.pathname}${bad.search} HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n`),
    /\}$/,
  );
  t.match(refused, /^HTTP\/1\.1 403 /, 'refused without a 100');
  t.notMatch(refused, /100 Continue/);
  t.match(refused, /TOKEN_INVALID/);

  const good = new URL(n.uploadUrl('a.txt'));
  let sent = false;
  const ok = await raw(
    n.port,
    (s) => {
      s.write(`PUT ${good.pathname}${good.search} HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n`);
      s.on('data', (d) => {
        if (!sent && d.toString().startsWith('HTTP/1.1 100')) {
          sent = true;
          s.write('hello');
        }
      });
    },
    /"dedup":(true|false)\}$/,
  );
  t.match(ok, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 201 /);
  t.equal(n.commits.length, 1);
  t.equal(n.commits[0]!.manifest.sha256, sha256(Buffer.from('hello')));
});

t.test('chunked bodies', async (t) => {
  const n = await startNode(t, { limits: { maxUploadSize: 2 * CS } });
  const data = randomBytes(CS + 500);
  const ok = await put(n.uploadUrl('c.bin'), pieces(data, 10_000));
  t.equal(ok.status, 201);
  t.equal(ok.json.sha256, sha256(data));

  const tooBig = await put(n.uploadUrl('d.bin'), pieces(randomBytes(2 * CS + 1), 10_000)).catch((err: unknown) => err);
  // The answer may or may not reach the client before the socket closes.
  if (tooBig instanceof Error) t.pass('connection cut after the limit: ' + tooBig.message);
  else t.match(tooBig, { status: 413, json: { error: { code: 'PAYLOAD_TOO_LARGE' } } });
  t.ok(await tmpEmpty(n.dir), 'nothing kept');
  t.equal(n.store.count(), 1);
});

t.test('a client that goes away mid-body leaves nothing', async (t) => {
  const n = await startNode(t);
  const u = new URL(n.uploadUrl('gone.bin'));
  await raw(
    n.port,
    (s) => {
      s.write(`PUT ${u.pathname}${u.search} HTTP/1.1\r\nHost: x\r\nContent-Length: ${4 * CS}\r\n\r\n`);
      s.write(randomBytes(CS + 10), () => setTimeout(() => s.destroy(), 50));
    },
    undefined,
    1_000,
  );
  t.ok(await tmpEmpty(n.dir), 'temp dir removed');
  t.equal(n.store.count(), 0);
  t.equal(n.commits.length, 0);
  const after = await put(n.uploadUrl('next.bin'), Buffer.from('still serving'));
  t.equal(after.status, 201);
});

t.test('an upload below the rate floor gets 408', async (t) => {
  const n = await startNode(t, { limits: { minUploadRate: 100_000, rateWindowMs: 400 } });
  const u = new URL(n.uploadUrl('slow.bin'));
  let timer: NodeJS.Timeout | undefined;
  const out = await raw(
    n.port,
    (s) => {
      s.write(`PUT ${u.pathname}${u.search} HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n`);
      timer = setInterval(() => s.write('x'.repeat(100)), 50);
    },
    /\}$/,
    5_000,
  );
  clearInterval(timer);
  t.match(out, /^HTTP\/1\.1 408 /);
  t.match(out, /REQUEST_TIMEOUT/);
  t.ok(await tmpEmpty(n.dir));
  t.equal(n.commits.length, 0);
});

t.test('commit outcomes', async (t) => {
  t.test('tracker down: 502 and the blob is removed', async (t) => {
    const n = await startNode(t, {
      commit: async () => {
        throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      },
    });
    const r = await put(n.uploadUrl('a.bin'), randomBytes(CS * 2));
    t.equal(r.status, 502);
    t.match(r.json, { error: { code: 'UPSTREAM_FAILED' } });
    t.equal(n.store.count(), 0);
    t.same(await readdir(join(n.dir, 'blobs')).then((ps) => Promise.all(ps.map((p) => readdir(join(n.dir, 'blobs', p))))).then((l) => l.flat()), []);
  });

  t.test('tracker error answer: 502 too', async (t) => {
    const n = await startNode(t, {
      commit: async () => {
        throw new RemoteError(401, 'UNAUTHORIZED', 'bad credential');
      },
    });
    const r = await put(n.uploadUrl('a.bin'), randomBytes(10));
    t.equal(r.status, 502);
    t.match(r.json, { error: { code: 'UPSTREAM_FAILED', message: /UNAUTHORIZED/ } });
    t.equal(n.store.count(), 0);
  });

  t.test('dedup held elsewhere: the new copy is dropped', async (t) => {
    const n = await startNode(t, { commit: async () => ({ link: 'l', id: 'linkX', dedup: true, nodes: ['node-b'] }) });
    const r = await put(n.uploadUrl('a.bin'), randomBytes(CS + 1));
    t.equal(r.status, 201);
    t.match(r.json, { dedup: true, id: 'linkX' });
    t.equal(n.store.count(), 0);
  });

  t.test('dedup on this node: the stored copy stays', async (t) => {
    const n = await startNode(t);
    const data = randomBytes(CS + 1);
    t.match(await put(n.uploadUrl('a.bin'), data), { status: 201, json: { dedup: false } });
    t.match(await put(n.uploadUrl('b.bin'), data), { status: 201, json: { dedup: true, id: 'link2' } });
    t.equal(n.store.count(), 1);
    t.equal((await get(n.blobUrl(sha256(data)))).status, 200);
  });

  t.test('concurrent uploads of one content end with one blob', async (t) => {
    const n = await startNode(t);
    const data = randomBytes(2 * CS + 9);
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => put(n.uploadUrl(`f${i}.bin`), data)));
    t.same(results.map((r) => r.status), Array(8).fill(201));
    t.equal(results.filter((r) => r.json.dedup === false).length, 1);
    t.equal(n.store.count(), 1);
    t.ok(await tmpEmpty(n.dir));
  });
});

t.test('health and unknown routes', async (t) => {
  const n = await startNode(t);
  const h = await get(`${n.base}/health`);
  t.equal(h.status, 200);
  t.same(JSON.parse(h.body.toString()), { ok: true, id: 'node-a' });
  const x = await get(`${n.base}/nope`);
  t.equal(x.status, 404);
  t.equal(JSON.parse(x.body.toString()).error.code, 'NOT_FOUND');
  t.equal(n.ctx.stats.inFlight, 0);
});

t.test('CORS: pages of other origins may upload, resume and download; preflight is answered; internal routes grant nothing', async (t) => {
  const n = await startNode(t);
  const origin = { origin: 'https://page.example' };
  const pre = await request(`${n.base}/tus/Qm9fT2x2b1Z4cWxpZ1Exxx`, {
    method: 'OPTIONS',
    headers: { ...origin, 'access-control-request-method': 'PATCH', 'access-control-request-headers': 'tus-resumable, upload-offset, content-type' },
  });
  await pre.body.text();
  t.equal(pre.statusCode, 204);
  t.equal(pre.headers['access-control-allow-origin'], '*');
  t.match(pre.headers['access-control-allow-methods'], /PATCH/);
  t.match(pre.headers['access-control-allow-headers'], /Tus-Resumable/);
  t.match(pre.headers['access-control-allow-headers'], /Upload-Offset/);
  t.match(pre.headers['access-control-allow-headers'], /Hoard-Proof/);
  const putPre = await request(n.uploadUrl('a.bin'), { method: 'OPTIONS', headers: { ...origin, 'access-control-request-method': 'PUT' } });
  await putPre.body.text();
  t.equal(putPre.headers['access-control-allow-methods'], 'PUT');

  const up = await put(n.uploadUrl('a.bin'), Buffer.from('cross-origin'), origin);
  t.equal(up.status, 201);
  t.equal(up.headers['access-control-allow-origin'], '*');
  const down = await get(n.blobUrl(up.json.sha256 as string, 'a.bin'), { ...origin, range: 'bytes=0-4' });
  t.equal(down.status, 206);
  t.equal(down.headers['access-control-allow-origin'], '*');
  t.match(down.headers['access-control-expose-headers'], /Content-Range/);
  t.match(down.headers['access-control-expose-headers'], /Hoard-Link/);
  t.match(down.headers['access-control-expose-headers'], /Upload-Offset/);

  const head = await request(`${n.base}/tus/Qm9fT2x2b1Z4cWxpZ1Exxx`, { method: 'HEAD', headers: { ...origin, 'tus-resumable': '1.0.0' } });
  await head.body.text();
  t.equal(head.statusCode, 404, 'an unknown upload');
  t.equal(head.headers['access-control-allow-origin'], '*', 'errors are readable by the page too');

  const internal = await request(`${n.base}/internal/blobs`, { method: 'OPTIONS', headers: { ...origin, 'access-control-request-method': 'GET' } });
  await internal.body.text();
  t.equal(internal.statusCode, 405, 'no preflight for internal routes');
  t.equal(internal.headers['access-control-allow-origin'], undefined);
});

t.test('CORS: a list of origins grants only those', async (t) => {
  const { base } = await composeAndListen(t, { flags: { corsOrigins: 'https://a.example, https://b.example:8443' } });
  const ask = async (origin: string) => {
    const r = await request(`${base}/tus/Qm9fT2x2b1Z4cWxpZ1Exxx`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'PATCH' } });
    await r.body.text();
    return r.headers['access-control-allow-origin'];
  };
  t.equal(await ask('https://b.example:8443'), 'https://b.example:8443');
  t.equal(await ask('https://c.example'), undefined);
});

t.test('metrics name each route by its pattern, tus included', async (t) => {
  const n = await startNode(t);
  const up = await put(n.uploadUrl('m.bin'), Buffer.from('metrics'));
  await get(n.blobUrl(up.json.sha256 as string));
  const h = await request(`${n.base}/tus/Qm9fT2x2b1Z4cWxpZ1Exxx`, { method: 'HEAD', headers: { 'tus-resumable': '1.0.0' } });
  await h.body.text();
  const text = (await get(`${n.base}/metrics`, metricsAuth(SECRET))).body.toString();
  t.match(text, /hoard_bytes_in_total\{route="\/upload\/\*name"\}/);
  t.match(text, /hoard_bytes_out_total\{route="\/blob\/:id"\}/);
  t.match(text, /hoard_http_request_duration_seconds_count\{route="\/tus\/:id",method="HEAD",status="404"\}/);
});

t.test('a signed upload URL is good for one upload, to its node, of its size', async (t) => {
  const n = await startNode(t);
  const url = n.uploadUrl('once.bin');
  t.match(await put(url, Buffer.from('first')), { status: 201 });
  t.match(await put(url, Buffer.from('second file')), { status: 409, json: { error: { code: 'UPLOAD_URL_USED' } } }, 'used once already');
  t.equal(n.commits.length, 1, 'one commit');

  const elsewhere = n.uploadUrl('x.bin', later(), { node: 'another-node' });
  t.match(await put(elsewhere, Buffer.from('x')), { status: 403, json: { error: { code: 'TOKEN_INVALID' } } }, 'signed for another node');
  const sized = n.uploadUrl('s.bin', later(), { size: 5 });
  t.match(await put(sized, Buffer.from('six by')), { status: 403, json: { error: { code: 'TOKEN_INVALID' } } }, 'another length');
  t.match(await put(sized, Buffer.from('five!')), { status: 201 }, 'the signed length');
  const forged = new URL(n.uploadUrl('f.bin', later(), { size: 5 }));
  forged.searchParams.set('size', '6');
  t.match(await put(forged.toString(), Buffer.from('six by')), { status: 403, json: { error: { code: 'TOKEN_INVALID' } } }, 'size altered in the URL');
  const chunked = n.uploadUrl('c.bin', later(), { size: 5 });
  const tooLong = await put(chunked, pieces(Buffer.from('too long'), 3)).catch((err: unknown) => err);
  // The answer may or may not reach the client before the socket closes.
  if (tooLong instanceof Error) t.pass('connection cut past the signed size: ' + tooLong.message);
  else t.match(tooLong, { status: 413 }, 'a chunked body past the signed size');
  t.match(await put(chunked, pieces(Buffer.from('fine!'), 2)), { status: 201 }, 'a failed upload leaves the URL usable');
});

t.test('a bad first chunk: a reader that came through a link is sent back to it, avoiding this node; others get 503', async (t) => {
  const n = await startNode(t);
  n.ctx.trackerView.learned('http://tracker.example/');
  const flipFirstByte = async (id: string) => {
    const path = join(n.dir, 'blobs', id.slice(0, 2), id, '000000');
    const fh = await open(path, 'r+');
    const b = Buffer.alloc(1);
    await fh.read(b, 0, 1, 0);
    await fh.write(Buffer.from([b[0]! ^ 0xff]), 0, 1, 0);
    await fh.close();
  };
  const linked = randomBytes(2 * CS);
  const id = (await put(n.uploadUrl('a.bin'), linked)).json.sha256 as string;
  await flipFirstByte(id);
  const link = 'Ab-' + 'c'.repeat(19);
  const url = signUrl(SECRET, `${n.base}/blob/${id}`, { verb: 'GET', resource: id, exp: later(), extra: 'a.bin', link });
  const r = await get(url);
  t.equal(r.status, 302);
  t.equal(r.headers.location, `http://tracker.example/f/${link}?download=1&avoid=node-a`);

  const plain = randomBytes(2 * CS);
  const id2 = (await put(n.uploadUrl('b.bin'), plain)).json.sha256 as string;
  await flipFirstByte(id2);
  const r2 = await get(n.blobUrl(id2, 'b.bin'));
  t.equal(r2.status, 503, 'without a link (a copy between nodes) nothing to send the reader back to');
  t.equal((JSON.parse(r2.body.toString()) as { error: { code: string } }).error.code, 'CHUNK_CORRUPT');
});
