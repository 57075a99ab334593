// What the page and the hashing worker say to each other. Each request has
// an id; the worker answers it with progress (hashing) and one last message.
import type { Challenge } from '../../../common/protocol/proof.js';

export type WorkerRequest =
  | { id: number; kind: 'hash'; file: File }
  | { id: number; kind: 'proof'; file: File; challenge: Challenge; uploadId: string };

export type WorkerReply =
  | { id: number; kind: 'progress'; done: number }
  | { id: number; kind: 'hashed'; md5: string; sha256: string; size: number }
  | { id: number; kind: 'proved'; proof: string }
  | { id: number; kind: 'failed'; message: string };
