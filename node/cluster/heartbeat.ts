// Keeps the tracker informed: register (retrying with back-off while the
// tracker is away), then heartbeat; a tracker that forgot the node gets a
// fresh registration.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { RemoteError } from '../../common/protocol/errors.js';
import { HEARTBEAT_INTERVAL_MS } from '../../common/protocol/routes.js';
import { type Heartbeat, type NodeRegistration } from '../../common/protocol/types.js';
import type { ChunkStore } from '../store/chunk-store.js';
import type { TrackerApi } from './tracker-client.js';

export interface TrackerLinkOptions {
  api: Pick<TrackerApi, 'register' | 'heartbeat'>;
  store: ChunkStore;
  log: Logger;
  nodeId: string;
  zone: string;
  publicUrl: string;
  /** Requests in flight right now. */
  load: () => number;
  /** Bytes the node keeps free (its --reserve): reported free space leaves them out, so placement skips a node that is full for uploads. */
  reserve?: number;
  intervalMs?: number;
  backoffMs?: { initial: number; max: number };
}

export class TrackerLink {
  private readonly opts: TrackerLinkOptions;
  private readonly abort = new AbortController();
  private loop: Promise<void> | undefined;
  private registeredFlag = false;
  private readonly onRegistered: Array<() => void> = [];

  constructor(opts: TrackerLinkOptions) {
    this.opts = opts;
  }

  get registered(): boolean {
    return this.registeredFlag;
  }

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
  }

  /** Resolves once the tracker has accepted a registration (at once if it already has). */
  whenRegistered(): Promise<void> {
    if (this.registeredFlag) return Promise.resolve();
    return new Promise((resolve) => this.onRegistered.push(resolve));
  }

  private async run(): Promise<void> {
    const { log, intervalMs = HEARTBEAT_INTERVAL_MS } = this.opts;
    const backoff = this.opts.backoffMs ?? { initial: 250, max: 5_000 };
    let delay = backoff.initial;
    let failures = 0;
    let beatFailures = 0;
    while (!this.abort.signal.aborted) {
      if (!this.registeredFlag) {
        try {
          await this.opts.api.register(await this.registration());
          this.registeredFlag = true;
          log.info({ nodeId: this.opts.nodeId, attempts: failures + 1 }, 'registered with tracker');
          delay = backoff.initial;
          failures = 0;
          for (const f of this.onRegistered.splice(0)) f();
        } catch (err) {
          failures++;
          // Every failure while the tracker is away would flood the log; the first and then every tenth is enough.
          if (failures === 1 || failures % 10 === 0) log.warn({ err: describe(err), failures, retryInMs: delay }, 'registration failed; retrying');
          await this.pause(delay + Math.floor(Math.random() * delay * 0.2));
          delay = Math.min(delay * 2, backoff.max);
          continue;
        }
      }
      await this.pause(intervalMs);
      if (this.abort.signal.aborted) break;
      try {
        await this.opts.api.heartbeat(await this.beat());
        if (beatFailures > 0) log.info({ failures: beatFailures }, 'heartbeats reach the tracker again');
        beatFailures = 0;
      } catch (err) {
        if (err instanceof RemoteError && err.status === 404 && err.code === 'NODE_NOT_FOUND') {
          log.warn('tracker does not know this node; registering again');
          this.registeredFlag = false;
        } else {
          beatFailures++;
          if (beatFailures === 1 || beatFailures % 10 === 0) log.warn({ err: describe(err), failures: beatFailures }, 'heartbeat failed');
        }
      }
    }
  }

  private async pause(ms: number): Promise<void> {
    await sleep(ms, undefined, { signal: this.abort.signal }).catch(() => undefined);
  }

  private async registration(): Promise<NodeRegistration> {
    const { freeBytes, totalBytes } = await this.usable();
    return { id: this.opts.nodeId, zone: this.opts.zone, publicUrl: this.opts.publicUrl, freeBytes, totalBytes };
  }

  private async beat(): Promise<Heartbeat> {
    const { freeBytes, totalBytes } = await this.usable();
    return { id: this.opts.nodeId, freeBytes, totalBytes, load: this.opts.load(), blobCount: this.opts.store.count() };
  }

  /** Disk space as uploads can use it: free bytes minus the reserve. */
  private async usable(): Promise<{ freeBytes: number; totalBytes: number }> {
    const { freeBytes, totalBytes } = await this.opts.store.space();
    return { freeBytes: Math.max(0, freeBytes - (this.opts.reserve ?? 0)), totalBytes };
  }
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return code && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}
