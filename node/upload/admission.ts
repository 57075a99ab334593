// Whether an upload of a given size may start on this node: one check for
// every upload path (PUT before its body, tus at creation). It knows the
// space promised to uploads in flight, whichever path they came by, so two
// uploads cannot both count on the same free bytes.
import { HoardError } from '../../common/protocol/errors.js';
import type { ChunkStore } from '../store/chunk-store.js';
import type { UploadLimits } from './limits.js';

/** Space an upload in flight counts on; released when it ends. */
export interface Claim {
  release(): void;
}

export interface AdmissionDeps {
  store: Pick<ChunkStore, 'space'>;
  limits: Pick<UploadLimits, 'maxUploadSize' | 'reserve'>;
}

export class UploadAdmission {
  /** Each upload in flight: the bytes it announced and has not written yet. */
  private readonly claims = new Set<() => number>();

  constructor(private readonly deps: AdmissionDeps) {}

  /** Bytes announced by uploads in flight and not written yet. */
  promised(): number {
    let n = 0;
    for (const remaining of this.claims) n += Math.max(0, remaining());
    return n;
  }

  /**
   * PAYLOAD_TOO_LARGE over the node's upload limit; INSUFFICIENT_STORAGE when
   * the free space, less the reserve and less the space promised to uploads
   * in flight, cannot take `size` bytes.
   */
  async check(size: number): Promise<void> {
    const { maxUploadSize, reserve } = this.deps.limits;
    if (size > maxUploadSize) throw new HoardError('PAYLOAD_TOO_LARGE', `Upload of ${size} bytes is over the limit of ${maxUploadSize}`);
    const { freeBytes } = await this.deps.store.space();
    if (size > freeBytes - reserve - this.promised()) throw new HoardError('INSUFFICIENT_STORAGE');
  }

  /** Counts `remaining()` bytes as promised until the claim is released. */
  claim(remaining: () => number): Claim {
    const entry = () => remaining();
    this.claims.add(entry);
    return { release: () => void this.claims.delete(entry) };
  }
}
