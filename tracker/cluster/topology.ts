// The tracker's live view of storage nodes. Registrations are persisted so a
// restarted tracker still knows its nodes (and answers their heartbeats);
// liveness is in memory only: after a restart every node is down until its
// next heartbeat.
import { HoardError } from '../../common/protocol/errors.js';
import type { Heartbeat, NodeRegistration, NodeState, NodeStatus } from '../../common/protocol/types.js';
import type { MetaStore, NodeRecord } from '../meta/store.js';

/** Heartbeats refresh the stored record at most this often (the stored copy only feeds restarts). */
const PERSIST_EVERY_MS = 60_000;

interface Entry {
  rec: NodeRecord;
  /** Time of the last registration or heartbeat since this process started; 0 = none. */
  beatAt: number;
  load: number;
  blobCount: number;
  persistedAt: number;
  reported: NodeState;
}

export interface Transitions {
  up: string[];
  down: string[];
}

export class Topology {
  private readonly nodes = new Map<string, Entry>();
  /** A node not heard from since this process started counts as down from here (repair grace starts now). */
  private readonly startedAt: number;

  constructor(
    private readonly store: MetaStore,
    private readonly downAfterMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.startedAt = now();
  }

  async load(): Promise<void> {
    for (const rec of await this.store.nodes.list()) {
      this.nodes.set(rec.id, { rec, beatAt: 0, load: 0, blobCount: 0, persistedAt: 0, reported: 'down' });
    }
  }

  async register(reg: NodeRegistration): Promise<void> {
    const t = this.now();
    const old = this.nodes.get(reg.id);
    const stamp = new Date(t).toISOString();
    const rec: NodeRecord = { ...reg, registered: old?.rec.registered ?? stamp, lastSeen: stamp };
    // A drain outlives restarts of the node: only the operator ends it.
    if (old?.rec.draining) rec.draining = true;
    await this.store.nodes.put(rec);
    this.nodes.set(reg.id, { rec, beatAt: t, load: old?.load ?? 0, blobCount: old?.blobCount ?? 0, persistedAt: t, reported: old?.reported ?? 'down' });
  }

  /** Throws NODE_NOT_FOUND for a node that never registered (the node then registers again). */
  async heartbeat(hb: Heartbeat): Promise<void> {
    const e = this.nodes.get(hb.id);
    if (!e) throw new HoardError('NODE_NOT_FOUND');
    const t = this.now();
    e.beatAt = t;
    e.load = hb.load;
    e.blobCount = hb.blobCount;
    e.rec = { ...e.rec, freeBytes: hb.freeBytes, totalBytes: hb.totalBytes, lastSeen: new Date(t).toISOString() };
    if (t - e.persistedAt >= PERSIST_EVERY_MS) {
      e.persistedAt = t;
      await this.store.nodes.put(e.rec);
    }
  }

  private stateOf(e: Entry, t: number): NodeState {
    return e.beatAt > 0 && t - e.beatAt <= this.downAfterMs ? 'up' : 'down';
  }

  private toStatus(e: Entry, t: number): NodeStatus {
    const { id, zone, publicUrl, freeBytes, totalBytes, lastSeen } = e.rec;
    const state = this.stateOf(e, t);
    const st: NodeStatus = { id, zone, publicUrl, freeBytes, totalBytes, state, lastSeen, load: e.load, blobCount: e.blobCount };
    if (e.rec.draining) st.draining = true;
    if (state === 'down') st.downSince = new Date(e.beatAt > 0 ? e.beatAt + this.downAfterMs : this.startedAt).toISOString();
    return st;
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

  /** State changes since the previous call, for logging. */
  sweep(): Transitions {
    const t = this.now();
    const out: Transitions = { up: [], down: [] };
    for (const e of this.nodes.values()) {
      const s = this.stateOf(e, t);
      if (s !== e.reported) {
        e.reported = s;
        out[s].push(e.rec.id);
      }
    }
    return out;
  }
}
