// The resumable-upload contract: tus 1.0 (core, creation, termination,
// checksum, expiration, concatenation) plus hoard's headers for declared hashes and proof
// of possession. docs/protocol.md, "Resumable uploads", describes it.

export const TUS_VERSION = '1.0.0';
export const TUS_EXTENSIONS = 'creation,termination,checksum,expiration,concatenation';
/** Upload-Checksum algorithms a node verifies per PATCH. */
export const TUS_CHECKSUMS = ['sha1', 'md5', 'sha256'] as const;
export type TusChecksum = (typeof TUS_CHECKSUMS)[number];

/** Header names, lower case as Node reports them. */
export const TUS_H = {
  resumable: 'tus-resumable',
  version: 'tus-version',
  extension: 'tus-extension',
  maxSize: 'tus-max-size',
  checksumAlgorithm: 'tus-checksum-algorithm',
  length: 'upload-length',
  offset: 'upload-offset',
  metadata: 'upload-metadata',
  expires: 'upload-expires',
  checksum: 'upload-checksum',
  deferLength: 'upload-defer-length',
  /** `partial` (a part, never a link of its own) or `final;<part URLs>` (the parts joined into one upload). */
  concat: 'upload-concat',
  challenge: 'hoard-challenge',
  proof: 'hoard-proof',
  link: 'hoard-link',
  linkId: 'hoard-link-id',
  /** `1` when the link points at content stored before this upload. */
  dedup: 'hoard-dedup',
} as const;

/** Headers a browser client may read (CORS). */
export const TUS_EXPOSE = 'Location, Tus-Resumable, Tus-Version, Tus-Extension, Tus-Max-Size, Tus-Checksum-Algorithm, Upload-Offset, Upload-Length, Upload-Concat, Upload-Expires, Upload-Metadata, Hoard-Challenge, Hoard-Link, Hoard-Link-Id, Hoard-Dedup';

/** Request headers a browser tus client may send (a CORS preflight allows them). */
export const TUS_REQUEST_HEADERS = ['Content-Type', 'Tus-Resumable', 'Upload-Length', 'Upload-Defer-Length', 'Upload-Concat', 'Upload-Metadata', 'Upload-Offset', 'Upload-Checksum', 'Hoard-Proof', 'X-HTTP-Method-Override', 'X-Requested-With'] as const;

/** Parts a final upload may join (tus-js-client's parallelUploads sends a handful). */
export const TUS_MAX_PARTS = 64;

export type UploadConcat = { kind: 'partial' } | { kind: 'final'; urls: string[] };

/** Upload-Concat: `partial`, or `final;` and the parts' URLs separated by spaces; undefined when malformed. */
export function parseConcat(header: string): UploadConcat | undefined {
  const v = header.trim();
  if (v === 'partial') return { kind: 'partial' };
  if (!v.startsWith('final;')) return undefined;
  const urls = v.slice('final;'.length).trim().split(/ +/).filter((u) => u !== '');
  if (urls.length === 0 || urls.length > TUS_MAX_PARTS || urls.some((u) => u.length > 2048)) return undefined;
  return { kind: 'final', urls };
}

/** Upload-Metadata: comma-separated `key base64(value)` pairs; a key may stand alone. */
export function parseMetadata(header: string | undefined): Map<string, string> | undefined {
  const out = new Map<string, string>();
  if (header === undefined || header.trim() === '') return out;
  if (header.length > 8192) return undefined;
  for (const pair of header.split(',')) {
    const [key, value, extra] = pair.trim().split(' ');
    if (!key || extra !== undefined || !/^[\x21-\x2b\x2d-\x7e]+$/.test(key) || out.has(key)) return undefined;
    if (value !== undefined && !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) return undefined;
    out.set(key, value === undefined ? '' : fromBase64(value));
  }
  return out;
}

export function formatMetadata(meta: Record<string, string>): string {
  return Object.entries(meta)
    .map(([k, v]) => `${k} ${toBase64(v)}`)
    .join(',');
}

/** UTF-8 text as base64, with what browsers and Node both have (no Buffer). */
function toBase64(text: string): string {
  let bin = '';
  for (const b of new TextEncoder().encode(text)) bin += String.fromCharCode(b);
  return btoa(bin);
}

/** base64 (already checked against the alphabet) to UTF-8 text, as leniently as Node's Buffer reads it. */
function fromBase64(b64: string): string {
  let s = b64.replace(/=+$/, '');
  // A lone trailing sextet carries no whole byte: Buffer drops it, atob refuses it.
  if (s.length % 4 === 1) s = s.slice(0, -1);
  const bin = atob(s);
  return new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
}

/** What OPTIONS answers, at the tracker and at nodes. */
export function tusOptionsHeaders(maxSize: number): Record<string, string> {
  return {
    'tus-resumable': TUS_VERSION,
    'tus-version': TUS_VERSION,
    'tus-extension': TUS_EXTENSIONS,
    'tus-max-size': String(maxSize),
    'tus-checksum-algorithm': TUS_CHECKSUMS.join(','),
  };
}
