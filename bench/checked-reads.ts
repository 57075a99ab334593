// What checking every chunk before it is served costs a download, in one
// process so that all sides share the machine's load: three node servers on
// the same blob, one with checks off (a verifier that trusts every chunk:
// the behaviour before checked reads), one with the verified cache warm, one
// hashing every chunk on every read (verifyCacheTtl 0). curl downloads from
// them in turn over loopback; then the scrub's hashing rate through the store.
//
//   npm run build && node dist/bench/checked-reads.js [MiB=256] [rounds=8]
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import type http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../common/config.js';
import { listen } from '../common/http.js';
import { KeyedLock } from '../common/keyed-lock.js';
import { createLogger } from '../common/log.js';
import { signUrl } from '../common/sign.js';
import { ChunkVerifier } from '../node/store/chunk-verifier.js';
import { NODE_SPEC } from '../node/config.js';
import { assembleNode } from '../node/compose.js';
import { integrityParts } from '../node/integrity/setup.js';
import { FileChunkStore } from '../node/store/file-chunk-store.js';

const MiB = Number(process.argv[2] ?? 256);
const rounds = Number(process.argv[3] ?? 8);
const SECRET = 'bench-secret-0123456789';
const piece = randomBytes(1 << 20);

class TrustAll extends ChunkVerifier {
  override async check() {
    return { ok: true, cached: true, bytes: 0 };
  }
}

interface Side {
  url: string;
  dir: string;
  server: http.Server;
  store: FileChunkStore;
  id: string;
}

async function serve(verifier: ChunkVerifier): Promise<Side> {
  const dir = await mkdtemp(join(tmpdir(), 'hoard-bench-reads-'));
  const store = new FileChunkStore({ dir, chunkSize: 8 << 20, verifier });
  await store.open();
  const w = await store.begin();
  for (let i = 0; i < MiB; i++) {
    const wait = w.write(Buffer.from(piece));
    if (wait) await wait;
  }
  const { manifest } = await w.publish();
  // A node assembled over this store (its verifier is the one under test); no tracker behind it.
  const log = createLogger('bench', 'silent');
  const refuse = () => Promise.reject(new Error('no tracker here'));
  const copies = { reportBad: refuse, held: refuse };
  const tracker = { register: refuse, heartbeat: refuse, commit: refuse, verifyProof: refuse, commitProven: refuse, replaceFollower: refuse };
  const config = loadConfig(NODE_SPEC, { tracker: 'http://127.0.0.1:9', data: dir, secret: SECRET, id: 'bench', reserve: 0 }, undefined, {});
  const parts = integrityParts({ nodeId: 'bench', log, copies, locks: new KeyedLock(), signal: new AbortController().signal, settings: { scrubRate: 0, orphanGraceMs: 0, quarantineKeepMs: 0 }, verifyCacheTtlS: 0 });
  const { server } = await assembleNode(config, { log, nodeId: 'bench', store, integrity: parts.assemble(store), tracker, copies });
  const port = await listen(server, 0, '127.0.0.1');
  const url = signUrl(SECRET, `http://127.0.0.1:${port}/blob/${manifest.id}`, { verb: 'GET', resource: manifest.id, exp: Math.floor(Date.now() / 1000) + 3600, extra: '' });
  return { url, dir, server, store, id: manifest.id };
}

function curlMBps(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const p = spawn('curl', ['-s', '-o', '/dev/null', '-w', '%{speed_download}', url]);
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.on('error', reject);
    p.on('close', () => resolve(Number(out) / 1e6));
  });
}

const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;

const sides: Record<string, Side> = {
  'checks off': await serve(new TrustAll({ ttlMs: 0 })),
  'checked, cache warm': await serve(new ChunkVerifier({ ttlMs: 600_000 })),
  'checked, no cache': await serve(new ChunkVerifier({ ttlMs: 0 })),
};
for (const s of Object.values(sides)) await curlMBps(s.url); // page cache, and the verified cache
const got: Record<string, number[]> = Object.fromEntries(Object.keys(sides).map((k) => [k, []]));
for (let r = 0; r < rounds; r++) for (const [k, s] of Object.entries(sides)) got[k]!.push(await curlMBps(s.url));
const base = median(got['checks off']!);
console.log(`downloads of ${MiB} MiB, 8 MiB chunks, curl over loopback, ${rounds} rounds; load average ${(await import('node:os')).loadavg()[0]!.toFixed(2)}`);
for (const [k, v] of Object.entries(got)) {
  console.log(`  ${k.padEnd(20)} median ${median(v).toFixed(0).padStart(5)} MB/s (${Math.min(...v).toFixed(0)}–${Math.max(...v).toFixed(0)})  ×${(median(v) / base).toFixed(2)}`);
}
const scrub = sides['checked, no cache']!;
const rates: number[] = [];
for (let r = 0; r < 3; r++) {
  const t0 = performance.now();
  const check = await scrub.store.verify(scrub.id, { force: true });
  rates.push((check?.bytes ?? 0) / 1e6 / ((performance.now() - t0) / 1000));
}
console.log(`  scrub hashing (unthrottled, page cache warm): median ${median(rates).toFixed(0)} MB/s`);
for (const s of Object.values(sides)) {
  s.server.closeAllConnections();
  s.server.close();
  await rm(s.dir, { recursive: true, force: true });
}
