// Resident memory of server processes, from /proc (Linux). The kernel's own
// peak (VmHWM) is reset before a phase when allowed, so a short spike between
// two samples is not missed; the sampled maximum is the fallback. Samples also
// split RSS into anonymous memory (heap, buffers) and file-backed pages (for
// example LevelDB tables mapped with mmap), which the kernel can drop.
import { readFileSync, writeFileSync } from 'node:fs';
import { descendants } from '../../scripts/cluster/processes.js';

export interface RssSample {
  rss: number;
  anon: number;
  file: number;
}

function status(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return '';
  }
}

function field(text: string, name: string): number {
  const m = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text);
  return m ? Number(m[1]) * 1024 : 0;
}

export function rssBytes(pid: number): number {
  return field(status(pid), 'VmRSS');
}

/** Samples the RSS of `pid` (plus its children when `withChildren`, for nginx's workers). */
export class RssSampler {
  private timer?: NodeJS.Timeout;
  private peak = 0;
  private largest: RssSample = { rss: 0, anon: 0, file: 0 };
  private hwmReset = false;
  private readonly pids: number[];

  constructor(pid: number, withChildren = false, private readonly intervalMs = 50) {
    this.pids = withChildren ? [pid, ...descendants(pid)] : [pid];
  }

  private sample(): void {
    const s: RssSample = { rss: 0, anon: 0, file: 0 };
    for (const p of this.pids) {
      const t = status(p);
      s.rss += field(t, 'VmRSS');
      s.anon += field(t, 'RssAnon');
      s.file += field(t, 'RssFile') + field(t, 'RssShmem');
    }
    if (s.rss > this.largest.rss) this.largest = s;
    this.peak = Math.max(this.peak, s.rss);
  }

  start(): this {
    try {
      // "5" resets the peak RSS counter (proc(5), clear_refs).
      for (const p of this.pids) writeFileSync(`/proc/${p}/clear_refs`, '5');
      this.hwmReset = true;
    } catch {
      this.hwmReset = false;
    }
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    this.timer.unref();
    return this;
  }

  /** Peak RSS in bytes over the sampled span (summed over the processes). */
  stop(): number {
    if (this.timer) clearInterval(this.timer);
    this.sample();
    if (this.hwmReset) {
      const hwm = this.pids.reduce((a, p) => a + field(status(p), 'VmHWM'), 0);
      this.peak = Math.max(this.peak, hwm);
    }
    return this.peak;
  }

  /** The largest sample, split into anonymous and file-backed memory. */
  breakdown(): RssSample {
    return { ...this.largest };
  }
}
