// The node's resumable uploads: their states (persisted, node/tus/state.ts),
// the live writers that keep running hashes between PATCHes, one request
// at a time per upload, and expiry. Bytes live in the chunk store's
// resumable area (DATA/tus/<id>/), which a restart keeps.
import type { Logger } from 'pino';
import { HoardError } from '../../common/protocol/errors.js';
import type { UploadResult } from '../../common/protocol/types.js';
import type { ProofVerifyResponse, TusCreateRequest, TusPart, TusUploadInfo } from '../../common/protocol/types.js';
import { dropRemotePart, fetchRemotePart } from './parts.js';
import type { ResumableChunkStore, ResumableWriter } from '../store/chunk-store.js';
import type { TrackerApi } from '../cluster/tracker-client.js';
import type { Claim, UploadAdmission } from '../upload/admission.js';
import type { UploadLimits } from '../upload/limits.js';
import type { UploadPublisher } from '../upload/publish.js';
import { WritePipeline, type PipelineDeps } from '../upload/pipeline.js';
import { issuedOf, type TusStateStore, type TusState } from './state.js';

export interface LiveUpload {
  state: TusState;
  /** The writer with live hashes; undefined until the first PATCH of this process. */
  writer?: ResumableWriter;
  /** A request is reading or writing this upload. */
  busy: boolean;
  /** The tracker accepted this upload's proof (kept for the PATCHes that follow). */
  proven?: Extract<ProofVerifyResponse, { ok: true }>;
  /** The client's answer, passed on again with the early stop's commit (another tracker may take it). */
  answer?: string;
  /** A checkpoint differed from the proven blob's: this is another file, no early stop. */
  mismatch?: boolean;
  /** The space this upload still counts on (node/upload/admission.ts), released when it is forgotten. */
  claim: Claim;
}

export interface TusServiceDeps {
  nodeId: string;
  store: ResumableChunkStore;
  states: TusStateStore;
  tracker: Pick<TrackerApi, 'verifyProof' | 'commitProven'>;
  admission: UploadAdmission;
  publisher: UploadPublisher;
  /** The write pipeline: followers named at creation get the bytes when the last PATCH ends. */
  pipeline: PipelineDeps;
  /** The upload limit (Tus-Max-Size) and the rate floor each PATCH body is held to. */
  limits: UploadLimits;
  /** Milliseconds an upload is kept after its last PATCH. */
  expiryMs: number;
  /** Unfinished uploads held at once: in all, and per client (0 = no per-client cap). */
  openCaps: { total: number; perClient: number };
  log: Logger;
  now: () => number;
}

export interface ExpiryReport {
  [what: string]: number;
  expired: number;
  bytesFreed: number;
}

export class TusService {
  private readonly uploads = new Map<string, LiveUpload>();
  /** Finished uploads kept for HEAD, oldest first. */
  private readonly finished = new Map<string, LiveUpload>();
  readonly now: () => number;

  constructor(readonly deps: TusServiceDeps) {
    this.now = deps.now;
  }

  get maxUploadSize(): number {
    return this.deps.limits.maxUploadSize;
  }

  /** Loads the states a previous run left; chunk folders without a state are debris. */
  async load(): Promise<void> {
    for (const s of (await this.deps.states.loadAll()).sort((a, b) => a.created - b.created)) {
      const live = this.live(s);
      this.uploads.set(s.uploadId, live);
      if (s.result) this.finish(live);
    }
    for (const key of await this.deps.store.listResumable()) {
      if (!this.uploads.has(key)) await this.deps.store.removeResumable(key);
    }
    this.deps.log.info({ uploads: this.uploads.size }, 'resumable uploads loaded');
  }

  get size(): number {
    return this.uploads.size;
  }

  /**
   * Each unfinished upload is state in memory and promised space until it
   * ends or expires: their number is capped in all, and per client (the
   * tracker caps creations per client too, but each tracker only sees its own).
   */
  private checkOpenCaps(client: string | undefined): void {
    const { total, perClient } = this.deps.openCaps;
    let open = 0;
    let mine = 0;
    for (const { state } of this.uploads.values()) {
      if (state.result) continue;
      open++;
      if (client !== undefined && state.client === client) mine++;
    }
    if (client !== undefined && perClient > 0 && mine >= perClient) {
      throw new HoardError('TOO_MANY_UPLOADS', `This client holds ${mine} unfinished uploads on this node (the limit): finish or wait for some`);
    }
    if (open >= total) throw new HoardError('TOO_MANY_OPEN_UPLOADS', `This node holds ${open} unfinished uploads (the limit)`);
  }

