// The ledger's derived ids. Addresses are kept only as keyed hashes (the
// cluster secret is the key, so a ledger alone cannot be reversed by trying
// every IPv4 address); a point's id is derived from what makes it unique
// (uploader, file, address, day), so the same download heard twice, or by two
// trackers, is the same point.
import { createHash, createHmac, randomBytes } from 'node:crypto';

/** 128 bits, base64url: the shape of a download lease id (LEASE_ID_RE). */
const short = (digest: Buffer): string => digest.subarray(0, 16).toString('base64url');

export const addressHash = (secret: string, ip: string): string => short(createHmac('sha256', secret).update(`address\0${ip}`).digest());

export const pointId = (uploader: string, blobId: string, ipHash: string, day: string): string =>
  short(createHash('sha256').update([uploader, blobId, ipHash, day].join('\0')).digest());

/** Sorts by time: milliseconds, zero-padded, then randomness. */
export const redemptionId = (nowMs: number): string => `${String(nowMs).padStart(15, '0')}-${randomBytes(6).toString('base64url')}`;
