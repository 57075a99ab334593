// Which tracker runs each worker. Trackers sharing one PostgreSQL run every
// worker that walks the whole cluster (repair, reconcile, rebalance, gc,
// fsck) at one of them: the holder of the worker's lease (the store's
// LeaseBook), kept until it dies or stops, then taken by the next tracker
// that tries (the keeper tries every LEASE_TRY_MS). `replicate` is not
// leased: it copies the blobs this tracker committed below their factor, a
// list only this tracker has, so every tracker runs it over its own.
// On LevelDB the one tracker holds every lease.
import type { Logger } from 'pino';
import { WorkerElsewhere, type WorkerGate, type WorkerStatus } from '../../common/worker.js';
import type { MetaStore } from '../meta/store.js';

/** Workers every tracker runs over what it alone knows. */
export const PER_TRACKER_WORKERS: ReadonlySet<string> = new Set(['replicate']);
/** How often a tracker tries the leases it does not hold: a dead holder's workers move within this (plus the server noticing the death). */
export const LEASE_TRY_MS = 2_000;

export class WorkerLeases {
  private readonly mine = new Set<string>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: MetaStore,
    /** The leased workers' names. */
    private readonly names: readonly string[],
    private readonly log: Logger,
    /** How this tracker is named to the others (host:port pid). */
    private holder = 'a tracker',
  ) {}

  /** Set once the tracker listens: its port is part of its name. */
  nameAs(holder: string): void {
    this.holder = holder;
  }

  /** For the worker pool: a run of a leased worker happens only at its holder. */
  readonly gate: WorkerGate = async (name) => {
    if (PER_TRACKER_WORKERS.has(name)) return;
    if (await this.hold(name)) return;
    const who = (await this.store.leases.holders([name])).get(name);
    throw new WorkerElsewhere(name, who ?? 'another tracker');
  };

  /** Tries every lease now and then every LEASE_TRY_MS. */
  start(): void {
    const tryAll = () => {
      for (const n of this.names) if (!PER_TRACKER_WORKERS.has(n)) void this.hold(n).catch((err: unknown) => this.lost(n, err));
    };
    tryAll();
    this.timer ??= setInterval(tryAll, LEASE_TRY_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The statuses with who holds each worker's lease. */
  async annotate(list: WorkerStatus[]): Promise<WorkerStatus[]> {
    const holders = await this.store.leases.holders(this.names);
    return list.map((w) => {
      if (PER_TRACKER_WORKERS.has(w.name)) return w;
      const holder = holders.get(w.name);
      return holder === undefined ? w : { ...w, holder, here: this.mine.has(w.name) && holder === this.holder };
    });
  }

  private async hold(name: string): Promise<boolean> {
    const ok = await this.store.leases.hold(name, this.holder);
    if (ok && !this.mine.has(name)) this.log.info({ worker: name, holder: this.holder }, 'took the worker\'s lease: it runs here');
    if (!ok && this.mine.has(name)) this.log.warn({ worker: name }, 'lost the worker\'s lease: it runs elsewhere');
    if (ok) this.mine.add(name);
    else this.mine.delete(name);
    return ok;
  }

  private lost(name: string, err: unknown): void {
    if (this.mine.delete(name)) this.log.warn({ worker: name, err: (err as Error).message }, 'cannot confirm the worker\'s lease (metadata store unreachable)');
  }
}
