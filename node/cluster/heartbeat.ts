// Keeps the tracker informed. The node registers by opening its heartbeat
// stream (cluster/tracker-stream.ts) and holds it open: the tracker sees the
// node's process end the moment its socket closes, and the node sees the
// tracker go (a restart) the same way, then registers again at once, retrying
// every few hundred milliseconds until the tracker is back. While the stream
// is open, a heartbeat every interval carries the node's free space and load
// (and keeps the node up at a tracker that sees no stream close: a machine
// that vanished is down once its heartbeats stop).
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { RemoteError } from '../../common/protocol/errors.js';
import { noUploadRoom } from '../../common/protocol/integrity.js';
import { HEARTBEAT_BODY_MAX, HEARTBEAT_INTERVAL_MS } from '../../common/protocol/routes.js';
import { fitBeat } from './beat-size.js';
import { type Heartbeat, type LeaseReport, type NodeRegistration, type ServedReport } from '../../common/protocol/types.js';
import type { ChunkStore } from '../store/chunk-store.js';
import type { TrackerApi } from './tracker-client.js';
import { describe, type NodeStreamApi } from './tracker-stream.js';
import type { NodeTakedowns } from './takedowns.js';
import type { TrackerView } from './tracker-view.js';

/** A heartbeat trimmed to its size limit is logged at most this often. */
const TRIM_WARN_MS = 60_000;
/** Retries of a registration: short, so a restarted tracker hears from every node within a second. */
export const REGISTER_BACKOFF = { initial: 100, max: 500 } as const;
/** A stream that lived less than this is followed by a pause before the next registration. */
const SHORT_STREAM_MS = 1_000;

export interface TrackerLinkOptions {
  api: Pick<TrackerApi, 'heartbeat'>;
  stream: NodeStreamApi;
  /** Told the tracker's public URL at each registration. */
  view: TrackerView;
  /** Told what the tracker takes down (its stream's takedowns lines). */
  takedowns: NodeTakedowns;
  /** This tracker's base URL: its takedowns list is kept apart from other trackers'. */
  base: string;
  store: ChunkStore;
  log: Logger;
  nodeId: string;
  zone: string;
  publicUrl: string;
  /** Requests in flight right now. */
  load: () => number;
  /** Download leases served and ended since the last beat (each ended one is reported once; a beat lost is covered by the tracker's lease timeout). */
  leases: () => LeaseReport;
  /** Bytes served per download id lately (every beat carries them all: the tracker takes the union). */
  served: () => ServedReport[];
  /** Bytes the node keeps free (its --reserve): reported free space leaves them out, so placement skips a node that is full for uploads. */
  reserve?: number;
  intervalMs?: number;
  backoffMs?: { initial: number; max: number };
}

export class TrackerLink {
  private readonly opts: TrackerLinkOptions;
  private readonly abort = new AbortController();
  private loop: Promise<void> | undefined;
  private connected = false;
  private readonly onRegistered: Array<() => void> = [];
  private lastTrimWarn = 0;

  constructor(opts: TrackerLinkOptions) {
    this.opts = opts;
  }

  /** True while the node's stream to the tracker is open. */
  get registered(): boolean {
    return this.connected;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Closes the stream (the tracker marks the node down at once) and stops heartbeats. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
  }

  /** Resolves once the tracker has accepted a registration (at once if the stream is open). */
  whenRegistered(): Promise<void> {
    if (this.connected) return Promise.resolve();
    return new Promise((resolve) => this.onRegistered.push(resolve));
  }

  private async run(): Promise<void> {
    const { log } = this.opts;
    const backoff = this.opts.backoffMs ?? REGISTER_BACKOFF;
    let delay = backoff.initial;
    let failures = 0;
    let registrations = 0;
    while (!this.abort.signal.aborted) {
      // One controller per stream: the heartbeat loop ends it when the tracker has forgotten the node.
      const conn = new AbortController();
      const onStop = () => conn.abort();
      this.abort.signal.addEventListener('abort', onStop, { once: true });
      try {
        let stream;
        try {
          stream = await this.opts.stream.open(await this.registration(), conn.signal, (ev) => {
            if (ev.type === 'takedowns') this.opts.takedowns.apply(this.opts.base, ev);
          });
        } catch (err) {
          if (this.abort.signal.aborted) break;
          failures++;
          // Every failure while the tracker is away would flood the log; the first and then every tenth is enough.
          if (failures === 1 || failures % 10 === 0) log.warn({ err: describe(err), failures, retryInMs: delay }, 'registration failed; retrying');
          await this.pause(delay + Math.floor(Math.random() * delay * 0.2), this.abort.signal);
          delay = Math.min(delay * 2, backoff.max);
          continue;
        }
        this.opts.view.learned(stream.answer.trackerUrl);
        this.connected = true;
        registrations++;
        log.info({ nodeId: this.opts.nodeId, attempts: failures + 1, trackerUrl: stream.answer.trackerUrl }, registrations === 1 ? 'registered with tracker' : 'registered with tracker again');
        const openedAt = Date.now();
        failures = 0;
        for (const f of this.onRegistered.splice(0)) f();
        if (registrations === 1) void this.warnIfNoUploadRoom(stream.answer.uploadMargin);

        const beating = this.beat(conn);
        let why = await stream.ended;
        if (conn.signal.reason instanceof Forgotten) why = conn.signal.reason.message;
        conn.abort();
        await beating;
        this.connected = false;
        if (this.abort.signal.aborted) break;
        log.warn({ why }, 'heartbeat stream to the tracker ended; registering again');
        if (Date.now() - openedAt < SHORT_STREAM_MS) {
          // Streams that end as soon as they open (a proxy that cuts them?) must not spin.
          await this.pause(delay, this.abort.signal);
          delay = Math.min(delay * 2, backoff.max);
        } else {
          // At once: a tracker that restarted answers as soon as it listens (the next tries back off).
          delay = backoff.initial;
        }
      } finally {
        this.abort.signal.removeEventListener('abort', onStop);
      }
    }
    this.connected = false;
  }