  /** An upload held in memory, counting the bytes it has still to receive as promised space. */
  private live(state: TusState): LiveUpload {
    const live: LiveUpload = {
      state,
      busy: false,
      claim: this.deps.admission.claim(() => (state.result ? 0 : state.length - (live.writer?.bytes ?? state.offset))),
    };
    return live;
  }

  /**
   * Opens an upload the tracker created. The node's one admission check
   * runs first (node/upload/admission.ts): PAYLOAD_TOO_LARGE over the upload
   * limit, INSUFFICIENT_STORAGE when the disk, less its reserve and the
   * space promised to uploads in flight, cannot take it.
   */
  async create(req: TusCreateRequest): Promise<TusState> {
    if (this.uploads.has(req.uploadId)) throw new HoardError('BAD_REQUEST', 'upload id already in use');
    this.checkOpenCaps(req.client);
    await this.deps.admission.check(req.length);
    // Checked again: another creation (of this id, or of this client) may have run during the space check.
    if (this.uploads.has(req.uploadId)) throw new HoardError('BAD_REQUEST', 'upload id already in use');
    this.checkOpenCaps(req.client);
    const t = this.now();
    const state: TusState = {
      v: 1,
      uploadId: req.uploadId,
      filename: req.filename,
      length: req.length,
      offset: 0,
      created: t,
      expires: t + this.deps.expiryMs,
      ...(req.declared ? { declared: req.declared } : {}),
      ...(req.challenge ? { challenge: req.challenge } : {}),
      ...(req.followers && req.followers.length > 0 ? { followers: req.followers } : {}),
      ...(req.partial ? { partial: true as const } : {}),
      ...(req.owner === undefined ? {} : { owner: req.owner }),
      ...(req.client === undefined ? {} : { client: req.client }),
    };
    const live = this.live(state);
    // Saved with the first PATCH: an upload that never got a byte is not worth a disk write (a restart forgets it; the client creates another).
    this.uploads.set(state.uploadId, live);
    if (req.parts) {
      await this.join(live, req.parts);
      return state;
    }
    // tus clients do not PATCH an empty upload: it is complete once created (an empty part is simply complete).
    if (state.length === 0 && !state.partial) {
      live.busy = true;
      try {
        await this.complete(live, await this.writerFor(live));
      } finally {
        live.busy = false;
      }
    }
    return state;
  }

  /**
   * A final upload (tus concatenation): the parts' bytes, in order, read
   * here or fetched from the node holding them, become this upload's, which
   * then ends like any other (hashed, published, committed, deduplicated).
   * The parts are dropped once it ended; on failure the final is forgotten
   * and the parts stay for another try until they expire.
   */
  private async join(live: LiveUpload, parts: readonly TusPart[]): Promise<void> {
    const { state } = live;
    const { log } = this.deps;
    live.busy = true;
    try {
      let writer: ResumableWriter | undefined;
      try {
        writer = await this.writerFor(live);
        for (const part of parts) {
          const source = part.node.id === this.deps.nodeId ? this.partBytes(part.uploadId) : fetchRemotePart(this.deps.pipeline.secret, part);
          for await (const buf of source) {
            if (writer.bytes + buf.length > state.length) throw new HoardError('TUS_CONCAT_INVALID', `the parts hold more than ${state.length} bytes`);
            const wait = writer.write(buf);
            if (wait) await wait;
          }
        }
        if (writer.bytes !== state.length) throw new HoardError('TUS_CONCAT_INVALID', `the parts hold ${writer.bytes} bytes, not ${state.length}`);
        await writer.flush();
        state.offset = writer.bytes;
      } catch (err) {
        live.writer = undefined;
        await writer?.abort().catch(() => undefined);
        await this.forget(live);
        throw err;
      }
      await this.complete(live, writer);
    } finally {
      live.busy = false;
    }
    log.info({ upload: state.uploadId, parts: parts.length, size: state.length, link: state.result?.id }, 'final upload joined its parts');
    for (const part of parts) {
      await this.dropPart(part).catch((err: unknown) => log.warn({ err: (err as Error).message, part: part.uploadId }, 'cannot drop a joined part; it expires'));
    }
  }

