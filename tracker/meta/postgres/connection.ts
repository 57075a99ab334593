// From `--meta postgres://USER[:PASSWORD]@HOST:PORT/DB[?pool=N&options=…]`
// to the pool's settings. `pool` (connections per tracker) is hoard's own
// parameter; the others are node-postgres's (sslmode, options, …).
import pg from 'pg';
import { StoreError } from '../store.js';

export interface PgOptions {
  /** Connections per tracker (default 16, or the URL's `pool`). */
  max?: number;
}

export const DEFAULT_POOL = 16;

/** Sessions of a tracker that died mid-transaction hold their locks until the server ends them. */
const SESSION_SETTINGS = '-c idle_in_transaction_session_timeout=60000';

const OID = { int8: 20, int8Array: 1016 } as const;

/** '{1,2,3}': the store's int8 arrays hold no NULLs and no nesting. */
const parseInt8Array = (v: string): number[] => (v === '{}' ? [] : v.slice(1, -1).split(',').map(Number));

/** Sizes and counts come back as numbers (every one the store holds is below 2^53), not strings. */
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === OID.int8) return (v: string) => Number(v);
    if (oid === OID.int8Array) return parseInt8Array;
    return pg.types.getTypeParser(oid as Parameters<typeof pg.types.getTypeParser>[0], format ?? 'text');
  }) as pg.CustomTypesConfig['getTypeParser'],
};

export interface ConnectionConfig {
  /** The URL without its password, for messages. */
  where: string;
  pool: pg.PoolConfig;
}

export function connectionConfig(spec: string, opts: PgOptions = {}): ConnectionConfig {
  let url: URL;
  try {
    url = new URL(spec);
  } catch {
    // The spec itself is not repeated: it may carry a password.
    throw new StoreError('UNSUPPORTED', 'a PostgreSQL metadata store takes postgres://USER@HOST:PORT/DB');
  }
  const poolParam = url.searchParams.get('pool');
  url.searchParams.delete('pool');
  const max = opts.max ?? (poolParam === null ? DEFAULT_POOL : Number(poolParam));
  if (!Number.isInteger(max) || max < 1 || max > 1000) throw new StoreError('UNSUPPORTED', 'pool= takes the number of connections per tracker (1..1000)');
  const options = [url.searchParams.get('options'), SESSION_SETTINGS].filter((o) => o).join(' ');
  url.searchParams.delete('options');
  const shown = new URL(url.toString());
  if (shown.password) shown.password = '***';
  return {
    where: shown.toString(),
    pool: {
      connectionString: url.toString(),
      options,
      max,
      types,
      keepAlive: true,
      application_name: 'hoard-tracker',
      connectionTimeoutMillis: 10_000,
    },
  };
}

/** SQLSTATEs of a server that cannot serve now: shutting down, starting, a standby that cannot write, out of connections. */
const OUTAGE_STATES = new Set(['57P01', '57P02', '57P03', '25006', '53300']);
/** Socket failures on the way to the server. */
const OUTAGE_SOCKET = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
/** node-postgres's own words for a connection lost or never made. */
const OUTAGE_MESSAGE = /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection terminated unexpectedly)/;

/**
 * True for a failure of reaching PostgreSQL rather than of a statement: the
 * server restarting or failing over. Nothing was written (a transaction cut
 * before COMMIT is rolled back), so the caller may try again.
 */
export function isPgOutage(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && (code.startsWith('08') || OUTAGE_STATES.has(code) || OUTAGE_SOCKET.has(code))) return true;
  return OUTAGE_MESSAGE.test(err.message);
}
