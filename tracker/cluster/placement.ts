// Where bytes go and where they are read from. Pure functions over node
// statuses and a random source, so table tests cover them without servers.
import type { NodeStatus } from '../../common/protocol/types.js';

/** Free space a node must keep beyond what it takes (the default of the uploadMargin key): heartbeats lag behind disk use. */
export const UPLOAD_MARGIN_BYTES = 64 * 1024 * 1024;
/** New uploads go to the emptiest nodes (within this many used-fraction points): a new node fills first. */
export const UPLOAD_FILL_BAND = 0.05;

export interface PlacementRequest {
  nodes: readonly NodeStatus[];
  /** Bytes to store (0 when unknown). */
  size: number;
  /** Free bytes a node must keep beyond the upload: heartbeats lag behind real disk use. */
  margin: number;
  /** Uniform in [0, 1). */
  random: () => number;
  /** Zones already holding a copy: other zones are preferred when they can take it. */
  avoidZones?: readonly string[];
  /** Node ids never to choose. */
  exclude?: readonly string[];
  /**
   * When set, only nodes whose used fraction is within this much of the
   * emptiest eligible node's are drawn from: a new, empty node takes new
   * uploads first until it has caught up with the others.
   */
  fillBand?: number;
}

/** Used fraction of a node's disk (0 when its size is unknown). */
export function fillOf(n: Pick<NodeStatus, 'freeBytes' | 'totalBytes'>): number {
  return n.totalBytes > 0 ? 1 - n.freeBytes / n.totalBytes : 0;
}

export type PlacementReason = 'no-nodes' | 'all-down' | 'no-space';

/**
 * What a client is told when placement fails: the reason, never a figure
 * (free bytes, node counts) that would let a stranger measure the cluster;
 * the log keeps the decision's detail.
 */
export const PLACEMENT_REFUSALS: Readonly<Record<PlacementReason, string>> = {
  'no-nodes': 'No storage node is registered',
  'all-down': 'No storage node is up',
  'no-space': 'No live storage node has room for this upload',
};

export type PlacementDecision =
  | { ok: true; node: NodeStatus }
  | { ok: false; reason: PlacementReason; detail: string };

const byId = (a: NodeStatus, b: NodeStatus) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

function pickIndex(n: number, random: () => number): number {
  return Math.min(n - 1, Math.floor(random() * n));
}

/**
 * Live nodes with free ≥ size + margin are eligible. A zone is drawn
 * uniformly among eligible zones (preferring zones not in avoidZones), so new
 * content spreads over zones rather than piling into the biggest one; within
 * the zone a node is drawn with probability proportional to its free bytes.
 */
export function choosePlacement(req: PlacementRequest): PlacementDecision {
  const exclude = new Set(req.exclude ?? []);
  const known = req.nodes.filter((n) => !exclude.has(n.id));
  if (known.length === 0) return { ok: false, reason: 'no-nodes', detail: 'no storage node is registered' };
  // A draining node is being emptied: it keeps serving reads but takes nothing new.
  const live = known.filter((n) => n.state === 'up' && !n.draining);
  if (live.length === 0) return { ok: false, reason: 'all-down', detail: `all ${known.length} storage nodes are down` };
  const need = req.size + req.margin;
  const fit = live.filter((n) => n.freeBytes >= need);
  if (fit.length === 0) return { ok: false, reason: 'no-space', detail: `no live node has ${need} bytes free` };

  let eligible = fit;
  if (req.fillBand !== undefined) {
    const least = Math.min(...fit.map(fillOf));
    eligible = fit.filter((n) => fillOf(n) <= least + req.fillBand!);
  }
  const avoid = new Set(req.avoidZones ?? []);
  const fresh = eligible.filter((n) => !avoid.has(n.zone));
  const pool = fresh.length > 0 ? fresh : eligible;
  const zones = [...new Set(pool.map((n) => n.zone))].sort();
  const zone = zones[pickIndex(zones.length, req.random)]!;
  const inZone = pool.filter((n) => n.zone === zone).sort(byId);

  const total = inZone.reduce((s, n) => s + n.freeBytes, 0);
  if (total <= 0) return { ok: true, node: inZone[pickIndex(inZone.length, req.random)]! };
  let r = req.random() * total;
  for (const n of inZone) {
    r -= n.freeBytes;
    if (r < 0) return { ok: true, node: n };
  }
  return { ok: true, node: inZone[inZone.length - 1]! };
}

/**
 * A node in a zone none of `zones` is in, by choosePlacement's rules (live,
 * not draining, room for the size and margin, the fill band): a follower of
 * the write pipeline. Undefined when no other zone can take the upload.
 */
export function chooseInNewZone(req: PlacementRequest, zones: readonly string[]): NodeStatus | undefined {
  const taken = new Set(zones);
  const d = choosePlacement({ ...req, nodes: req.nodes.filter((n) => !taken.has(n.zone)), avoidZones: undefined });
  return d.ok ? d.node : undefined;
}

export type PipelineDecision =
  | { ok: true; first: NodeStatus; followers: NodeStatus[] }
  | { ok: false; reason: PlacementReason; detail: string };

/**
 * The node an upload goes to, as choosePlacement draws it, and up to
 * `copies - 1` followers, each in a zone no chosen node is in. Fewer
 * followers than asked when fewer zones can take the upload: the caller
 * applies the under-quorum policy.
 */
export function choosePipeline(req: PlacementRequest, copies: number): PipelineDecision {
  const d = choosePlacement(req);
  if (!d.ok) return d;
  const followers: NodeStatus[] = [];
  const chosen = [d.node];
  while (chosen.length < copies) {
    const next = chooseInNewZone({ ...req, exclude: [...(req.exclude ?? []), ...chosen.map((n) => n.id)] }, chosen.map((n) => n.zone));
    if (!next) break;
    chosen.push(next);
    followers.push(next);
  }
  return { ok: true, first: d.node, followers };
}

/**
 * A live holder to read from: the least loaded, random among equals. Nodes
 * in `avoid` (where the client just failed), then late ones (a heartbeat
 * overdue: the machine may be gone), then draining ones are used only when
 * no better live holder is left.
 */
export function chooseReadNode(nodes: readonly NodeStatus[], holders: readonly string[], random: () => number, avoid: readonly string[] = []): NodeStatus | undefined {
  const held = new Set(holders);
  const shun = new Set(avoid);
  const all = nodes.filter((n) => n.state === 'up' && held.has(n.id)).sort(byId);
  const rank = (n: NodeStatus) => (shun.has(n.id) ? 4 : 0) + (n.late ? 2 : 0) + (n.draining ? 1 : 0);
  const best = Math.min(...all.map(rank));
  const live = all.filter((n) => rank(n) === best);
  if (live.length === 0) return undefined;
  const least = Math.min(...live.map((n) => n.load));
  const calm = live.filter((n) => n.load === least);
  return calm[pickIndex(calm.length, random)];
}
