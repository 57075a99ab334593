// What replication and repair should do, decided without touching anything:
// blobs (with their holders and the nodes whose copy was reported bad) +
// node states + zones + the clock in, a list of tasks out. Pure, so table
// tests cover every case (test/unit/tracker/replication/repair-plan.test.ts);
// executor.ts carries the tasks out.
//
// A bad copy is a missing copy with a known place to go back to: its node is
// the first target (the copy is re-made in place, from a live holder), and
// any remaining shortfall goes to other nodes as after a node loss.
import type { NodeStatus, RepairCounts } from '../../common/protocol/types.js';

/** A node as the planner sees it. */
export interface PlanNode {
  id: string;
  zone: string;
  up: boolean;
  draining: boolean;
  freeBytes: number;
  totalBytes: number;
  load: number;
  /** Unix ms at which a down node went down. */
  downSince?: number;
}

export interface PlanBlob {
  id: string;
  size: number;
  nodes: readonly string[];
  /** Nodes whose copy was reported bad and is not yet repaired (no longer holders). */
  bad?: readonly string[];
}

export interface PlanOptions {
  replicas: number;
  now: number;
  /** A holder down for less than this still counts as a copy (it may come back). */
  graceMs: number;
  /** Free bytes a target must keep beyond the copy. */
  margin: number;
  /** Blobs with a task already running: judged, but no new task. */
  busy?: ReadonlySet<string>;
  /** Bytes already on their way to each node (copies planned or running). */
  pending?: ReadonlyMap<string, number>;
  /** Most tasks to return; the counts still cover every blob. */
  maxTasks?: number;
}

export type CopyWhy = 'missing' | 'bad' | 'zone' | 'rebalance';

export type RepairTask =
  /** Copy the blob from `source` to `target`, then list `target` as a holder (why 'bad': and clear its bad-copy record). */
  | { kind: 'copy'; blob: string; size: number; source: string; target: string; why: CopyWhy; thenDrop?: string }
  /** Stop listing `node` as a holder, then delete its copy. */
  | { kind: 'drop'; blob: string; node: string; why: 'drained' | 'excess' }
  /** Stop listing a node that has been down past the grace period (its copy, if it returns, is reconciled). */
  | { kind: 'forget'; blob: string; node: string };

export type BlobHealth = 'ok' | 'busy' | 'waiting' | 'repair' | 'no-target' | 'unavailable' | 'tidy';

export interface BlobJudgement {
  health: BlobHealth;
  /** Live copies on nodes that are not draining. */
  good: number;
  /** Copies reported bad and not yet repaired (0 while busy)... */
  bad: number;
  /** ...of which wait: their node is down or no live copy can be read. */
  badWaiting: number;
  tasks: RepairTask[];
}

export interface RepairPlan {
  tasks: RepairTask[];
  counts: RepairCounts;
  /** `pending` plus the bytes of the copies in `tasks`. */
  pending: Map<string, number>;
}

export function emptyCounts(): RepairCounts {
  return { blobs: 0, belowFactor: 0, waiting: 0, unavailable: 0, noTarget: 0, copies: 0, drops: 0, forgets: 0, busy: 0, badCopies: 0, badWaiting: 0 };
}

/** NodeStatus (wire) → PlanNode. */
export function planNode(n: NodeStatus): PlanNode {
  const p: PlanNode = {
    id: n.id,
    zone: n.zone,
    up: n.state === 'up',
    draining: n.draining === true,
    freeBytes: n.freeBytes,
    totalBytes: n.totalBytes,
    load: n.load,
  };
  if (n.downSince) p.downSince = Date.parse(n.downSince);
  return p;
}

const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

interface Scratch {
  nodes: ReadonlyMap<string, PlanNode>;
  all: readonly PlanNode[];
  opts: PlanOptions;
  pending: Map<string, number>;
}

function isLost(n: PlanNode | undefined, s: Scratch): boolean {
  if (!n) return true; // a holder the tracker no longer knows
  return !n.up && s.opts.now - (n.downSince ?? s.opts.now) >= s.opts.graceMs;
}

function room(n: PlanNode, s: Scratch): number {
  return n.freeBytes - (s.pending.get(n.id) ?? 0);
}

/** Sources: copies on nodes that are not draining first, then the least loaded. */
function orderSources(live: PlanNode[]): PlanNode[] {
  return [...live].sort((a, b) => Number(a.draining) - Number(b.draining) || a.load - b.load || byId(a, b));
}

/**
 * Up to `count` targets: live, not draining, not a holder, with room for the
 * blob; zones without a copy first, then the most free bytes.
 */