  /** A complete part's bytes, for the final upload that joins it (on this node or another). */
  partBytes(id: string): AsyncIterable<Buffer> {
    const live = this.get(id);
    const { state } = live;
    if (!state.partial) throw new HoardError('TUS_CONCAT_INVALID', `upload ${id} is not a partial upload`);
    if (state.offset !== state.length) throw new HoardError('TUS_CONCAT_INVALID', `partial upload ${id} holds ${state.offset} of its ${state.length} bytes`);
    if (live.busy) throw new HoardError('UPLOAD_LOCKED');
    // Held from the first read on (a reader that never starts must not leave the part locked).
    const read = async function* (svc: TusService): AsyncGenerator<Buffer> {
      if (live.busy) throw new HoardError('UPLOAD_LOCKED');
      live.busy = true;
      try {
        if (state.length === 0) return;
        yield* (await svc.writerFor(live)).readBack(0);
      } finally {
        live.busy = false;
      }
    };
    return read(this);
  }

  /** GET /internal/tus/<id>: how far an upload got, for the tracker creating a final upload. */
  info(id: string): TusUploadInfo {
    const { state } = this.get(id);
    return { uploadId: state.uploadId, length: state.length, offset: state.offset, partial: state.partial === true };
  }

  /** Drops a part once its final upload ended; false when it is not a part held here (or is in use). */
  async removePart(id: string): Promise<boolean> {
    const live = this.uploads.get(id);
    if (!live?.state.partial || live.busy) return false;
    await this.remove(live);
    return true;
  }

  private async dropPart(part: TusPart): Promise<void> {
    if (part.node.id === this.deps.nodeId) await this.removePart(part.uploadId);
    else await dropRemotePart(this.deps.pipeline.secret, part);
  }

  /** The upload, or 404 UPLOAD_NOT_FOUND / 410 UPLOAD_EXPIRED. */
  get(id: string): LiveUpload {
    const live = this.uploads.get(id);
    if (!live) throw new HoardError('UPLOAD_NOT_FOUND');
    if (live.state.expires <= this.now()) throw new HoardError('UPLOAD_EXPIRED');
    return live;
  }

  /** The live writer, or one rebuilt from the chunk files (a restart, or a dropped writer). */
  async writerFor(live: LiveUpload): Promise<ResumableWriter> {
    if (live.writer) return live.writer;
    const { uploadId, offset } = live.state;
    live.writer = offset === 0 ? await this.deps.store.beginResumable(uploadId) : await this.deps.store.resumeResumable(uploadId, offset);
    if (offset > 0) this.deps.log.info({ upload: uploadId, offset }, 'resumable upload rehashed from disk');
    return live.writer;
  }

  /** Lets go of the live writer, keeping its bytes: the next PATCH rebuilds it from the last durable offset. */
  async dropWriter(live: LiveUpload): Promise<void> {
    const w = live.writer;
    live.writer = undefined;
    await w?.release();
  }

  async persist(live: LiveUpload, durable = true): Promise<void> {
    await this.deps.states.save(live.state, durable);
  }

  /** Moves the expiry on: an upload that is being worked on does not expire. */
  touch(live: LiveUpload): void {
    live.state.expires = this.now() + this.deps.expiryMs;
  }

  /** Every byte is in: publish on disk, commit at the tracker, remember the answer. */
  async complete(live: LiveUpload, writer: ResumableWriter): Promise<UploadResult> {
    const { state } = live;
    live.writer = undefined;
    try {
      const pipeline = state.followers
        ? WritePipeline.atEnd(this.deps.pipeline, { key: state.uploadId, followers: state.followers, chunkSize: writer.chunkSize, length: state.length })
        : undefined;
      state.result = await this.deps.publisher.publishAndCommit(writer, { filename: state.filename, uploadId: state.uploadId, pipeline, owner: state.owner });
    } catch (err) {
      // The bytes are gone with the failed publish or commit: the client starts over.
      await writer.abort().catch(() => undefined);
      await this.forget(live);
      throw err;
    }
    state.offset = state.length;
    await this.persist(live);
    this.finish(live);
    return state.result;
  }

