// Whether a PATCH may end the upload early: only once the tracker accepted
// this upload's single proof of possession AND every prefix checkpoint
// passed so far has the proven blob's digests (MD5 and SHA-256 both).
import type { Logger } from 'pino';
import type { ProofVerifyResponse } from '../../common/protocol/types.js';
import type { ChunkWriter } from '../store/chunk-store.js';
import type { LiveUpload, TusService } from './service.js';
import { issuedOf } from './state.js';

/** How long the end of a PATCH waits for a verdict still on its way. */
const VERDICT_WAIT_MS = 10_000;

export class EarlyStop {
  private pending: Promise<void> | undefined;

  constructor(
    private readonly live: LiveUpload,
    private readonly svc: TusService,
    private readonly log: Logger,
  ) {}

  /** Passes the client's answer to the tracker; the verdict arrives while the body streams. */
  verify(proof: string): void {
    const { state } = this.live;
    this.live.answer = proof;
    this.pending = this.svc.deps.tracker
      .verifyProof({ uploadId: state.uploadId, nodeId: this.svc.deps.nodeId, proof, issued: issuedOf(state) })
      .then(
        (v: ProofVerifyResponse) => {
          if (v.ok) this.live.proven = v;
        },
        (err: unknown) => this.log.warn({ upload: state.uploadId, err: (err as Error).message }, 'proof check failed; the upload goes on in full'),
      )
      .finally(() => {
        this.pending = undefined;
      });
  }

  /** Waits (bounded) for a verdict still pending. */
  async settle(): Promise<void> {
    if (!this.pending) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([this.pending, new Promise<void>((r) => (timer = setTimeout(r, VERDICT_WAIT_MS)))]);
    clearTimeout(timer);
  }

  /**
   * Asked after every piece of a PATCH: stop here (`stop` says whether the
   * tracker took it), or, once a checkpoint has passed while the verdict is
   * still on its way, hold the body until it comes (bounded): a body sent
   * whole in one PATCH would otherwise often be in before its verdict.
   */
  decide(writer: ChunkWriter, stop: () => Promise<boolean>): Promise<boolean> | undefined {
    if (this.ready(writer)) return stop();
    if (!this.pending || this.live.mismatch || writer.prefixes.length === 0) return undefined;
    return this.settle().then(() => (this.ready(writer) ? stop() : false));
  }

  ready(writer: ChunkWriter): boolean {
    const { proven } = this.live;
    if (!proven || this.live.mismatch || writer.prefixes.length === 0) return false;
    let compared = 0;
    for (const p of writer.prefixes) {
      const want = proven.prefixes.find((q) => q.offset === p.offset);
      if (!want) continue;
      if (want.md5 !== p.md5 || want.sha256 !== p.sha256) {
        // Another file under the declared hashes: it is uploaded in full and stored as itself.
        this.live.mismatch = true;
        this.log.info({ upload: this.live.state.uploadId, offset: p.offset }, 'prefix differs from the proven blob; no early stop');
        return false;
      }
      compared++;
    }
    return compared > 0;
  }
}
