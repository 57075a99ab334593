// Replication and repair metrics, on prom-client's default registry (the
// tracker's /metrics route serves that registry).
import { Counter, Gauge, register } from 'prom-client';

function once<T>(name: string, make: () => T): T {
  // A second import in one process (tests) must not register a metric twice.
  return (register.getSingleMetric(name) as T | undefined) ?? make();
}

export const blobsBelowFactor = once(
  'hoard_blobs_below_replication_factor',
  () => new Gauge({ name: 'hoard_blobs_below_replication_factor', help: 'Blobs with fewer live copies than the replication factor, at the last repair scan' }),
);

export const repairBacklog = once(
  'hoard_repair_backlog_tasks',
  () => new Gauge({ name: 'hoard_repair_backlog_tasks', help: 'Copies, drops and forgets the last repair scan found to do', labelNames: ['kind'] as const }),
);

export const replicationBytes = once(
  'hoard_replication_bytes_total',
  () => new Counter({ name: 'hoard_replication_bytes_total', help: 'Bytes copied node to node by replication, repair and rebalance' }),
);

export const replicationCopies = once(
  'hoard_replication_copies_total',
  () => new Counter({ name: 'hoard_replication_copies_total', help: 'Node-to-node copies by reason and result', labelNames: ['why', 'result'] as const }),
);

export const replicasInFlight = once(
  'hoard_replication_in_flight',
  () => new Gauge({ name: 'hoard_replication_in_flight', help: 'Node-to-node copies running now' }),
);
