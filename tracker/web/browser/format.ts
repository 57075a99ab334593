// Numbers as the upload page shows them: sizes, speeds, times left, shares.

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '?';
  let v = n;
  let i = 0;
  while (v >= 1024 && i < UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  if (i === 0) return `${v} B`;
  return `${v.toFixed(v < 10 ? 2 : v < 100 ? 1 : 0)} ${UNITS[i]}`;
}

/** `5 s`, `3 min 20 s`, `2 h 05 min`; undefined when unknown. */
export function formatDuration(seconds: number | undefined): string | undefined {
  if (seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return undefined;
  const s = Math.ceil(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

/**
 * A share in percent with as many decimals as it takes to show it is not
 * zero: `0.02 %` of a 5 GiB file, `17 %` of a small one, never `0 %` for a
 * part that was sent, never `100 %` for a part that was not all.
 */
export function formatPercent(part: number, whole: number): string {
  if (whole <= 0) return '100 %';
  const p = (part / whole) * 100;
  if (p === 0 || p === 100) return `${p} %`;
  for (let digits = 0; digits < 6; digits++) {
    const text = p.toFixed(digits);
    const shown = Number(text);
    if (shown > 0 && shown < 100 && (digits > 0 || p >= 10)) return `${text} %`;
  }
  return `${p.toPrecision(2)} %`;
}