  /** Heartbeats every interval until `conn` is aborted; a tracker that forgot the node aborts it. */
  private async beat(conn: AbortController): Promise<void> {
    const { log, intervalMs = HEARTBEAT_INTERVAL_MS } = this.opts;
    let failures = 0;
    for (;;) {
      await this.pause(intervalMs, conn.signal);
      if (conn.signal.aborted) return;
      try {
        await this.opts.api.heartbeat(await this.beatBody());
        if (failures > 0) log.info({ failures }, 'heartbeats reach the tracker again');
        failures = 0;
      } catch (err) {
        if (err instanceof RemoteError && err.status === 404 && err.code === 'NODE_NOT_FOUND') {
          conn.abort(new Forgotten('the tracker does not know this node'));
          return;
        }
        failures++;
        if (failures === 1 || failures % 10 === 0) log.warn({ err: describe(err), failures }, 'heartbeat failed');
      }
    }
  }

  private async pause(ms: number, signal: AbortSignal): Promise<void> {
    await sleep(ms, undefined, { signal }).catch(() => undefined);
  }

  private async registration(): Promise<NodeRegistration> {
    const { freeBytes, totalBytes } = await this.usable();
    return { id: this.opts.nodeId, zone: this.opts.zone, publicUrl: this.opts.publicUrl, freeBytes, totalBytes };
  }

  private async beatBody(): Promise<Heartbeat> {
    const { freeBytes, totalBytes } = await this.usable();
    const beat: Heartbeat = { id: this.opts.nodeId, freeBytes, totalBytes, load: this.opts.load(), blobCount: this.opts.store.count(), reserveBytes: this.opts.reserve ?? 0 };
    const leases = this.opts.leases();
    if (leases.active.length > 0 || leases.ended.length > 0) beat.leases = leases;
    const served = this.opts.served();
    if (served.length === 0) return beat;
    beat.served = served;
    const fit = fitBeat(beat, HEARTBEAT_BODY_MAX);
    if (fit.dropped > 0 && Date.now() - this.lastTrimWarn >= TRIM_WARN_MS) {
      this.lastTrimWarn = Date.now();
      // Those downloads may go uncounted (docs/web.md); the beat itself must get through, or the node is marked down.
      this.opts.log.warn({ dropped: fit.dropped, kept: served.length - fit.dropped }, 'heartbeat over its size limit: the oldest served-download reports left out');
    }
    return fit.beat;
  }

  /** Says so at start when this disk, less the reserve, can never hold an upload under the tracker's margin. */
  private async warnIfNoUploadRoom(margin: number | undefined): Promise<void> {
    if (margin === undefined) return;
    const reserve = this.opts.reserve ?? 0;
    const { totalBytes } = await this.opts.store.space().catch(() => ({ totalBytes: Infinity }));
    if (!noUploadRoom(totalBytes, reserve, margin)) return;
    this.opts.log.warn(
      { totalBytes, reserve, uploadMargin: margin },
      `this node can never take an upload: its disk (${totalBytes} bytes) less --reserve (${reserve}) is not above the tracker's --upload-margin (${margin}); lower either, or give it a bigger disk`,
    );
  }

  /** Disk space as uploads can use it: free bytes minus the reserve. */
  private async usable(): Promise<{ freeBytes: number; totalBytes: number }> {
    const { freeBytes, totalBytes } = await this.opts.store.space();
    return { freeBytes: Math.max(0, freeBytes - (this.opts.reserve ?? 0)), totalBytes };
  }
}

/** Why a stream was ended from the node's side: the tracker answered a heartbeat with NODE_NOT_FOUND. */
class Forgotten extends Error {}
