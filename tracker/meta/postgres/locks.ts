// Advisory lock keys: hoard's locks use the two-number form (class, key), so
// they stay apart from any other user of the database's advisory locks, and
// a class per purpose keeps transaction keys, schema migration and worker
// leases from ever sharing a lock.
import { createHash } from 'node:crypto';

export const LOCK_CLASS = {
  /** One tracker at a time migrates the schema. */
  schema: 0x686f6100,
  /** store.transact's keys (a blob's MD5). */
  transaction: 0x686f6101,
  /** A worker's lease, held by one tracker's lease connection (leases.ts). */
  lease: 0x686f6102,
} as const;

/**
 * A transaction key as the int4 PostgreSQL locks on. Two keys sharing a
 * number only take turns needlessly; every tracker computes the same one.
 */
export function lockNumber(key: string): number {
  return createHash('sha256').update(key).digest().readInt32BE(0);
}
