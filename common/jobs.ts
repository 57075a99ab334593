// Long operations as jobs: started by one call (answered at once with the
// job's status), followed by polling. A client's view of an hour-long scrub
// is then a series of short calls instead of one call that an idle timeout
// or a proxy cuts while the work goes on. Jobs live in memory: a restart
// forgets them (JOB_NOT_FOUND), and finished ones are kept for an hour.
import { randomBytes } from 'node:crypto';
import { HoardError, toHoardError } from './protocol/errors.js';
import type { JobProgress, JobStatus } from './protocol/types.js';

/** How long a finished job is remembered, and how many finished ones at most. */
const KEEP_MS = 3_600_000;
const KEEP_FINISHED = 256;

interface Entry {
  status: JobStatus;
  startedMs: number;
  finishedMs?: number;
}

export class JobBook {
  private readonly jobs = new Map<string, Entry>();

  constructor(private readonly now: () => number = Date.now) {}

  /**
   * Starts `run` as a job and returns its first status. `run` gets a
   * function to report progress with; what it resolves to is the result.
   */
  start(what: string, run: (progress: (p: JobProgress) => void) => Promise<unknown>): JobStatus {
    this.prune();
    const t = this.now();
    const entry: Entry = { status: { id: randomBytes(12).toString('base64url'), what, state: 'running', started: new Date(t).toISOString(), ms: 0 }, startedMs: t };
    this.jobs.set(entry.status.id, entry);
    const end = (patch: Partial<JobStatus>) => {
      entry.finishedMs = this.now();
      Object.assign(entry.status, patch, { finished: new Date(entry.finishedMs).toISOString() });
    };
    // Started on the next turn, so the caller's answer goes out before any work.
    setImmediate(() => {
      Promise.resolve()
        .then(() => run((p) => (entry.status.progress = { ...p })))
        .then(
          (result) => end({ state: 'done', result }),
          (err: unknown) => {
            const e = toHoardError(err);
            // An INTERNAL error's own message says more to an operator than "Internal error".
            end({ state: 'failed', error: { code: e.code, message: e.code === 'INTERNAL' && err instanceof Error ? err.message : e.message } });
          },
        );
    });
    return this.view(entry);
  }

  /** The job's status now; JOB_NOT_FOUND when unknown or forgotten. */
  get(id: string): JobStatus {
    this.prune();
    const e = this.jobs.get(id);
    if (!e) throw new HoardError('JOB_NOT_FOUND');
    return this.view(e);
  }

  private view(e: Entry): JobStatus {
    return { ...e.status, ms: (e.finishedMs ?? this.now()) - e.startedMs };
  }

  private prune(): void {
    const t = this.now();
    const finished = [...this.jobs.values()].filter((e) => e.finishedMs !== undefined);
    const excess = finished.length - KEEP_FINISHED;
    finished.forEach((e, i) => {
      if (i < excess || t - e.finishedMs! > KEEP_MS) this.jobs.delete(e.status.id);
    });
  }
}

/** `?job=1` on a long operation's route: start it as a job instead of answering when it ends. */
export function wantsJob(url: URL): boolean {
  return ['1', 'true', 'yes'].includes(url.searchParams.get('job') ?? '');
}
