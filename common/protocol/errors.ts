// The one error table. Every error a hoard server sends has a stable `code`
// (clients and tests match on it; messages may change) and an HTTP status.
// docs/errors.md lists the same table.

export const ERRORS = {
  BAD_REQUEST: { status: 400, message: 'Malformed request' },
  BODY_INCOMPLETE: { status: 400, message: 'Request body ended before the declared Content-Length' },
  LENGTH_REQUIRED: { status: 411, message: 'Upload needs a Content-Length or chunked transfer encoding' },
  UNAUTHORIZED: { status: 401, message: 'Missing or invalid cluster credentials' },
  TOKEN_INVALID: { status: 403, message: 'Missing or invalid signature' },
  TOKEN_EXPIRED: { status: 403, message: 'Signed URL has expired' },
  ADMIN_ONLY: { status: 403, message: 'Only a signed-in administrator may see this' },
  LINK_NOT_FOUND: { status: 404, message: 'No such link' },
  BLOB_NOT_FOUND: { status: 404, message: 'No such blob on this node' },
  NODE_NOT_FOUND: { status: 404, message: 'No such node' },
  NOT_FOUND: { status: 404, message: 'No such endpoint' },
  WORKER_NOT_FOUND: { status: 404, message: 'No background worker of that name' },
  JOB_NOT_FOUND: { status: 404, message: 'No such job (unknown, or ended over an hour ago, or the server restarted)' },
  METHOD_NOT_ALLOWED: { status: 405, message: 'Method not allowed on this endpoint' },
  UPLOAD_URL_USED: { status: 409, message: 'This signed upload URL was already used' },
  WORKER_ELSEWHERE: { status: 409, message: 'Another tracker holds this worker\'s lease: run it there' },
  COPY_IN_USE: { status: 409, message: 'The tracker still counts on this copy; it was not removed' },
  REQUEST_TIMEOUT: { status: 408, message: 'Connection idle or too slow' },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'Body larger than the declared length or a configured limit' },
  FILENAME_INVALID: { status: 400, message: 'File name is empty, too long or not valid' },
  RANGE_NOT_SATISFIABLE: { status: 416, message: 'Range not satisfiable' },
  EXPECTATION_FAILED: { status: 417, message: 'Only Expect: 100-continue is supported' },
  TOO_MANY_UPLOADS: { status: 429, message: 'Too many uploads created, or open, by this client; retry after Retry-After seconds' },
  TOO_MANY_OPEN_UPLOADS: { status: 503, message: 'The storage nodes hold as many unfinished resumable uploads as they may; retry after Retry-After seconds' },
  DOWNLOAD_BUSY: { status: 429, message: 'Free and anonymous users download one file at a time, and another download of this caller is running; retry after Retry-After seconds' },
  HEADERS_TOO_LARGE: { status: 431, message: 'Request headers too large' },
  INTERNAL: { status: 500, message: 'Internal error' },
  UPSTREAM_FAILED: { status: 502, message: 'A cluster peer failed to answer' },
  REPLICA_MISMATCH: { status: 502, message: 'The copied bytes do not match the blob manifest' },
  NO_NODE_AVAILABLE: { status: 503, message: 'No live storage node can take this request' },
  NO_LIVE_COPY: { status: 503, message: 'No live node holds a copy of this blob' },
  CHUNK_CORRUPT: { status: 503, message: 'A stored chunk failed its checksum; this copy is withdrawn, fetch the link again' },
  STORE_UNAVAILABLE: { status: 503, message: 'The metadata store cannot be reached (a database failover?); try again in a few seconds' },
  QUORUM_UNAVAILABLE: { status: 503, message: 'Fewer zones can take a copy than the write quorum (ackCopies) needs; nothing was acknowledged, try again later' },
  PIPELINE_FAILED: { status: 503, message: 'A second copy of this upload failed and could not be replaced; nothing was acknowledged, try again' },
  INSUFFICIENT_STORAGE: { status: 507, message: 'Not enough disk space on the storage node' },
  // Resumable uploads (tus 1.0).
  UPLOAD_NOT_FOUND: { status: 404, message: 'No such upload' },
  UPLOAD_EXPIRED: { status: 410, message: 'The upload expired and its bytes were dropped' },
  OFFSET_MISMATCH: { status: 409, message: 'Upload-Offset does not match the bytes received' },
  TUS_VERSION_UNSUPPORTED: { status: 412, message: 'Tus-Resumable must be 1.0.0' },
  TUS_CONCAT_INVALID: {
    status: 400,
    message: 'Upload-Concat must be "partial" or "final;" with the URLs of complete partial uploads of this cluster',
  },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'PATCH body must be application/offset+octet-stream' },
  UPLOAD_LOCKED: { status: 423, message: 'Another request is writing to this upload' },
  CHECKSUM_MISMATCH: { status: 460, message: 'Upload-Checksum does not match the body; its bytes were dropped' },
  // Accounts and tiers (docs/tiers.md).
  UNAUTHENTICATED: { status: 401, message: 'Sign in first: a session cookie or Authorization: Bearer <token>' },
  LOGIN_FAILED: { status: 401, message: 'Wrong account name or password' },
  CREDENTIAL_INVALID: { status: 401, message: 'The API token is unknown, expired or revoked' },
  ACCOUNT_DISABLED: { status: 403, message: 'This account is disabled' },
  CSRF_REFUSED: { status: 403, message: 'A state-changing request signed in by cookie must come from the tracker\'s own pages (Origin) or carry X-Hoard-Csrf: 1' },
  ACCOUNT_INVALID: { status: 400, message: 'Account name must be 2-32 of a-z 0-9 _ - (starting with a letter or digit), password 8-256 characters' },
  NAME_TAKEN: { status: 409, message: 'That account name is taken' },
  USER_NOT_FOUND: { status: 404, message: 'No such account' },
  TOKEN_NOT_FOUND: { status: 404, message: 'No such API token on this account' },
  PREMIUM_KEY_INVALID: { status: 404, message: 'No such premium key' },
  PREMIUM_KEY_USED: { status: 409, message: 'This premium key was redeemed already' },
  UPLOAD_TOO_LARGE: { status: 413, message: 'The upload is larger than your tier allows' },
  QUOTA_EXCEEDED: { status: 413, message: 'The upload would take your account past its storage quota' },
  DOWNLOAD_TOO_LARGE: { status: 403, message: 'This file is larger than your tier may download; premium accounts may' },
  LOGIN_THROTTLED: { status: 429, message: 'Too many failed sign-ins from this address or for this account; retry after Retry-After seconds' },
  POINTS_INSUFFICIENT: { status: 409, message: 'Not enough reward points for this many premium days' },
  // Takedowns (docs/takedowns.md).
  TAKEN_DOWN: { status: 451, message: 'Unavailable for legal reasons: taken down under a notice' },
  TAKEDOWN_NOT_FOUND: { status: 404, message: 'No such takedown notice' },
  TAKEDOWN_LIFTED: { status: 409, message: 'This takedown notice was lifted already' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERRORS;

export interface ErrorBody {
  error: { code: ErrorCode | string; message: string };
}

export class HoardError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  constructor(code: ErrorCode, message?: string, options?: { cause?: unknown }) {
    super(message ?? ERRORS[code].message, options);
    this.name = 'HoardError';
    this.code = code;
    this.status = ERRORS[code].status;
  }

  toJSON(): ErrorBody {
    return { error: { code: this.code, message: this.message } };
  }
}

export function isErrorCode(code: string): code is ErrorCode {
  return Object.prototype.hasOwnProperty.call(ERRORS, code);
}

/** Wrap anything thrown into a HoardError: unknown failures become INTERNAL. */
export function toHoardError(err: unknown): HoardError {
  if (err instanceof HoardError) return err;
  const sysCode = (err as NodeJS.ErrnoException | null)?.code;
  if (sysCode === 'ENOSPC' || sysCode === 'EDQUOT') {
    return new HoardError('INSUFFICIENT_STORAGE', undefined, { cause: err });
  }
  return new HoardError('INTERNAL', undefined, { cause: err });
}

/** Error raised by a client when a hoard server answered with an error body. */
export class RemoteError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(`${code} (${status}): ${message}`);
    this.name = 'RemoteError';
  }
}
