// Challenges for declared uploads, kept in memory: issued with the upload,
// answered once, bound to the upload and the node that receives it. The
// expected answer is computed by a node holding the candidate blob, in the
// background, so issuing a challenge takes the same time whether or not the
// content exists. A tracker that did not issue a challenge takes it from the
// node (adopt: the node passes on what it was given at creation), so any
// tracker sharing the store checks any answer; a tracker restart loses
// nothing for the same reason.
import { setTimeout as sleep } from 'node:timers/promises';
import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import { makeChallenge, proofsEqual } from '../../common/proof.js';
import { type Challenge } from '../../common/protocol/proof.js';
import type { PrefixHash } from '../../common/protocol/prefix.js';
import type { NodeStatus, ProofVerifyResponse } from '../../common/protocol/types.js';
import { HoardError } from '../../common/protocol/errors.js';
import { proofFromNode } from '../cluster/node-client.js';
import { chooseReadNode } from '../cluster/placement.js';
import type { Candidate } from './prefix-index.js';

/** How long a challenge can be answered. */
export const CHALLENGE_TTL_MS = 6 * 3600_000;
/** Challenges kept at most (oldest dropped first): bounds memory under a flood of creations. */
export const CHALLENGE_MAX = 200_000;
/** How long a verification waits for the holder's answer before calling the proof failed. */
const EXPECTED_WAIT_MS = 15_000;

type ProofState = 'open' | 'tried' | 'proven';

interface Entry {
  uploadId: string;
  nodeId: string;
  size: number;
  challenge: Challenge;
  state: ProofState;
  candidate?: { blobId: string; prefixes: PrefixHash[] };
  expected?: Promise<string | undefined>;
}

/** Computes the expected answer from a stored copy; rejects when no holder can. */
export type ExpectedProof = (blobId: string, uploadId: string, challenge: Challenge) => Promise<string>;

export interface ProofBookOptions {
  expected: ExpectedProof;
  log: Logger;
  ttlMs?: number;
  max?: number;
}

export class ProofBook {
  private readonly entries: LRUCache<string, Entry>;

  constructor(private readonly opts: ProofBookOptions) {
    this.entries = new LRUCache({ max: opts.max ?? CHALLENGE_MAX, ttl: opts.ttlMs ?? CHALLENGE_TTL_MS });
  }

  /** A fresh challenge for `uploadId`; the candidate (if any) is never visible in what it returns. */
  issue(uploadId: string, nodeId: string, size: number, candidate: Candidate | undefined): Challenge {
    const challenge = makeChallenge(size);
    const entry: Entry = { uploadId, nodeId, size, challenge, state: 'open' };
    if (candidate) entry.candidate = { blobId: candidate.blob.id, prefixes: candidate.prefixes };
    this.entries.set(uploadId, entry);
    return challenge;
  }

  /** True when this tracker holds the upload's challenge (issued here, or adopted). */
  knows(uploadId: string): boolean {
    return this.entries.has(uploadId);
  }

  /**
   * Takes a challenge another tracker issued, as the node passes it on,
   * unless this tracker holds one for the upload already (then that one,
   * and its state, stand: single use holds at each tracker).
   */
  adopt(uploadId: string, nodeId: string, size: number, challenge: Challenge, candidate: Candidate | undefined): void {
    if (this.entries.has(uploadId)) return;
    const entry: Entry = { uploadId, nodeId, size, challenge, state: 'open' };
    if (candidate) entry.candidate = { blobId: candidate.blob.id, prefixes: candidate.prefixes };
    this.entries.set(uploadId, entry);
  }

  /**
   * Asks a holder for the expected answer. Called once the creation answer
   * is on its way, so that answer takes the same time with or without a
   * stored candidate; verify() starts it too if it has not run yet.
   */
  prepare(uploadId: string): void {
    const e = this.entries.get(uploadId);
    if (!e?.candidate || e.expected) return;
    const blobId = e.candidate.blobId;
    e.expected = this.opts.expected(blobId, uploadId, e.challenge).catch((err: unknown) => {
      this.opts.log.warn({ err: (err as Error).message, upload: uploadId, blob: blobId }, 'cannot compute the expected proof; the upload will run in full');
      return undefined;
    });
  }

  /**
   * Checks an answer. Single use: the first call for an upload ends its
   * challenge, whatever the outcome. Only a correct answer for a known
   * candidate reveals the candidate.
   */
  async verify(uploadId: string, nodeId: string, proof: string): Promise<ProofVerifyResponse> {
    const e = this.entries.get(uploadId);
    if (!e || e.state !== 'open' || e.nodeId !== nodeId) return { ok: false };
    e.state = 'tried';
    this.prepare(uploadId);
    if (!e.candidate || !e.expected) return { ok: false };
    const wait = new AbortController();
    const expected = await Promise.race([e.expected, sleep(EXPECTED_WAIT_MS, undefined, { signal: wait.signal }).catch(() => undefined)]);
    wait.abort();
    if (expected === undefined || !proofsEqual(expected, proof)) return { ok: false };
    e.state = 'proven';
    return { ok: true, blobId: e.candidate.blobId, prefixes: e.candidate.prefixes };
  }

  /** Forgets an upload's challenge (its creation failed). */
  drop(uploadId: string): void {
    this.entries.delete(uploadId);
  }

  /** Ends a proven challenge and returns its blob; undefined unless this upload, on this node, was proven. */
  takeProven(uploadId: string, nodeId: string): string | undefined {
    const e = this.entries.get(uploadId);
    if (!e || e.state !== 'proven' || e.nodeId !== nodeId || !e.candidate) return undefined;
    this.entries.delete(uploadId);
    return e.candidate.blobId;
  }
}

export interface HolderDeps {
  /** The nodes the index lists as holding a blob; undefined for an unknown blob. */
  holdersOf(blobId: string): Promise<readonly string[] | undefined>;
  /** Every node with its state. */
  nodes(): readonly NodeStatus[];
  /** Uniform in [0, 1). */
  random: () => number;
  /** The cluster secret, for the call to the holder. */
  secret: string;
}

/** The expected answer as a live holder of the blob computes it (the tracker's ProofBook uses this). */
export function expectedFromHolders(deps: HolderDeps): ExpectedProof {
  return async (blobId, uploadId, challenge) => {
    const holders = await deps.holdersOf(blobId);
    const node = holders && chooseReadNode(deps.nodes(), holders, deps.random);
    if (!node) throw new HoardError('NO_LIVE_COPY');
    return proofFromNode(node.publicUrl, deps.secret, blobId, uploadId, challenge);
  };
}
