// Weighted fair sharing of an uplink, as a pure function: what each
// transfer waiting for bytes gets of the bytes the uplink has now.
//
// First a floor: `minShare` of the capacity, split evenly among the flows
// that want bytes, so no flow starves whatever the weights. Then the rest by
// weight, water-filling: a flow that wants less than its weighted share gets
// what it wants and the remainder goes round again to the others.

export interface FlowDemand {
  /** > 0. */
  weight: number;
  /** Bytes the flow wants now (≥ 0). */
  demand: number;
}

export function fairShares(capacity: number, flows: readonly FlowDemand[], minShare: number): number[] {
  const shares = flows.map(() => 0);
  const wanting = flows.map((f, i) => i).filter((i) => flows[i]!.demand > 0);
  if (capacity <= 0 || wanting.length === 0) return shares;
  let left = capacity;
  const floor = (capacity * Math.min(Math.max(minShare, 0), 1)) / wanting.length;
  for (const i of wanting) {
    const give = Math.min(floor, flows[i]!.demand);
    shares[i] = give;
    left -= give;
  }
  let open = wanting.filter((i) => shares[i]! < flows[i]!.demand);
  // Each round either satisfies a flow or hands out everything left: at most one round per flow.
  while (left > 1e-9 && open.length > 0) {
    const total = open.reduce((s, i) => s + flows[i]!.weight, 0);
    const satisfied = open.filter((i) => flows[i]!.demand - shares[i]! <= (left * flows[i]!.weight) / total);
    if (satisfied.length === 0) {
      for (const i of open) shares[i]! += (left * flows[i]!.weight) / total;
      left = 0;
      break;
    }
    for (const i of satisfied) {
      left -= flows[i]!.demand - shares[i]!;
      shares[i] = flows[i]!.demand;
    }
    open = open.filter((i) => !satisfied.includes(i));
  }
  return shares;
}
