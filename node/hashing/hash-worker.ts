// What a hashing thread runs, and the messages it speaks. Body bytes never
// travel in messages: the main thread copies them into slots of a
// SharedArrayBuffer and a message names the slot; the thread answers `free`
// once it has hashed the slot, so the slot can be filled again.
//
// hashWorkerMain is started from its own source text (a Worker with eval), so
// it must not close over anything and gets its modules as arguments: the same
// code then runs whether this file was loaded compiled or through a test's TS
// loader.
import type * as Crypto from 'node:crypto';
import type * as WorkerThreads from 'node:worker_threads';

/** md5: the whole body's MD5. sha256: the whole body's SHA-256 and each chunk's. */
export type HashRole = 'md5' | 'sha256';

export interface HashWorkerData {
  role: HashRole;
  sab: SharedArrayBuffer;
  slotSize: number;
}

/**
 * A point in the body, as an absolute offset: 'chunk' ends a chunk there
 * (sha256 only), 'prefix' asks for the digest of the bytes before it.
 */
export interface Mark {
  at: number;
  kind: 'chunk' | 'prefix';
}

export type ToWorker =
  /** The next `len` bytes of the body sit in `slot` (-1 with len 0: marks only); `marks` fall inside or at the end of them, ascending. */
  | { op: 'data'; id: number; slot: number; len: number; marks: Mark[] }
  /** Every byte was sent: answer with the digests and forget the upload. */
  | { op: 'end'; id: number }
  /** The upload was abandoned. */
  | { op: 'drop'; id: number };

export type FromWorker =
  | { op: 'free'; slot: number }
  | { op: 'prefix'; id: number; at: number; hex: string }
  /** `hex` is the role's whole-body digest; `chunks` the chunk SHA-256 (sha256 role). */
  | { op: 'digest'; id: number; hex: string; chunks: string[] };

export function hashWorkerMain(crypto: typeof Crypto, wt: typeof WorkerThreads): void {
  const port = wt.parentPort;
  if (!port) throw new Error('hashWorkerMain runs in a worker thread');
  const { role, sab, slotSize } = wt.workerData as HashWorkerData;
  const algo = role === 'md5' ? 'md5' : 'sha256';
  interface State {
    pos: number;
    whole: Crypto.Hash;
    chunk: Crypto.Hash | undefined;
    chunks: string[];
  }
  const states = new Map<number, State>();
  const state = (id: number): State => {
    let s = states.get(id);
    if (!s) {
      s = { pos: 0, whole: crypto.createHash(algo), chunk: role === 'sha256' ? crypto.createHash('sha256') : undefined, chunks: [] };
      states.set(id, s);
    }
    return s;
  };
  const feed = (s: State, part: Buffer): void => {
    if (part.length === 0) return;
    s.whole.update(part);
    s.chunk?.update(part);
    s.pos += part.length;
  };
  port.on('message', (m: ToWorker) => {
    if (m.op === 'data') {
      const s = state(m.id);
      const view = m.slot < 0 ? Buffer.alloc(0) : Buffer.from(sab, m.slot * slotSize, m.len);
      const base = s.pos;
      let off = 0;
      for (const mark of m.marks) {
        const stop = mark.at - base;
        if (stop > off) {
          feed(s, view.subarray(off, stop));
          off = stop;
        }
        if (mark.kind === 'prefix') {
          port.postMessage({ op: 'prefix', id: m.id, at: mark.at, hex: s.whole.copy().digest('hex') } satisfies FromWorker);
        } else if (s.chunk) {
          s.chunks.push(s.chunk.digest('hex'));
          s.chunk = crypto.createHash('sha256');
        }
      }
      feed(s, off === 0 ? view : view.subarray(off));
      if (m.slot >= 0) port.postMessage({ op: 'free', slot: m.slot } satisfies FromWorker);
    } else if (m.op === 'end') {
      const s = state(m.id);
      states.delete(m.id);
      port.postMessage({ op: 'digest', id: m.id, hex: s.whole.digest('hex'), chunks: s.chunks } satisfies FromWorker);
    } else {
      states.delete(m.id);
    }
  });
}
