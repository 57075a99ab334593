// wrk (Debian's package) as the load generator for fixed-duration HTTP runs.
// Every script gets a `done` hook that prints one JSON line, so figures are
// read from numbers wrk computed, not from its human-readable summary.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ProcessRegistry } from '../../scripts/cluster/processes.js';

export interface WrkRun {
  url: string;
  connections: number;
  threads?: number;
  durationS: number;
  /** Lua defining setup/init/request (no `done`: added here). */
  script?: string;
  /** Per-request timeout, seconds. */
  timeoutS?: number;
}

export interface WrkResult {
  requests: number;
  bytes: number;
  seconds: number;
  requestsPerSec: number;
  bytesPerSec: number;
  /** Socket errors plus non-2xx/3xx answers. */
  errors: number;
  statusErrors: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
}

const DONE = `
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRKJSON {"requests":%d,"bytes":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"p50":%d,"p99":%d}\\n',
    summary.requests, summary.bytes, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
`;

/** Seeds each wrk thread differently (setup runs in the main state, init in the thread's). */
export const SEED_THREADS = `
local thread_counter = 0
function setup(thread)
  thread_counter = thread_counter + 1
  thread:set("thread_id", thread_counter)
end
function init(args)
  math.randomseed(os.time() * 1000 + (thread_id or 0) * 7919)
  for i = 1, 10 do math.random() end
end
`;

/** Lua that asks for random `len`-byte ranges of a `size`-byte resource at the URL's path. */
export function randomRangeScript(size: number, len: number): string {
  return `${SEED_THREADS}
local size, len = ${size}, ${len}
request = function()
  local s = math.random(0, size - len)
  return wrk.format(nil, nil, { ["Range"] = "bytes=" .. s .. "-" .. (s + len - 1) })
end
`;
}

/** Lua that GETs `prefix .. one of ids` at random. */
export function randomPathScript(prefix: string, ids: readonly string[]): string {
  const list = ids.map((id) => JSON.stringify(id)).join(',\n');
  return `${SEED_THREADS}
local ids = {
${list}
}
local n = #ids
request = function()
  return wrk.format("GET", "${prefix}" .. ids[math.random(n)])
end
`;
}

export class Wrk {
  private n = 0;
  constructor(
    readonly bin: string,
    private readonly procs: ProcessRegistry,
    private readonly dir: string,
  ) {}

  async run(r: WrkRun): Promise<WrkResult> {
    const script = join(this.dir, `wrk-${++this.n}.lua`);
    writeFileSync(script, (r.script ?? '') + DONE);
    const threads = Math.min(r.threads ?? 2, r.connections);
    const args = ['-t', String(threads), '-c', String(r.connections), '-d', `${r.durationS}s`, '--timeout', `${r.timeoutS ?? 10}s`, '-s', script, r.url];
    const p = this.procs.spawn('wrk', this.bin, args, join(this.dir, 'wrk.log'), { capture: true });
    // wrk stops by itself after the duration; this is only a guard against a hang.
    const guard = sleep((r.durationS + 30) * 1000).then(() => 'timeout' as const);
    const outcome = await Promise.race([p.exited.then(() => p.exitCode), guard]);
    if (outcome === 'timeout') {
      await this.procs.stop(p);
      throw new Error(`wrk did not finish within ${r.durationS + 30} s`);
    }
    const { out, err } = this.procs.output(p);
    const line = out.split('\n').find((l) => l.startsWith('WRKJSON '));
    if (outcome !== 0 || !line) throw new Error(`wrk failed (exit ${outcome}): ${(err || out).trim().slice(0, 500)}`);
    const j = JSON.parse(line.slice(8)) as Record<string, number>;
    const seconds = j.duration_us! / 1e6;
    const statusErrors = j.status!;
    return {
      requests: j.requests!,
      bytes: j.bytes!,
      seconds,
      requestsPerSec: j.requests! / seconds,
      bytesPerSec: j.bytes! / seconds,
      errors: j.connect! + j.read! + j.write! + j.timeout! + statusErrors,
      statusErrors,
      latencyP50Ms: j.p50! / 1000,
      latencyP99Ms: j.p99! / 1000,
    };
  }
}