function pickTargets(count: number, blob: PlanBlob, zonesHeld: Set<string>, s: Scratch, exclude: readonly string[] = []): PlanNode[] {
  const holders = new Set([...blob.nodes, ...exclude]);
  const need = blob.size + s.opts.margin;
  const out: PlanNode[] = [];
  const zones = new Set(zonesHeld);
  for (let i = 0; i < count; i++) {
    const cands = s.all.filter((n) => n.up && !n.draining && !holders.has(n.id) && !out.includes(n) && room(n, s) >= need);
    if (cands.length === 0) break;
    cands.sort((a, b) => Number(zones.has(a.zone)) - Number(zones.has(b.zone)) || room(b, s) - room(a, s) || byId(a, b));
    const t = cands[0]!;
    out.push(t);
    zones.add(t.zone);
    s.pending.set(t.id, (s.pending.get(t.id) ?? 0) + blob.size);
  }
  return out;
}

/** Zones in which some live, non-draining node could hold a copy of this blob. */
function zonesAvailable(blob: PlanBlob, s: Scratch): Set<string> {
  const need = blob.size + s.opts.margin;
  const holders = new Set(blob.nodes);
  const z = new Set<string>();
  for (const n of s.all) if (n.up && !n.draining && (holders.has(n.id) || room(n, s) >= need)) z.add(n.zone);
  return z;
}

/**
 * Which copies to keep when a blob has more good copies than the factor:
 * one per zone first (the roomiest node in each), then the roomiest others.
 */
function chooseKeep(good: PlanNode[], replicas: number, s: Scratch): Set<string> {
  const ordered = [...good].sort((a, b) => room(b, s) - room(a, s) || byId(a, b));
  const keep: PlanNode[] = [];
  const zones = new Set<string>();
  for (const n of ordered) {
    if (keep.length < replicas && !zones.has(n.zone)) {
      keep.push(n);
      zones.add(n.zone);
    }
  }
  for (const n of ordered) if (keep.length < replicas && !keep.includes(n)) keep.push(n);
  return new Set(keep.map((n) => n.id));
}

function judge(blob: PlanBlob, s: Scratch): BlobJudgement {
  const { replicas } = s.opts;
  const holders = [...new Set(blob.nodes)];
  const info = holders.map((id) => ({ id, node: s.nodes.get(id) }));
  const live = info.filter((h) => h.node?.up).map((h) => h.node!);
  const good = live.filter((n) => !n.draining);
  const waiting = info.filter((h) => h.node && !h.node.up && !isLost(h.node, s)).map((h) => h.node!);
  const lost = info.filter((h) => isLost(h.node, s)).map((h) => h.id);
  // A bad record of a node that holds the blob again is stale: nothing to repair there.
  const bad = [...new Set(blob.bad ?? [])].filter((id) => !holders.includes(id));
  const tasks: RepairTask[] = [];

  if (s.opts.busy?.has(blob.id)) return { health: 'busy', good: good.length, bad: 0, badWaiting: 0, tasks };
  if (live.length === 0) return { health: 'unavailable', good: 0, bad: bad.length, badWaiting: bad.length, tasks };

  const source = orderSources(live)[0]!;
  // Bad copies on live nodes are re-made in place (draining or not, as any repair of a known copy).
  const inPlace = bad.map((id) => s.nodes.get(id)).filter((n): n is PlanNode => n?.up === true);
  for (const n of inPlace) {
    tasks.push({ kind: 'copy', blob: blob.id, size: blob.size, source: source.id, target: n.id, why: 'bad' });
    s.pending.set(n.id, (s.pending.get(n.id) ?? 0) + blob.size);
  }
  const badWaiting = bad.length - inPlace.length;
  const restored = inPlace.filter((n) => !n.draining);

  const deficit = replicas - good.length - waiting.length - restored.length;
  if (deficit > 0) {
    const zonesHeld = new Set([...good, ...waiting, ...restored].map((n) => n.zone));
    const targets = pickTargets(deficit, blob, zonesHeld, s, bad);
    for (const t of targets) tasks.push({ kind: 'copy', blob: blob.id, size: blob.size, source: source.id, target: t.id, why: 'missing' });
    return { health: tasks.length > 0 ? 'repair' : 'no-target', good: good.length, bad: bad.length, badWaiting, tasks };
  }
  // Tidying waits until the copies made in place have landed and are counted.
  if (tasks.length > 0) return { health: 'repair', good: good.length, bad: bad.length, badWaiting, tasks };
  if (good.length < replicas) return { health: 'waiting', good: good.length, bad: bad.length, badWaiting, tasks };

  // At the factor with live copies alone: now it is safe to tidy up.
  for (const id of lost) tasks.push({ kind: 'forget', blob: blob.id, node: id });
  for (const n of live) if (n.draining) tasks.push({ kind: 'drop', blob: blob.id, node: n.id, why: 'drained' });

  const zonesGood = new Set(good.map((n) => n.zone));
  const reachable = zonesAvailable(blob, s);
  if (zonesGood.size < Math.min(replicas, reachable.size)) {
    // Enough copies, too few zones: add one in a new zone; the extra copy is dropped once it has landed.
    const [t] = pickTargets(1, blob, zonesGood, s);
    if (t && !zonesGood.has(t.zone)) {
      tasks.push({ kind: 'copy', blob: blob.id, size: blob.size, source: orderSources(good)[0]!.id, target: t.id, why: 'zone' });
      return { health: 'repair', good: good.length, bad: bad.length, badWaiting, tasks };
    }
    if (t) s.pending.set(t.id, (s.pending.get(t.id) ?? 0) - blob.size);
  }
  if (good.length > replicas) {
    const keep = chooseKeep(good, replicas, s);
    for (const n of good) if (!keep.has(n.id)) tasks.push({ kind: 'drop', blob: blob.id, node: n.id, why: 'excess' });
  }
  return { health: tasks.length > 0 ? 'tidy' : 'ok', good: good.length, bad: bad.length, badWaiting, tasks };
}

