// The tracker's live view of storage nodes. Registrations are persisted so a
// restarted tracker still knows its nodes (and answers their heartbeats);
// liveness is in memory only: after a restart every node is down until it
// registers again. With several trackers on one store, each node holds a
// heartbeat stream to every tracker, so each tracker sees the same process
// end the same way; what the operator sets on a node (a drain) is in the
// stored record, which every tracker reads back (refresh) and never writes
// over with an older copy.
//
// A node is up while its heartbeats are recent (within downAfterMs) and, when
// it holds a heartbeat stream, while that stream is open: the stream closing
// (the node's process ended, its kernel closed the socket) marks it down at
// once; a machine that vanishes without closing its sockets is caught by the
// heartbeat timeout. Every change of state goes through one place, report(),
// which tells the listeners (the log, replication, the streams; later other
// trackers).
import { HoardError } from '../../common/protocol/errors.js';
import { HEARTBEAT_LATE_MS } from '../../common/protocol/routes.js';
import type { Heartbeat, NodeRegistration, NodeState, NodeStatus } from '../../common/protocol/types.js';
import type { MetaStore, NodeRecord } from '../meta/store.js';

/** Heartbeats refresh the stored record at most this often (the stored copy only feeds restarts). */
const PERSIST_EVERY_MS = 60_000;

/** What made a node's state change. */
export type ChangeCause = 'registered' | 'heartbeat' | 'stream closed' | 'no heartbeat';

export interface NodeChange {
  id: string;
  state: NodeState;
  cause: ChangeCause;
  /** On the way up: when the node went down (ISO), this process's start if it was never up since. */
  downSince?: string;
}

export type ChangeListener = (change: NodeChange) => void;

interface Entry {
  rec: NodeRecord;
  /** Time of the last registration or heartbeat since this process started; 0 = none. */
  beatAt: number;
  load: number;
  blobCount: number;
  /** The node's --reserve, from its last heartbeat (not stored: the next heartbeat brings it again). */
  reserve?: number;
  persistedAt: number;
  /** The state the listeners were last told. */
  reported: NodeState;
  /** When the state last became down (this process's start for a node not seen since). */
  downAt: number;
  /** The open heartbeat stream's token. */
  stream?: number;
  /** Its stream closed at this time: down until it registers again, whatever heartbeats still arrive. */
  cutAt?: number;
}

export interface TopologyOptions {
  /** Without a heartbeat for this long a node is down. */
  downAfterMs: number;
  /** Without a heartbeat for this long a node is late (default HEARTBEAT_LATE_MS). */
  lateAfterMs?: number;
  now?: () => number;
}

export class Topology {
  private readonly nodes = new Map<string, Entry>();
  private readonly listeners: ChangeListener[] = [];
  /** A node not heard from since this process started counts as down from here (repair grace starts now). */
  private readonly startedAt: number;
  private readonly downAfterMs: number;
  private readonly lateAfterMs: number;
  private readonly now: () => number;
  private streams = 0;

  constructor(
    private readonly store: MetaStore,
    opts: TopologyOptions,
  ) {
    this.downAfterMs = opts.downAfterMs;
    this.lateAfterMs = opts.lateAfterMs ?? HEARTBEAT_LATE_MS;
    this.now = opts.now ?? Date.now;
    this.startedAt = this.now();
  }

  async load(): Promise<void> {
    for (const rec of await this.store.nodes.list()) {
      this.nodes.set(rec.id, { rec, beatAt: 0, load: 0, blobCount: 0, persistedAt: 0, reported: 'down', downAt: this.startedAt });
    }
  }

  /** Called on every change of a node's state, as it happens. */
  onChange(listener: ChangeListener): void {
    this.listeners.push(listener);
  }

  /** A registration without a stream: the node is up while its heartbeats come. */
  async register(reg: NodeRegistration): Promise<void> {
    await this.admit(reg, undefined);
  }

  /**
   * A registration riding a heartbeat stream: the node is up until the stream
   * closes (disconnect with the token returned) or its heartbeats stop. A
   * newer stream of the same node replaces the older one.
   */
  async connect(reg: NodeRegistration): Promise<number> {
    const token = ++this.streams;
    await this.admit(reg, token);
    return token;
  }

  /** The stream `token` closed: the node is down now, unless a newer stream replaced it. */
  disconnect(id: string, token: number): void {
    const e = this.nodes.get(id);
    if (!e || e.stream !== token) return;
    e.stream = undefined;
    e.cutAt = this.now();
    this.report(e, 'stream closed');
  }

  /** Throws NODE_NOT_FOUND for a node that never registered (the node then registers again). */
  async heartbeat(hb: Heartbeat): Promise<void> {
    const e = this.nodes.get(hb.id);
    if (!e) throw new HoardError('NODE_NOT_FOUND');
    const t = this.now();
    e.beatAt = t;
    e.load = hb.load;
    e.blobCount = hb.blobCount;
    if (hb.reserveBytes !== undefined) e.reserve = hb.reserveBytes;
    e.rec = { ...e.rec, freeBytes: hb.freeBytes, totalBytes: hb.totalBytes, lastSeen: new Date(t).toISOString() };
    this.report(e, 'heartbeat');
    if (t - e.persistedAt >= PERSIST_EVERY_MS) {
      e.persistedAt = t;
      e.rec = withStoredFlags(e.rec, await this.store.nodes.get(hb.id));
      await this.store.nodes.put(e.rec);
    }
  }

