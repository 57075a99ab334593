// The shapes of every id and digest that arrives from outside.

/** Hex digests are lower case; these checks guard every place a hash arrives from outside. */
export const MD5_RE = /^[0-9a-f]{32}$/;
export const SHA256_RE = /^[0-9a-f]{64}$/;
export const LINK_ID_RE = /^[A-Za-z0-9_-]{16,64}$/;
export const NODE_ID_RE = /^[A-Za-z0-9_-]{1,64}$/;
export const ZONE_RE = /^[A-Za-z0-9_.-]{1,64}$/;

/** Upload ids are capabilities: 16 random bytes, base64url. */
export const UPLOAD_ID_RE = /^[A-Za-z0-9_-]{22}$/;
