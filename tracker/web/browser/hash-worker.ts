// The hashing worker: MD5 and SHA-256 of a file in one pass (hash-wasm),
// reading it slice by slice so a file of any size never sits in memory,
// and the answer to a proof-of-possession challenge. It runs off the page's
// thread, so the page stays responsive while a large file is hashed.
import { createMD5, createSHA256 } from 'hash-wasm';
import { answerChallenge } from './proof.js';
import type { WorkerReply, WorkerRequest } from './worker-messages.js';

/** Bytes read and hashed at a time. */
const SLICE = 8 * 1024 * 1024;

interface WorkerScope {
  onmessage: ((e: MessageEvent<WorkerRequest>) => void) | null;
  postMessage(m: WorkerReply): void;
}
const scope = self as unknown as WorkerScope;

async function hash(id: number, file: File): Promise<void> {
  const [md5, sha256] = await Promise.all([createMD5(), createSHA256()]);
  md5.init();
  sha256.init();
  const read = (at: number) => (at < file.size ? file.slice(at, at + SLICE).arrayBuffer() : undefined);
  // The next slice is read while this one is hashed.
  let next = read(0);
  for (let at = 0; next; at += SLICE) {
    const buf = new Uint8Array(await next);
    next = read(at + SLICE);
    md5.update(buf);
    sha256.update(buf);
    scope.postMessage({ id, kind: 'progress', done: at + buf.length });
  }
  scope.postMessage({ id, kind: 'hashed', md5: md5.digest('hex'), sha256: sha256.digest('hex'), size: file.size });
}

async function prove(id: number, req: Extract<WorkerRequest, { kind: 'proof' }>): Promise<void> {
  const proof = await answerChallenge(req.challenge, req.uploadId, req.file.size, async (start, end) => new Uint8Array(await req.file.slice(start, end + 1).arrayBuffer()));
  scope.postMessage({ id, kind: 'proved', proof });
}

scope.onmessage = (e) => {
  const req = e.data;
  const work = req.kind === 'hash' ? hash(req.id, req.file) : prove(req.id, req);
  work.catch((err: unknown) => scope.postMessage({ id: req.id, kind: 'failed', message: err instanceof Error ? err.message : String(err) }));
};
