// Background jobs as named workers. A worker's runOnce is idempotent and
// callable from the admin CLI and from tests; node-cron only schedules it.
import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';
import { HoardError } from './protocol/errors.js';
import type { JobProgress } from './protocol/types.js';

export interface WorkerReport {
  /** What the run did, in counts (blobs repaired, bytes freed, ...). */
  [what: string]: number;
}

export interface Worker<Ctx> {
  name: string;
  /** node-cron expression (seconds field allowed), in UTC. */
  schedule: string;
  /** `progress`, when given, hears how far the run got (a scrub's bytes, fsck's nodes). */
  runOnce(ctx: Ctx, progress?: (p: JobProgress) => void): Promise<WorkerReport>;
}

/**
 * A worker written for one part of a larger context (`part` picks it out):
 * lets one pool run jobs that each need a different part.
 */
export function onPart<Outer, Inner>(worker: Worker<Inner>, part: (ctx: Outer) => Inner): Worker<Outer> {
  return { name: worker.name, schedule: worker.schedule, runOnce: (ctx, progress) => worker.runOnce(part(ctx), progress) };
}

/** A run refused here because another process holds the worker's lease (not a failure of the worker). */
export class WorkerElsewhere extends HoardError {
  constructor(name: string, holder: string) {
    super('WORKER_ELSEWHERE', `worker ${name} runs at ${holder}, which holds its lease`);
  }
}

/**
 * Whether a worker may run in this process now (several trackers on one
 * store run each worker at one of them): resolves when it may, rejects
 * with WorkerElsewhere when another process runs it.
 */
export type WorkerGate = (name: string) => Promise<void>;

export interface WorkerStatus {
  name: string;
  schedule: string;
  running: boolean;
  runs: number;
  failures: number;
  lastStarted?: string;
  lastFinished?: string;
  lastReport?: WorkerReport;
  lastError?: string;
  /** While it runs: how far it got, when the worker says. */
  progress?: JobProgress;
  /** Which process holds the worker's lease (several trackers on one store); absent for a worker every tracker runs. */
  holder?: string;
  /** True when the process answering holds it. */
  here?: boolean;
}

/**
 * Runs workers on their schedules, never two runs of one worker at once
 * (a run asked for while one is going joins it), and backs off after a
 * failure so a broken job does not spin.
 */
export class WorkerPool<Ctx> {
  private readonly entries = new Map<
    string,
    { worker: Worker<Ctx>; status: WorkerStatus; current?: Promise<WorkerReport>; task?: ScheduledTask; skipUntil: number; listeners: Set<(p: JobProgress) => void> }
  >();

  constructor(
    private readonly ctx: Ctx,
    private readonly log: Logger,
    /** Asked before each run; none: every run happens here. */
    private readonly gate?: WorkerGate,
  ) {}

  add(worker: Worker<Ctx>): this {
    this.entries.set(worker.name, { worker, status: { name: worker.name, schedule: worker.schedule, running: false, runs: 0, failures: 0 }, skipUntil: 0, listeners: new Set() });
    return this;
  }

  /** Starts every worker's schedule. */
  start(): void {
    for (const e of this.entries.values()) {
      e.task = cron.schedule(
        e.worker.schedule,
        () => {
          if (Date.now() < e.skipUntil) return;
          this.run(e.worker.name).catch(() => undefined);
        },
        { timezone: 'UTC', name: e.worker.name, noOverlap: true },
      );
    }
  }

  async stop(): Promise<void> {
    for (const e of this.entries.values()) {
      await e.task?.stop();
      await e.current?.catch(() => undefined);
    }
  }

  names(): string[] {
    return [...this.entries.keys()];
  }

  status(): WorkerStatus[] {
    return [...this.entries.values()].map((e) => ({ ...e.status }));
  }

  /** Runs a worker now (or joins its run in progress); `onProgress` hears how far the run got. */
  run(name: string, onProgress?: (p: JobProgress) => void): Promise<WorkerReport> {
    const e = this.entries.get(name);
    if (!e) return Promise.reject(new Error(`no worker named ${name}`));
    if (onProgress) {
      e.listeners.add(onProgress);
      if (e.status.progress) onProgress(e.status.progress);
    }
    const run = e.current ?? this.gated(name, e);
    if (!onProgress) return run;
    return run.finally(() => e.listeners.delete(onProgress));
  }

  /** Begins a run once the gate lets it (a run begun meanwhile is joined instead). */
  private async gated(name: string, e: Parameters<WorkerPool<Ctx>['begin']>[1]): Promise<WorkerReport> {
    if (this.gate) await this.gate(name);
    return e.current ?? this.begin(name, e);
  }

  private begin(
    name: string,
    e: { worker: Worker<Ctx>; status: WorkerStatus; current?: Promise<WorkerReport>; skipUntil: number; listeners: Set<(p: JobProgress) => void> },
  ): Promise<WorkerReport> {
    const st = e.status;
    st.running = true;
    st.lastStarted = new Date().toISOString();
    st.progress = undefined;
    const started = Date.now();
    const progress = (p: JobProgress) => {
      st.progress = { ...p };
      for (const l of e.listeners) l(st.progress);
    };
    e.current = e.worker
      .runOnce(this.ctx, progress)
      .then(
        (report) => {
          st.runs++;
          st.lastReport = report;
          st.lastError = undefined;
          e.skipUntil = 0;
          this.log.debug({ worker: name, ms: Date.now() - started, ...report }, 'worker run');
          return report;
        },
        (err: unknown) => {
          st.failures++;
          st.lastError = (err as Error).message;
          // Back off: skip scheduled runs for a while, longer after repeated failures.
          e.skipUntil = Date.now() + Math.min(300_000, 1_000 * 2 ** Math.min(st.failures, 8));
          this.log.error({ worker: name, err }, 'worker failed');
          throw err;
        },
      )
      .finally(() => {
        st.running = false;
        st.progress = undefined;
        st.lastFinished = new Date().toISOString();
        e.current = undefined;
      });
    return e.current;
  }
}
