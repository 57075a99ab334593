// Evening out disk use, decided without touching anything: which node gives,
// which takes, how many bytes, and which blobs move. Pure, with table tests
// (test/unit/tracker/replication/rebalance-plan.test.ts); a move is a copy followed by a drop
// of the giver's copy, carried out by executor.ts.
import { fillOf } from '../cluster/placement.js';
import type { PlanBlob, PlanNode, RepairTask } from './repair-plan.js';

export interface RebalancePair {
  source: PlanNode;
  target: PlanNode;
  /** Bytes that would bring the two to the same used fraction (capped by maxBytes). */
  bytes: number;
}

/**
 * The fullest and the emptiest live, non-draining node, when their used
 * fractions differ by at least `thresholdPct` percentage points.
 */
export function pickRebalancePair(nodes: readonly PlanNode[], thresholdPct: number, maxBytes: number): RebalancePair | undefined {
  const ok = nodes.filter((n) => n.up && !n.draining && n.totalBytes > 0).sort((a, b) => fillOf(b) - fillOf(a) || (a.id < b.id ? -1 : 1));
  if (ok.length < 2) return undefined;
  const source = ok[0]!;
  const target = ok[ok.length - 1]!;
  if ((fillOf(source) - fillOf(target)) * 100 < thresholdPct) return undefined;
  const usedS = source.totalBytes - source.freeBytes;
  const usedT = target.totalBytes - target.freeBytes;
  // Moving x bytes: (usedS - x) / totalS = (usedT + x) / totalT.
  const even = Math.floor((usedS * target.totalBytes - usedT * source.totalBytes) / (source.totalBytes + target.totalBytes));
  const bytes = Math.min(maxBytes, even);
  return bytes > 0 ? { source, target, bytes } : undefined;
}

export interface MoveOptions {
  replicas: number;
  margin: number;
  busy?: ReadonlySet<string>;
  maxTasks?: number;
}

/**
 * Blobs of `pair.source` to move to `pair.target`, up to `budget` bytes: only
 * blobs whose every copy is live and at the factor, and only where the target's
 * zone holds no other copy (a move never puts two copies in one zone).
 */
export function planMoves(
  blobs: readonly PlanBlob[],
  nodes: readonly PlanNode[],
  pair: RebalancePair,
  budget: number,
  opts: MoveOptions,
): { tasks: RepairTask[]; bytes: number } {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const tasks: RepairTask[] = [];
  let bytes = 0;
  let room = pair.target.freeBytes;
  for (const b of blobs) {
    if (tasks.length >= (opts.maxTasks ?? Infinity)) break;
    if (!b.nodes.includes(pair.source.id) || b.nodes.includes(pair.target.id) || opts.busy?.has(b.id)) continue;
    if (b.size === 0 || bytes + b.size > budget || room - b.size < opts.margin) continue;
    const holders = b.nodes.map((id) => byId.get(id));
    if (holders.length < opts.replicas || holders.some((n) => !n || !n.up || n.draining)) continue;
    const otherZones = new Set(holders.filter((n) => n!.id !== pair.source.id).map((n) => n!.zone));
    if (otherZones.has(pair.target.zone)) continue;
    tasks.push({ kind: 'copy', blob: b.id, size: b.size, source: pair.source.id, target: pair.target.id, why: 'rebalance', thenDrop: pair.source.id });
    bytes += b.size;
    room -= b.size;
  }
  return { tasks, bytes };
}
