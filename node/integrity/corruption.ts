// What a node does when a chunk fails its check, wherever that is found
// (scrub, a read, a verify request): withdraw the copy into quarantine and
// tell the tracker, which takes the node off the blob's holders and repairs
// the copy from a good one. Reports the tracker did not take are kept and
// sent again (flush) at the next scrub.
import type { Logger } from 'pino';
import type { BadCopyReport, BadCopySource } from '../../common/protocol/integrity.js';
import type { ChunkStore } from '../store/chunk-store.js';
import type { KeyedLock } from '../../common/keyed-lock.js';
import { nodeMetrics } from '../metrics.js';
import type { CopiesApi } from '../cluster/tracker-copies.js';

export interface CorruptionDeps {
  nodeId: string;
  store: Pick<ChunkStore, 'quarantine'>;
  copies: Pick<CopiesApi, 'reportBad'>;
  locks: KeyedLock;
  log: Logger;
  /** How long a caller (a reader waiting to fail over) waits at most; the work itself goes on. */
  waitMs?: number;
}

export class CorruptionHandler {
  private readonly running = new Map<string, Promise<void>>();
  private readonly unsent = new Map<string, BadCopyReport>();
  private readonly errors = nodeMetrics.scrubErrors();
  private readonly quarantined = nodeMetrics.quarantined();

  constructor(private readonly deps: CorruptionDeps) {}

  /** Quarantines the copy and reports it; resolves when done or after waitMs, never rejects. */
  handle(blobId: string, chunks: number[], source: BadCopySource): Promise<void> {
    this.errors.inc({ source }, chunks.length);
    let run = this.running.get(blobId);
    if (!run) {
      run = this.work(blobId, chunks, source).finally(() => this.running.delete(blobId));
      this.running.set(blobId, run);
    }
    const waitMs = this.deps.waitMs ?? 3_000;
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, waitMs);
      timer.unref();
      void run.then(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Reports still owed to the tracker. */
  get pending(): number {
    return this.unsent.size;
  }

  /** Sends the reports the tracker has not taken yet; returns how many went through. */
  async flush(): Promise<number> {
    let sent = 0;
    for (const [id, report] of [...this.unsent]) {
      if (await this.send(report)) {
        this.unsent.delete(id);
        sent++;
      }
    }
    return sent;
  }

  private async work(blobId: string, chunks: number[], source: BadCopySource): Promise<void> {
    const { log, locks, store, nodeId } = this.deps;
    try {
      // Under the blob's lock: never in the middle of a publish or a repair of the same blob.
      const moved = await locks.run(blobId, () => store.quarantine(blobId));
      if (moved) this.quarantined.inc();
      log.error({ blob: blobId, chunks, source, quarantined: moved }, 'bad copy withdrawn');
    } catch (err) {
      log.error({ err, blob: blobId }, 'cannot quarantine a bad copy');
    }
    const report: BadCopyReport = { nodeId, blobId, chunks, source };
    if (!(await this.send(report))) this.unsent.set(blobId, report);
  }

  private async send(report: BadCopyReport): Promise<boolean> {
    try {
      await this.deps.copies.reportBad(report);
      return true;
    } catch (err) {
      this.deps.log.warn({ err: (err as Error).message, blob: report.blobId }, 'bad-copy report did not reach the tracker; kept for the next scrub');
      return false;
    }
  }
}
