// Transfer progress on stderr, only when stderr is a terminal: piped or
// redirected output stays clean.
import cliProgress from 'cli-progress';
import { formatBytes } from '../common/cli.js';

export interface Progress {
  /** Bytes done so far (absolute, not a delta). */
  update(done: number): void;
  stop(): void;
}

const SILENT: Progress = { update() {}, stop() {} };

const LABEL_WIDTH = 24;

function shorten(label: string): string {
  return label.length <= LABEL_WIDTH ? label.padEnd(LABEL_WIDTH) : label.slice(0, LABEL_WIDTH - 1) + '…';
}

/** `start` is where a resumed transfer begins; the rate counts only this run's bytes. */
export function progressBar(label: string, total: number, start = 0): Progress {
  if (!process.stderr.isTTY) return SILENT;
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: '{label} [{bar}] {percentage}% | {doneH} / {totalH} | {rate}/s | eta {eta_formatted}',
      hideCursor: true,
      barsize: 24,
      etaBuffer: 40,
      fps: 8,
    },
    cliProgress.Presets.shades_classic,
  );
  const began = Date.now();
  const payload = (done: number) => {
    const secs = (Date.now() - began) / 1000;
    return {
      label: shorten(label),
      doneH: formatBytes(done),
      totalH: formatBytes(total),
      rate: secs > 0.2 ? formatBytes(Math.round((done - start) / secs)) : '-',
    };
  };
  // A zero total would show NaN%; one "unit" shows 0% then 100%.
  const max = Math.max(total, 1);
  bar.start(max, Math.min(start, max), payload(start));
  let stopped = false;
  return {
    update(done) {
      if (!stopped) bar.update(Math.min(done, max), payload(done));
    },
    stop() {
      if (stopped) return;
      stopped = true;
      bar.stop();
    },
  };
}
