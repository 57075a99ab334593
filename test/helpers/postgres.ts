// PostgreSQL for a test file: the server HOARD_TEST_PG_URL names (a
// superuser URL; each test gets databases of its own in it), else a throwaway
// server started for this file and stopped at its end. Where neither is
// possible the test is skipped with the reason, unless HOARD_TEST_PG_REQUIRED
// is set (CI sets it: a skip there would hide a broken setup).
import pg from 'pg';
import type { Test } from 'tap';
import { postgresUnavailable, startPostgres } from '../../scripts/cluster/postgres.js';

export interface TestPostgres {
  /** A fresh, empty database; its URL. */
  database(): Promise<string>;
  /**
   * A fresh, empty schema in this file's database, as a URL whose sessions
   * use it (options=-c search_path=…): as good as a database for a store,
   * and made in milliseconds rather than the few hundred a database takes.
   */
  location(): Promise<string>;
  /** Runs SQL on a database (setup and inspection). */
  sql<R extends pg.QueryResultRow = pg.QueryResultRow>(url: string, text: string, values?: unknown[]): Promise<R[]>;
}

let seq = 0;

async function sqlOn<R extends pg.QueryResultRow>(url: string, text: string, values: unknown[] = []): Promise<R[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<R>(text, values)).rows;
  } finally {
    await c.end();
  }
}

/** The PostgreSQL of this test file, or { skip } with why there is none. */
export async function testPostgres(t: Pick<Test, 'teardown'>): Promise<TestPostgres | { skip: string }> {
  const given = process.env.HOARD_TEST_PG_URL;
  let created = (_name: string): void => undefined;
  let admin: string;
  if (given) {
    admin = given;
    // Databases made in a server the test does not own go with the test.
    const made: string[] = [];
    t.teardown(async () => {
      for (const name of made) await sqlOn(admin, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
    });
    created = (name) => made.push(name);
  } else {
    const why = postgresUnavailable();
    if (why) {
      if (process.env.HOARD_TEST_PG_REQUIRED) throw new Error(`PostgreSQL is required here (HOARD_TEST_PG_REQUIRED) but cannot start: ${why}`);
      return { skip: `PostgreSQL tests skipped: ${why}, or set HOARD_TEST_PG_URL to a server where databases may be created` };
    }
    const server = await startPostgres();
    t.teardown(() => server.stop());
    admin = server.url();
  }
  const base = new URL(admin);
  const database = async () => {
    const name = `hoard_t${process.pid}_${++seq}`;
    await sqlOn(admin, `CREATE DATABASE ${name}`);
    created(name);
    const u = new URL(base.toString());
    u.pathname = '/' + name;
    return u.toString();
  };
  let shared: Promise<string> | undefined;
  return {
    database,
    async location() {
      shared ??= database();
      const db = await shared;
      const name = `s${++seq}`;
      await sqlOn(db, `CREATE SCHEMA ${name}`);
      const u = new URL(db);
      u.searchParams.set('options', `-c search_path=${name}`);
      return u.toString();
    },
    sql: sqlOn,
  };
}
