// Download leases as a node sees them: the connections serving each lease
// (ranges of one file over several connections are one download, sharing one
// rate cap), and the report the heartbeat carries to the tracker: leases
// still being served, and leases whose last connection ended. The tracker
// releases an ended lease, so its holder may download another file.
import type { LeaseReport } from '../../common/protocol/types.js';
import { Pacer } from './pacer.js';

/** A lease with no connection for this long is reported ended (a client between two ranges is not). */
export const LEASE_LINGER_MS = 1_000;
/**
 * How long an ended lease stays in the reports: every tracker the node beats
 * to (one heartbeat each per 2 s) hears of it, and releasing twice is harmless.
 */
export const ENDED_REPORT_MS = 5_000;
/** Most leases one heartbeat reports of each kind (the rest go in the next one). */
const REPORT_MAX = 5_000;

interface Group {
  pacer: Pacer;
  connections: number;
  /** When the last connection ended; 0 while one is open. */
  idleSince: number;
}

export class LeaseGroups {
  private readonly groups = new Map<string, Group>();

  constructor(private readonly now: () => number = Date.now) {}

  /** A connection of lease `id` starts: its group's pacer. */
  join(id: string): Pacer {
    let g = this.groups.get(id);
    if (!g) {
      g = { pacer: new Pacer(), connections: 0, idleSince: 0 };
      this.groups.set(id, g);
    }
    g.connections++;
    g.idleSince = 0;
    return g.pacer;
  }

  /** A connection of lease `id` ended (whole, cut or failed). */
  leave(id: string): void {
    const g = this.groups.get(id);
    if (!g) return;
    g.connections = Math.max(g.connections - 1, 0);
    if (g.connections === 0) g.idleSince = this.now();
  }

  /** Leases being served, and leases ended (reported for ENDED_REPORT_MS, then forgotten here). */
  report(): LeaseReport {
    const active: string[] = [];
    const ended: string[] = [];
    const now = this.now();
    for (const [id, g] of this.groups) {
      if (g.connections > 0) {
        if (active.length < REPORT_MAX) active.push(id);
      } else if (now - g.idleSince >= LEASE_LINGER_MS + ENDED_REPORT_MS) {
        this.groups.delete(id);
      } else if (now - g.idleSince >= LEASE_LINGER_MS && ended.length < REPORT_MAX) {
        ended.push(id);
      }
    }
    return { active, ended };
  }

  get size(): number {
    return this.groups.size;
  }
}
