// The page's side of the hashing worker: one worker for the page, requests
// answered in the order they were sent (hashing one file at a time is as
// fast as the disk allows anyway).
import type { Challenge } from '../../../common/protocol/proof.js';
import type { WorkerReply, WorkerRequest } from './worker-messages.js';

export interface Identity {
  md5: string;
  sha256: string;
}

interface Pending {
  resolve(reply: WorkerReply): void;
  reject(err: Error): void;
  progress?: (done: number) => void;
}

export class Hasher {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  constructor(workerUrl: string) {
    this.worker = new Worker(workerUrl, { type: 'module', name: 'hoard-hash' });
    this.worker.onmessage = (e: MessageEvent<WorkerReply>) => {
      const reply = e.data;
      const p = this.pending.get(reply.id);
      if (!p) return;
      if (reply.kind === 'progress') {
        p.progress?.(reply.done);
        return;
      }
      this.pending.delete(reply.id);
      if (reply.kind === 'failed') p.reject(new Error(reply.message));
      else p.resolve(reply);
    };
    this.worker.onerror = (e) => {
      // The worker could not start or crashed: nothing it was asked will be answered.
      for (const p of this.pending.values()) p.reject(new Error(`the hashing worker failed: ${e.message || 'it could not start'}`));
      this.pending.clear();
    };
  }

  private ask(req: WorkerRequest, progress?: (done: number) => void): Promise<WorkerReply> {
    return new Promise((resolve, reject) => {
      this.pending.set(req.id, { resolve, reject, progress });
      this.worker.postMessage(req);
    });
  }

  async hash(file: File, progress?: (done: number) => void): Promise<Identity> {
    const reply = await this.ask({ id: this.nextId++, kind: 'hash', file }, progress);
    if (reply.kind !== 'hashed') throw new Error(`the hashing worker answered ${reply.kind}`);
    return { md5: reply.md5, sha256: reply.sha256 };
  }

  async prove(file: File, challenge: Challenge, uploadId: string): Promise<string> {
    const reply = await this.ask({ id: this.nextId++, kind: 'proof', file, challenge, uploadId });
    if (reply.kind !== 'proved') throw new Error(`the hashing worker answered ${reply.kind}`);
    return reply.proof;
  }
}
