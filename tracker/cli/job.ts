// A long admin operation as a job: start it (?job=1, answered at once), then
// poll its status every second until it ends, with a progress line on a
// terminal. No call waits on the operation itself, so no idle timeout or
// proxy between the operator and the server can cut the view of a scrub that
// goes on; a failure names the server it came from.
import { setTimeout as sleep } from 'node:timers/promises';
import { CliError } from '../../common/cli.js';
import type { JobProgress, JobStatus } from '../../common/protocol/types.js';
import { RemoteError } from '../../common/protocol/errors.js';

export interface JobTarget {
  /** As messages name it: "the tracker at URL", "node n1 at URL". */
  name: string;
  /** POST that starts the job (gets ?job=1 or &job=1 added). */
  start: string;
  /** Where the job is polled: <jobs>/<id>. */
  jobs: string;
  call<T>(method: string, pathAndQuery: string, opts?: { body?: unknown }): Promise<T>;
}

export interface JobView {
  /** Told each status while the job runs (the progress line). */
  onStatus?(s: JobStatus): void;
  /** Told once, when it ended either way. */
  onEnd?(): void;
}

const POLL_MS = [250, 500, 1000];
/** Polls in a row that may fail to connect (a server busy or restarting) before giving up. */
const POLL_FAILURES = 10;

export function withJob(path: string): string {
  return path + (path.includes('?') ? '&' : '?') + 'job=1';
}

/** Runs the job to its end and returns its result; JOB_FAILED names the server and the job's own error. */
export async function runJob<T>(target: JobTarget, view: JobView = terminalView()): Promise<{ result: T; status: JobStatus }> {
  let status = await target.call<JobStatus>('POST', withJob(target.start), { body: {} });
  let polls = 0;
  let failures = 0;
  try {
    while (status.state === 'running') {
      view.onStatus?.(status);
      await sleep(POLL_MS[Math.min(polls++, POLL_MS.length - 1)]);
      try {
        status = await target.call<JobStatus>('GET', `${target.jobs}/${encodeURIComponent(status.id)}`);
        failures = 0;
      } catch (err) {
        if (err instanceof RemoteError && err.code === 'JOB_NOT_FOUND') {
          throw new CliError('JOB_FAILED', `${status.what} on ${target.name}: the job is gone (${err.message}); the server restarted meanwhile, run the command again`, { cause: err });
        }
        if (err instanceof RemoteError || ++failures >= POLL_FAILURES) throw err;
      }
    }
  } finally {
    view.onEnd?.();
  }
  if (status.state === 'failed') {
    const e = status.error ?? { code: 'INTERNAL', message: 'no reason given' };
    throw new CliError('JOB_FAILED', `${status.what} on ${target.name} failed after ${seconds(status.ms)}: ${e.code}: ${e.message}`);
  }
  return { result: status.result as T, status };
}

/** One line on stderr, rewritten in place, when stderr is a terminal; nothing otherwise. */
export function terminalView(stream: NodeJS.WriteStream = process.stderr): JobView {
  if (!stream.isTTY) return {};
  let shown = false;
  return {
    onStatus(s) {
      stream.write(`\r\x1b[K${s.what}: ${describeProgress(s.progress)}${s.progress ? ', ' : ''}${seconds(s.ms)}`);
      shown = true;
    },
    onEnd() {
      if (shown) stream.write('\r\x1b[K');
    },
  };
}

export function describeProgress(p: JobProgress | undefined): string {
  if (!p) return '';
  if (p.total === undefined || p.total <= 0) return `${p.done} ${p.unit}`;
  return `${p.done}/${p.total} ${p.unit} (${Math.floor((100 * Math.min(p.done, p.total)) / p.total)}%)`;
}

function seconds(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}

