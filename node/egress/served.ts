// What a node served under each download id, for the tracker to count
// complete downloads (docs/rewards.md): the ranges of the blob whose bytes
// went out, merged over connections. Each heartbeat carries every download
// served lately with all its ranges, so a lost beat loses nothing and the
// tracker, taking the union, may hear a download twice.
import { addRange, type ServedRange } from '../../common/protocol/served.js';
import type { ServedReport } from '../../common/protocol/types.js';

/** A download is reported while bytes went out within this long, then forgotten here: long enough to outlast a heartbeat stream that breaks and registers again (a node stalled for seconds), not only a lost beat. */
export const SERVED_REPORT_MS = 30_000;
/** Most downloads one heartbeat reports (the oldest wait for the next one). */
const REPORT_MAX = 5_000;

interface Served {
  blob: string;
  ranges: ServedRange[];
  /** When bytes last went out. */
  last: number;
}

export class ServedBook {
  private readonly byId = new Map<string, Served>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Bytes `start`..`end` (inclusive) of `blob` went out under download `id`. */
  add(id: string, blob: string, start: number, end: number): void {
    if (end < start) return;
    const s = this.byId.get(id);
    if (s && s.blob === blob) {
      s.ranges = addRange(s.ranges, start, end);
      s.last = this.now();
      // Map order is report order: the freshest last.
      this.byId.delete(id);
      this.byId.set(id, s);
      return;
    }
    this.byId.delete(id);
    this.byId.set(id, { blob, ranges: [[start, end]], last: this.now() });
  }

  /** Downloads served within SERVED_REPORT_MS, each with all its ranges; older ones are forgotten. */
  report(): ServedReport[] {
    const now = this.now();
    const out: ServedReport[] = [];
    for (const [id, s] of this.byId) {
      if (now - s.last >= SERVED_REPORT_MS) this.byId.delete(id);
      else if (out.length < REPORT_MAX) out.push({ id, blob: s.blob, ranges: s.ranges.map(([a, b]) => [a, b]) });
    }
    return out;
  }

  get size(): number {
    return this.byId.size;
  }
}
