// hoard started the way a user starts it (node dist/tracker/main.js,
// node dist/node/main.js), and the user's two flows: upload via
// POST /api/uploads then PUT to the signed node URL, download via /f/<id>
// → 302 → node.
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { UploadResult, UploadTarget } from '../../common/protocol/types.js';
import { BenchClient, getDiscard, postJson, put, type BodySource } from './http-client.js';
import { waitForListening, type Proc, type ProcessRegistry } from './procs.js';
import { msSince } from './stats.js';

export interface Cluster {
  trackerUrl: string;
  nodeUrl: string;
  tracker: Proc;
  node: Proc;
  secretFile: string;
}

export function nodeArgs(root: string, script: 'tracker' | 'node'): string {
  return join(root, 'dist', script, 'main.js');
}

export async function startTracker(procs: ProcessRegistry, root: string, dir: string, secretFile: string, name = 'tracker'): Promise<{ proc: Proc; url: string }> {
  mkdirSync(join(dir, 'data'), { recursive: true });
  const proc = procs.spawn(name, process.execPath, [nodeArgs(root, 'tracker'), '--data', join(dir, 'data'), '--port', '0', '--secret-file', secretFile], join(dir, 'tracker.log'));
  const l = await waitForListening(proc);
  return { proc, url: (l.url ?? `http://127.0.0.1:${l.port}`).replace(/\/$/, '') };
}

/** One tracker and one storage node, ready to take an upload. */
export async function startCluster(procs: ProcessRegistry, root: string, dir: string): Promise<Cluster> {
  mkdirSync(dir, { recursive: true });
  const secretFile = join(dir, 'secret');
  writeFileSync(secretFile, randomBytes(24).toString('hex') + '\n', { mode: 0o600 });
  const t = await startTracker(procs, root, join(dir, 'tracker'), secretFile);
  const nodeDir = join(dir, 'node1');
  mkdirSync(join(nodeDir, 'data'), { recursive: true });
  const node = procs.spawn('node', process.execPath, [nodeArgs(root, 'node'), '--tracker', t.url, '--data', join(nodeDir, 'data'), '--port', '0', '--zone', 'a', '--secret-file', secretFile], join(nodeDir, 'node.log'));
  const nl = await waitForListening(node);
  const nodeUrl = (nl.url ?? `http://127.0.0.1:${nl.port}`).replace(/\/$/, '');
  await waitUntilPlaceable(t.url);
  return { trackerUrl: t.url, nodeUrl, tracker: t.proc, node, secretFile };
}

async function waitUntilPlaceable(trackerUrl: string, timeoutMs = 30_000): Promise<void> {
  const client = new BenchClient(2);
  const deadline = Date.now() + timeoutMs;
  let last = '';
  try {
    while (Date.now() < deadline) {
      try {
        const r = await postJson(client, trackerUrl + '/api/uploads', { filename: 'probe', size: 1 });
        if (r.status === 200) return;
        last = `${r.status} ${JSON.stringify(r.json)}`;
      } catch (err) {
        last = (err as Error).message;
      }
      await sleep(100);
    }
  } finally {
    await client.close();
  }
  throw new Error(`the tracker never offered an upload target (node not registered?): last answer ${last}`);
}

export interface Uploaded {
  result: UploadResult;
  /** From the POST to the tracker until the node's 201 arrived. */
  ms: number;
}

export async function hoardUpload(client: BenchClient, trackerUrl: string, filename: string, src: BodySource): Promise<Uploaded> {
  const started = process.hrtime.bigint();
  const size = 'buffer' in src ? src.buffer.length : src.size + (src.prefix?.length ?? 0);
  const t = await postJson(client, trackerUrl + '/api/uploads', { filename, size });
  if (t.status !== 200) throw new Error(`POST /api/uploads answered ${t.status}: ${JSON.stringify(t.json).slice(0, 300)}`);
  const target = t.json as UploadTarget;
  const r = await put(client, target.url, src);
  if (r.status !== 201) throw new Error(`PUT to the node answered ${r.status}: ${r.text.slice(0, 300)}`);
  return { result: JSON.parse(r.text) as UploadResult, ms: msSince(started) };
}

/** GET /f/<id> at the tracker → the signed node URL from the 302. */
export async function resolveLink(client: BenchClient, link: string): Promise<string> {
  const r = await getDiscard(client, link);
  const loc = r.headers.location;
  if (r.status !== 302 || typeof loc !== 'string') throw new Error(`GET ${link} answered ${r.status}, not a 302 with a Location`);
  return new URL(loc, link).toString();
}

/** The whole download flow: /f/<id>, the redirect, the body (discarded). */
export async function hoardDownload(client: BenchClient, link: string): Promise<{ bytes: number; ms: number }> {
  const started = process.hrtime.bigint();
  const nodeUrl = await resolveLink(client, link);
  const r = await getDiscard(client, nodeUrl);
  if (r.status !== 200) throw new Error(`GET of the node URL answered ${r.status}`);
  return { bytes: r.bytes, ms: msSince(started) };
}

export function linkId(link: string): string {
  return new URL(link).pathname.split('/').pop()!;
}
