// POST /internal/blobs/<id>/copy-from: this node copies a blob from another
// node (replication, repair of a bad copy, rebalance). The bytes stream from
// the source's signed download URL through a chunk writer (the same
// fsync-rename path as an upload), at most `rate` bytes/s, under the blob's
// lock, and become visible only if size, MD5, SHA-256, chunk size and every
// chunk's SHA-256 as the writer computed them match the tracker's manifest.
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { HoardError } from '../../common/protocol/errors.js';
import type { CopyFromAnswer, CopyFromRequest } from '../../common/protocol/integrity.js';
import type { ChunkWriter } from '../store/chunk-store.js';
import { manifestDifference } from '../store/manifest-match.js';
import type { Integrity } from './integrity.js';
import { nodeMetrics } from '../metrics.js';

/** Sleep only when the copy is this far ahead of its rate: fewer, longer pauses. */
const THROTTLE_SLACK_MS = 50;

/** Copies the blob in; `reserve` is the free space the node keeps beyond it. */
export async function copyFrom(integ: Integrity, reserve: number, want: CopyFromRequest): Promise<CopyFromAnswer> {
  const fetched = nodeMetrics.copiesFetched();
  const m = want.manifest;
  try {
    const answer = await integ.locks.run(m.id, () => copyLocked(integ, reserve, want));
    fetched.inc({ result: 'ok' });
    integ.log.info({ blob: m.id, bytes: answer.bytes, ms: answer.ms, created: answer.created }, 'copy fetched from another node');
    return answer;
  } catch (err) {
    fetched.inc({ result: 'failed' });
    throw err;
  }
}

async function copyLocked(integ: Integrity, reserve: number, want: CopyFromRequest): Promise<CopyFromAnswer> {
  const started = integ.now();
  const m = want.manifest;
  const held = await integ.store.get(m.id);
  if (held) {
    const diff = manifestDifference(held.manifest, m);
    if (diff) throw new HoardError('REPLICA_MISMATCH', `the copy already here differs: ${diff}`);
    return { id: m.id, created: false, size: m.size, bytes: 0, ms: integ.now() - started };
  }
  const { freeBytes } = await integ.store.space();
  if (m.size > freeBytes - reserve) throw new HoardError('INSUFFICIENT_STORAGE', `no room for a ${m.size}-byte copy`);

  const writer = await integ.store.begin({ chunkSize: m.chunkSize });
  try {
    const bytes = await fetchInto(want, writer);
    // Checked chunk for chunk, and published as the tracker's manifest: the copy keeps the blob's creation time.
    const { created } = await writer.publishAs(m).catch((err: unknown) => {
      if (err instanceof HoardError && err.code === 'REPLICA_MISMATCH') integ.log.error({ blob: m.id, diff: err.message }, 'copy does not match the manifest; dropped');
      throw err;
    });
    // The good copy replaces any quarantined one.
    await integ.store.dropQuarantined({ id: m.id });
    return { id: m.id, created, size: m.size, bytes, ms: integ.now() - started };
  } catch (err) {
    await writer.abort().catch((e: unknown) => integ.log.error({ err: e }, 'cannot remove an aborted copy'));
    if (err instanceof HoardError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOSPC' || code === 'EDQUOT') throw err;
    throw new HoardError('UPSTREAM_FAILED', `Fetching the copy failed: ${(err as Error).message}`, { cause: err });
  }
}

async function fetchInto(want: CopyFromRequest, writer: ChunkWriter): Promise<number> {
  const size = want.manifest.size;
  const rate = want.rate ?? 0;
  let res: Awaited<ReturnType<typeof request>>;
  try {
    res = await request(want.source, { method: 'GET', headersTimeout: 30_000, bodyTimeout: 60_000 });
  } catch (err) {
    throw new HoardError('UPSTREAM_FAILED', `source unreachable: ${(err as Error).message}`, { cause: err });
  }
  if (res.statusCode !== 200) {
    const text = (await res.body.text().catch(() => '')).slice(0, 200);
    throw new HoardError('UPSTREAM_FAILED', `source answered ${res.statusCode}: ${text}`);
  }
  const started = Date.now();
  let received = 0;
  try {
    for await (const piece of res.body) {
      const buf = piece as Buffer;
      received += buf.length;
      if (received > size) throw new HoardError('REPLICA_MISMATCH', `source sent more than ${size} bytes`);
      const wait = writer.write(buf);
      if (wait) await wait;
      if (rate > 0) {
        const ahead = started + (received / rate) * 1000 - Date.now();
        if (ahead > THROTTLE_SLACK_MS) await sleep(ahead);
      }
    }
  } catch (err) {
    res.body.destroy();
    if (err instanceof HoardError) throw err;
    throw new HoardError('UPSTREAM_FAILED', `copy from the source broke off after ${received} bytes: ${(err as Error).message}`, { cause: err });
  }
  if (received !== size) throw new HoardError('REPLICA_MISMATCH', `source sent ${received} of ${size} bytes`);
  return received;
}