function scratch(nodes: readonly PlanNode[], opts: PlanOptions): Scratch {
  const sorted = [...nodes].sort(byId);
  return { nodes: new Map(sorted.map((n) => [n.id, n])), all: sorted, opts, pending: new Map(opts.pending ?? []) };
}

/** The judgement of one blob (what planRepair does for each). */
export function judgeBlob(blob: PlanBlob, nodes: readonly PlanNode[], opts: PlanOptions): BlobJudgement {
  return judge(blob, scratch(nodes, opts));
}

/** Tasks that bring `blobs` to the factor, in their zones, and tidy extra, lost and draining copies. */
export function planRepair(blobs: readonly PlanBlob[], nodes: readonly PlanNode[], opts: PlanOptions): RepairPlan {
  const s = scratch(nodes, opts);
  const counts = emptyCounts();
  const tasks: RepairTask[] = [];
  const max = opts.maxTasks ?? Infinity;
  for (const blob of blobs) {
    const before = new Map(s.pending);
    const j = judge(blob, s);
    counts.blobs++;
    if (j.good < opts.replicas && j.health !== 'busy') counts.belowFactor++;
    if (j.health === 'busy') counts.busy++;
    if (j.health === 'waiting') counts.waiting++;
    if (j.health === 'unavailable') counts.unavailable++;
    if (j.health === 'no-target') counts.noTarget++;
    counts.badCopies += j.bad;
    counts.badWaiting += j.badWaiting;
    for (const task of j.tasks) counts[task.kind === 'copy' ? 'copies' : task.kind === 'drop' ? 'drops' : 'forgets']++;
    if (tasks.length + j.tasks.length <= max) tasks.push(...j.tasks);
    else s.pending = before; // not started this time: its bytes are not on their way
  }
  return { tasks, counts, pending: s.pending };
}

/**
 * Whether a duplicate upload that landed on `nodeId` should be kept as one
 * of the blob's copies instead of being deleted: yes when the blob is below
 * its factor and the node's zone has no copy yet (or no other zone could
 * take one anyway).
 */
export function wantsCopy(blob: PlanBlob, nodeId: string, nodes: readonly PlanNode[], opts: PlanOptions): boolean {
  if (blob.nodes.includes(nodeId)) return false;
  const s = scratch(nodes, opts);
  const node = s.nodes.get(nodeId);
  if (!node || !node.up || node.draining) return false;
  const held = blob.nodes.map((id) => s.nodes.get(id)).filter((n): n is PlanNode => n !== undefined && !isLost(n, s) && !(n.up && n.draining));
  if (held.length >= opts.replicas) return false;
  const zones = new Set(held.map((n) => n.zone));
  if (!zones.has(node.zone)) return true;
  // Same zone as a copy: worth keeping only if no node in another zone could take one.
  const others = s.all.filter((n) => n.up && !n.draining && !zones.has(n.zone) && n.freeBytes >= blob.size + opts.margin);
  return others.length === 0;
}
