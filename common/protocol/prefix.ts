// Prefix checkpoints: the offsets at which a node records the MD5 and SHA-256
// of the bytes received so far. The tracker keeps them per blob, so an upload
// that declares a known file can be compared with it while it streams in.
// 1, 4, 16, 64, 256 MiB, then every GiB: the first check comes early (a
// duplicate stops after 1 MiB) and a 1 TiB blob still has only ~1000 entries.
const MiB = 1024 ** 2;
const GiB = 1024 ** 3;
const SMALL = [1 * MiB, 4 * MiB, 16 * MiB, 64 * MiB, 256 * MiB] as const;

/** Digests of a blob's first `offset` bytes. */
export interface PrefixHash {
  offset: number;
  md5: string;
  sha256: string;
}

/** The first checkpoint; uploads no larger than this are never stopped early. */
export const FIRST_CHECKPOINT = SMALL[0];

/** The smallest checkpoint strictly after `pos`. */
export function nextCheckpointAfter(pos: number): number {
  for (const c of SMALL) if (c > pos) return c;
  return (Math.floor(pos / GiB) + 1) * GiB;
}

/** Checkpoints strictly inside a blob of `size` bytes (the whole blob is its identity, not a prefix). */
export function checkpointsFor(size: number): number[] {
  const out: number[] = [];
  for (let c = nextCheckpointAfter(0); c < size; c = nextCheckpointAfter(c)) out.push(c);
  return out;
}

/** Checks a prefix list against a blob size: exactly its checkpoints, in order, well-formed digests. */
export function isValidPrefixList(v: unknown, size: number): v is PrefixHash[] {
  if (!Array.isArray(v)) return false;
  const want = checkpointsFor(size);
  if (v.length !== want.length) return false;
  return v.every((p: unknown, i) => {
    if (typeof p !== 'object' || p === null) return false;
    const r = p as Record<string, unknown>;
    return r.offset === want[i] && typeof r.md5 === 'string' && /^[0-9a-f]{32}$/.test(r.md5) && typeof r.sha256 === 'string' && /^[0-9a-f]{64}$/.test(r.sha256);
  });
}
