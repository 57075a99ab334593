// Link ids are the only way to a file, so they must be unguessable: 128 random bits.
import { randomBytes } from 'node:crypto';

/**
 * 16 random bytes as base64url: 22 characters, matching LINK_ID_RE. An id
 * beginning with '-' (one in 64) is drawn again: on a command line it reads
 * as an option (`hoard-admin takedown link -2_C…` got an empty target), and
 * the first character keeping 63 values costs 0.02 bits.
 */
export function newLinkId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (id[0] !== '-') return id;
  }
}
