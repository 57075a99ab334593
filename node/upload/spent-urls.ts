// Signed upload URLs are single use. Each names an upload id; while an
// upload under it runs the id is busy, once it succeeded the id is spent
// until the URL expires (after that the signature check refuses it anyway).
// A failed upload frees the id, so the client may retry with the same URL.
// Only URLs the tracker signed get here, and each lives url-ttl seconds:
// the map holds at most the uploads started in that window.
import { HoardError } from '../../common/protocol/errors.js';

export class SpentUrls {
  /** upload id → when the entry may be forgotten (ms) and whether an upload under it succeeded. */
  private readonly ids = new Map<string, { untilMs: number; spent: boolean }>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Throws UPLOAD_URL_USED when an upload under `uploadId` runs or succeeded. */
  check(uploadId: string): void {
    const e = this.ids.get(uploadId);
    if (e === undefined || e.untilMs < this.now()) return;
    throw new HoardError(
      'UPLOAD_URL_USED',
      e.spent ? 'This upload URL was already used; ask the tracker for a new one' : 'An upload with this URL is in progress',
    );
  }

  /** Marks `uploadId` busy until the upload ends; throws like check. */
  take(uploadId: string, expSeconds: number): void {
    this.prune();
    this.check(uploadId);
    this.ids.set(uploadId, { untilMs: expSeconds * 1000 + 1000, spent: false });
  }

  /** The upload under `uploadId` succeeded: the URL is spent. */
  spend(uploadId: string): void {
    const e = this.ids.get(uploadId);
    if (e) e.spent = true;
  }

  /** The upload failed: the same URL may be tried again. */
  release(uploadId: string): void {
    const e = this.ids.get(uploadId);
    if (e && !e.spent) this.ids.delete(uploadId);
  }

  get size(): number {
    return this.ids.size;
  }

  /** Drops expired entries from the oldest on (URLs share one lifetime, so insertion order is nearly expiry order). */
  private prune(): void {
    const now = this.now();
    for (const [id, e] of this.ids) {
      if (e.untilMs >= now) break;
      this.ids.delete(id);
    }
  }
}
