// Link ids are the only way to a file, so they must be unguessable: 128 random bits.
import { randomBytes } from 'node:crypto';

/** 16 random bytes as base64url: 22 characters, matching LINK_ID_RE. */
export function newLinkId(): string {
  return randomBytes(16).toString('base64url');
}