  /**
   * A finished upload is kept (its state, a few hundred bytes) to answer HEAD
   * with its link until it expires; only the last `openCaps.total` finished
   * ones are kept, so small uploads finished one after another cannot fill
   * the memory either (the tracker answers GET /api/uploads/ID at any time).
   */
  private finish(live: LiveUpload): void {
    this.finished.delete(live.state.uploadId);
    this.finished.set(live.state.uploadId, live);
    for (const old of this.finished.values()) {
      if (this.finished.size <= this.deps.openCaps.total) break;
      this.finished.delete(old.state.uploadId);
      if (old.busy) continue;
      this.remove(old).catch((err: unknown) => this.deps.log.error({ err, upload: old.state.uploadId }, 'cannot forget a finished upload'));
    }
  }

  /**
   * The early stop: the upload proved possession and its prefix matched.
   * Asks the tracker for the link; on success nothing of this upload is
   * kept. False (and the upload goes on in full) when the tracker refuses.
   */
  async stopEarly(live: LiveUpload, writer: ResumableWriter): Promise<boolean> {
    const { state } = live;
    if (!state.declared) return false;
    let answer;
    try {
      answer = await this.deps.tracker.commitProven({
        uploadId: state.uploadId,
        nodeId: this.deps.nodeId,
        filename: state.filename,
        ...(state.owner === undefined ? {} : { owner: state.owner }),
        proof: live.answer,
        issued: issuedOf(state),
      });
    } catch (err) {
      live.proven = undefined;
      this.deps.log.warn({ upload: state.uploadId, err: (err as Error).message }, 'early stop refused; the upload goes on in full');
      return false;
    }
    live.writer = undefined;
    await writer.abort().catch((err: unknown) => this.deps.log.error({ err, upload: state.uploadId }, 'cannot remove an early-stopped upload'));
    state.result = { link: answer.link, id: answer.id, md5: state.declared.md5, sha256: state.declared.sha256, size: state.length, dedup: true };
    state.offset = state.length;
    this.finish(live);
    // Saved after the answer and without fsync: after a crash the client resumes, and its full upload ends on the same link (the tracker keeps it by upload id).
    setImmediate(() => {
      this.persist(live, false).catch((err: unknown) => this.deps.log.error({ err, upload: state.uploadId }, 'cannot save upload state'));
    });
    this.deps.log.info({ upload: state.uploadId, link: answer.id, receivedBeforeStop: writer.bytes, size: state.length }, 'early stop: duplicate proven');
    return true;
  }

  /** Removes an upload: its bytes, its state, its entry. */
  async remove(live: LiveUpload): Promise<number> {
    const w = live.writer;
    live.writer = undefined;
    await w?.release();
    const freed = await this.deps.store.removeResumable(live.state.uploadId);
    await this.forget(live);
    return freed;
  }

  private async forget(live: LiveUpload): Promise<void> {
    this.uploads.delete(live.state.uploadId);
    this.finished.delete(live.state.uploadId);
    live.claim.release();
    await this.deps.states.remove(live.state.uploadId);
  }

  /** The expiry worker's pass: uploads past Upload-Expires lose their bytes and state. */
  async expire(): Promise<ExpiryReport> {
    const t = this.now();
    let expired = 0;
    let bytesFreed = 0;
    for (const live of [...this.uploads.values()]) {
      if (live.busy || live.state.expires > t) continue;
      bytesFreed += await this.remove(live);
      expired++;
      this.deps.log.info({ upload: live.state.uploadId, offset: live.state.offset, finished: live.state.result !== undefined }, 'resumable upload expired');
    }
    return { expired, bytesFreed };
  }

  /** At shutdown: release every writer (their bytes stay for the next start). */
  async close(): Promise<void> {
    for (const live of this.uploads.values()) await this.dropWriter(live);
  }
}
