// The machine a run happened on, for the report and the results file.
import { readFileSync } from 'node:fs';
import os from 'node:os';

export interface Machine {
  cpus: number;
  cpuModel: string;
  memBytes: number;
  kernel: string;
  node: string;
  /** 1-minute load average when the run started: other work on the machine skews every figure. */
  loadAverage: number;
}

export function machine(): Machine {
  let model = os.cpus()[0]?.model ?? 'unknown';
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) model = m[1]!.trim();
  } catch {
    /* not Linux */
  }
  return { cpus: os.availableParallelism(), cpuModel: model, memBytes: os.totalmem(), kernel: `${os.type()} ${os.release()}`, node: process.version, loadAverage: os.loadavg()[0]! };
}

export function describeMachine(m: Machine): string {
  return `${m.cpus} CPU (${m.cpuModel}), ${(m.memBytes / 1024 ** 3).toFixed(0)} GiB RAM, ${m.kernel}, Node ${m.node}, load average ${m.loadAverage.toFixed(2)} at start`;
}
