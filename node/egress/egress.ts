// What paces a download on this node: its lease's rate cap (from the signed
// claims, lifted inside their happy window by this node's clock) and the
// uplink budget shared by weight. A download with neither (premium on a node
// without --uplink-rate, a copy between nodes) gets no gate and takes the
// store's unpaced path.
import { setTimeout as sleep } from 'node:timers/promises';
import { effectiveRate, weightTier, type DownloadClaims } from '../../common/protocol/download-policy.js';
import type { Tier } from '../../common/protocol/tiers.js';
import { LeaseGroups } from './leases.js';
import { Pacer } from './pacer.js';
import { ServedBook } from './served.js';
import { Uplink, type UplinkFlow } from './uplink.js';

export type TierWeights = Readonly<Record<Tier, number>>;

export interface EgressOptions {
  /** Bytes/s of the node's uplink, 0 = no budget. */
  uplinkRate: number;
  weights: TierWeights;
  /** Fraction of the uplink split evenly among waiting transfers before weights apply. */
  minShare: number;
  /** The clock the happy window is judged by (the real one outside tests). */
  policyNow: () => number;
}

/** Bytes per paced write: small enough that a capped download starts at once and flows evenly. */
function sliceFor(rate: number): number {
  if (rate <= 0) return 64 * 1024;
  return Math.min(Math.max(Math.floor(rate / 16), 4 * 1024), 64 * 1024);
}

/** The weight of a download without claims (a copy between nodes, which the tracker rate-limits itself). */
const UNTIERED: Tier = 'admin';

export class Egress {
  readonly leases: LeaseGroups;
  /** Bytes served per download id, for the heartbeat. */
  readonly served = new ServedBook();
  private readonly uplink: Uplink | undefined;

  constructor(private readonly opts: EgressOptions) {
    this.leases = new LeaseGroups();
    this.uplink = opts.uplinkRate > 0 ? new Uplink(opts.uplinkRate, opts.minShare) : undefined;
  }

  /**
   * One response's transfer, or undefined when nothing tracks or paces it;
   * close() it when the response ends. Its gate is set only when the
   * response must be paced (a rate cap, or the uplink budget).
   */
  open(claims: DownloadClaims | undefined): Transfer | undefined {
    if (!claims?.lease && !claims?.rate && !this.uplink) return undefined;
    return new Transfer(this, claims, claims?.rate !== undefined && claims.rate > 0 || this.uplink !== undefined);
  }

  /** @internal */
  flow(claims: DownloadClaims | undefined): UplinkFlow | undefined {
    const { weights, policyNow } = this.opts;
    return this.uplink?.flow(() => weights[claims ? weightTier(claims, policyNow()) : UNTIERED]);
  }

  /** @internal */
  get policyNow(): () => number {
    return this.opts.policyNow;
  }
}

/** One response: its place in its lease's group, and its pacing. */
export class Transfer {
  private readonly pacer: Pacer | undefined;
  private readonly flow: UplinkFlow | undefined;
  private closed = false;
  readonly slice: number;
  /** The pacing the response is sent through; undefined for the unpaced path (a lease tracked, no cap, no budget). */
  readonly gate: Transfer | undefined;
  /** Told the bytes of each slice handed to the socket. */
  sent?: (n: number) => void;

  constructor(
    private readonly egress: Egress,
    private readonly claims: DownloadClaims | undefined,
    paced: boolean,
  ) {
    // Connections of one lease share its pacer: the cap applies to their sum.
    if (claims?.lease) this.pacer = egress.leases.join(claims.lease);
    else if (claims && claims.rate > 0) this.pacer = new Pacer();
    this.flow = egress.flow(claims);
    this.slice = sliceFor(claims?.rate ?? 0);
    this.gate = paced ? this : undefined;
  }

  /** Resolves when `n` more bytes may leave. */
  async take(n: number): Promise<void> {
    if (this.pacer && this.claims) {
      const wait = this.pacer.delay(n, effectiveRate(this.claims, this.egress.policyNow()), Date.now());
      if (wait >= 1) await sleep(wait);
    }
    if (this.flow) await this.flow.take(n);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.claims?.lease) this.egress.leases.leave(this.claims.lease);
  }
}
