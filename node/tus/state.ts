// What a node remembers about each resumable upload, one small JSON file per
// upload next to its chunk folder (DATA/tus/<id>.json), rewritten atomically
// (temp file, fsync, rename, fsync of the folder) after every PATCH.
import { constants as fsc } from 'node:fs';
import { open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Challenge } from '../../common/protocol/proof.js';
import { parseFollowerList, type PeerNode } from '../../common/protocol/pipeline.js';
import { MD5_RE, SHA256_RE } from '../../common/protocol/ids.js';
import { type IssuedChallenge, type UploadResult } from '../../common/protocol/types.js';
import { UPLOAD_ID_RE } from '../../common/protocol/ids.js';
import { isOwnerToken } from '../../common/sign.js';

export interface TusState {
  v: 1;
  uploadId: string;
  filename: string;
  length: number;
  /** Bytes received and durable. */
  offset: number;
  /** Unix milliseconds. */
  created: number;
  /** Unix milliseconds after which an unfinished upload is dropped (moved on by each PATCH). */
  expires: number;
  declared?: { md5: string; sha256: string };
  challenge?: Challenge;
  /** The write pipeline's followers: they get the bytes when the last PATCH ends, before the answer. */
  followers?: PeerNode[];
  /** The one answer this upload may give has been passed to the tracker. */
  proofTried?: boolean;
  /** Set once the upload ended (in full or early): what the client is told. */
  result?: UploadResult;
  /** A part of a later final upload (tus concatenation): complete at its length, never published or linked. */
  partial?: true;
  /** The account the upload is for, as the tracker signed it: passed on to the commit. */
  owner?: string;
  /** The client the tracker created it for (its per-client cap on this node). */
  client?: string;
}

/** A client key as the tracker makes them: an IPv4 address or an IPv6 /64 prefix. */
export const isClientKey = (v: unknown): v is string => typeof v === 'string' && /^[0-9a-f.:/]{1,48}$/i.test(v);

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** The upload's challenge as it was issued, so any tracker can check the answer (not only the one that issued it). */
export function issuedOf(state: TusState): IssuedChallenge | undefined {
  return state.challenge && state.declared ? { challenge: state.challenge, length: state.length, declared: state.declared } : undefined;
}

/** A Challenge from JSON, shape-checked (bounds are checked against a size by parseChallenge). */
export function parseChallengeJson(v: unknown): Challenge | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const c = v as Record<string, unknown>;
  if (typeof c.nonce !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(c.nonce) || !Array.isArray(c.ranges) || c.ranges.length === 0 || c.ranges.length > 64) return undefined;
  const ranges: Array<[number, number]> = [];
  for (const r of c.ranges as unknown[]) {
    if (!Array.isArray(r) || r.length !== 2 || !isInt(r[0]) || !isInt(r[1]) || r[0] > r[1]) return undefined;
    ranges.push([r[0], r[1]]);
  }
  return { nonce: c.nonce, ranges };
}

function parseState(v: unknown): TusState | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const s = v as Record<string, unknown>;
  if (s.v !== 1 || typeof s.uploadId !== 'string' || !UPLOAD_ID_RE.test(s.uploadId) || typeof s.filename !== 'string') return undefined;
  if (!isInt(s.length) || !isInt(s.offset) || s.offset > s.length || !isInt(s.created) || !isInt(s.expires)) return undefined;
  const d = s.declared as Record<string, unknown> | undefined;
  if (d !== undefined && (typeof d.md5 !== 'string' || !MD5_RE.test(d.md5) || typeof d.sha256 !== 'string' || !SHA256_RE.test(d.sha256))) return undefined;
  if (s.challenge !== undefined && !parseChallengeJson(s.challenge)) return undefined;
  if (s.followers !== undefined && !parseFollowerList(s.followers)) return undefined;
  if (s.partial !== undefined && s.partial !== true) return undefined;
  if (s.owner !== undefined && !isOwnerToken(s.owner)) return undefined;
  if (s.client !== undefined && !isClientKey(s.client)) return undefined;
  return s as unknown as TusState;
}

export class TusStateStore {
  constructor(readonly dir: string) {}

  private path(id: string): string {
    return join(this.dir, `${id}.json`);
  }

  /**
   * `durable: false` skips the fsyncs where losing the write in a crash is
   * harmless: the node then shows an earlier state and the client resumes
   * from it (a fresh upload is created again; an early stop's link is kept
   * by the tracker under the upload id).
   */
  async save(state: TusState, durable = true): Promise<void> {
    const path = this.path(state.uploadId);
    const tmp = `${path}.tmp`;
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(JSON.stringify(state));
      if (durable) await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
    if (durable) await this.syncDir();
  }

  async remove(id: string): Promise<void> {
    await rm(this.path(id), { force: true });
  }

  /** Every readable state; half-written temp files and unreadable states are removed. */
  async loadAll(): Promise<TusState[]> {
    const out: TusState[] = [];
    for (const name of await readdir(this.dir).catch(() => [] as string[])) {
      const p = join(this.dir, name);
      if (name.endsWith('.json.tmp')) {
        await rm(p, { force: true });
        continue;
      }
      if (!name.endsWith('.json')) continue;
      let state: TusState | undefined;
      try {
        state = parseState(JSON.parse(await readFile(p, 'utf8')));
      } catch {
        state = undefined;
      }
      if (state && name === `${state.uploadId}.json`) out.push(state);
      else await rm(p, { force: true });
    }
    return out;
  }

  private async syncDir(): Promise<void> {
    const fh = await open(this.dir, fsc.O_RDONLY | fsc.O_DIRECTORY);
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  }
}