  /**
   * Reads the stored node records back: nodes that registered at another
   * tracker of the cluster, and drains started or ended there. Liveness is
   * this tracker's own (every node streams to every tracker).
   */
  async refresh(): Promise<void> {
    for (const rec of await this.store.nodes.list()) {
      const e = this.nodes.get(rec.id);
      if (!e) this.nodes.set(rec.id, { rec, beatAt: 0, load: 0, blobCount: 0, persistedAt: 0, reported: 'down', downAt: this.startedAt });
      else e.rec = withStoredFlags(e.rec, rec);
    }
  }

  /** Looks for nodes whose heartbeats stopped (call it about every second); the listeners hear of each. */
  sweep(): void {
    for (const e of this.nodes.values()) this.report(e, 'no heartbeat');
  }

  /** Starts or ends a drain; persisted at once. Throws NODE_NOT_FOUND. */
  async setDraining(id: string, draining: boolean): Promise<NodeStatus> {
    const e = this.nodes.get(id);
    if (!e) throw new HoardError('NODE_NOT_FOUND');
    const rec: NodeRecord = { ...e.rec };
    if (draining) rec.draining = true;
    else delete rec.draining;
    await this.store.nodes.put(rec);
    e.rec = rec;
    return this.toStatus(e, this.now());
  }

  list(): NodeStatus[] {
    const t = this.now();
    return [...this.nodes.values()].map((e) => this.toStatus(e, t)).sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  get(id: string): NodeStatus | undefined {
    const e = this.nodes.get(id);
    return e && this.toStatus(e, this.now());
  }

  isLive(id: string): boolean {
    const e = this.nodes.get(id);
    return e !== undefined && this.stateOf(e, this.now()) === 'up';
  }

  private async admit(reg: NodeRegistration, stream: number | undefined): Promise<void> {
    const t = this.now();
    // The stored record, not this tracker's copy: another tracker may have registered the node or drained it.
    const old = await this.store.nodes.get(reg.id);
    const stamp = new Date(t).toISOString();
    // A drain outlives restarts of the node: only the operator ends it.
    const rec: NodeRecord = withStoredFlags({ ...reg, registered: stamp, lastSeen: stamp }, old);
    await this.store.nodes.put(rec);
    // The entry is replaced whole: a registration ends any earlier cut, and a stream opened
    // meanwhile by the same node (a newer one) keeps its token.
    const now = this.nodes.get(reg.id);
    const e: Entry = {
      rec,
      beatAt: t,
      load: now?.load ?? 0,
      blobCount: now?.blobCount ?? 0,
      reserve: now?.reserve,
      persistedAt: t,
      reported: now?.reported ?? 'down',
      downAt: now?.downAt ?? t,
      stream: stream ?? now?.stream,
    };
    if (stream !== undefined && now?.stream !== undefined && now.stream > stream) e.stream = now.stream;
    this.nodes.set(reg.id, e);
    this.report(e, 'registered');
  }

  private stateOf(e: Entry, t: number): NodeState {
    return e.cutAt === undefined && e.beatAt > 0 && t - e.beatAt <= this.downAfterMs ? 'up' : 'down';
  }

  /** When the current down period began, as the state says (not yet reported, perhaps). */
  private downSince(e: Entry): number {
    if (e.cutAt !== undefined) return e.cutAt;
    return e.beatAt > 0 ? e.beatAt + this.downAfterMs : this.startedAt;
  }

  /** The one place a state change is noticed and told. */
  private report(e: Entry, cause: ChangeCause): void {
    const state = this.stateOf(e, this.now());
    if (state === e.reported) return;
    e.reported = state;
    const change: NodeChange = { id: e.rec.id, state, cause };
    if (state === 'down') e.downAt = this.downSince(e);
    else change.downSince = new Date(e.downAt).toISOString();
    for (const l of this.listeners) l(change);
  }

  private toStatus(e: Entry, t: number): NodeStatus {
    const { id, zone, publicUrl, freeBytes, totalBytes, lastSeen } = e.rec;
    const state = this.stateOf(e, t);
    const st: NodeStatus = { id, zone, publicUrl, freeBytes, totalBytes, state, lastSeen, load: e.load, blobCount: e.blobCount };
    if (e.rec.draining) st.draining = true;
    if (e.reserve !== undefined) st.reserveBytes = e.reserve;
    if (state === 'down') st.downSince = new Date(this.downSince(e)).toISOString();
    else {
      if (t - e.beatAt > this.lateAfterMs) st.late = true;
      if (e.stream !== undefined) st.streaming = true;
    }
    return st;
  }
}

/** `rec` with what the stored record says that only the operator or the first registration sets: registered, draining. */
function withStoredFlags(rec: NodeRecord, stored: NodeRecord | undefined): NodeRecord {
  if (!stored) return rec;
  const out: NodeRecord = { ...rec, registered: stored.registered };
  if (stored.draining) out.draining = true;
  else delete out.draining;
  return out;
}
