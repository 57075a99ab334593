// A throwaway PostgreSQL server for tests and the bench: initdb in a fresh
// folder, listening on 127.0.0.1 and a free high port, stopped by its
// postmaster's pid and removed when done or when this process exits. Run as
// the `postgres` user when this process is root (initdb refuses root). A
// server left by a process that was killed is stopped by the next start.
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const DIR_PREFIX = 'hoard-pg-';

export interface PostgresOptions {
  /** fsync and synchronous commit as in production (the bench); off for tests, where only behaviour counts. */
  durable?: boolean;
  /** Extra server settings, e.g. { shared_buffers: '1GB' }. */
  settings?: Record<string, string>;
}

export interface PostgresServer {
  /** postgres://postgres@127.0.0.1:PORT/DB */
  url(database?: string): string;
  port: number;
  /** The data folder (for bytes on disk). */
  dataDir: string;
  /** Makes an empty database and returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** Runs SQL through psql as the superuser (setup only). */
  psql(sql: string, database?: string): string;
  stop(): void;
}

interface Binaries {
  bin: string;
  /** Prefix running a command as the postgres user (empty when not root). */
  as: string[];
}

/** Where PostgreSQL's server programs are: HOARD_PG_BIN, Debian's /usr/lib/postgresql/<newest>/bin, or PATH. */
function findBin(): string | undefined {
  const env = process.env.HOARD_PG_BIN;
  if (env) return existsSync(join(env, 'initdb')) ? env : undefined;
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    const versions = readdirSync(debian)
      .filter((v) => existsSync(join(debian, v, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return join(debian, versions[0], 'bin');
  }
  const which = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' });
  const found = which.status === 0 ? which.stdout.trim() : '';
  return found ? found.replace(/\/initdb$/, '') : undefined;
}

function binaries(): Binaries | string {
  const bin = findBin();
  if (!bin) return 'no PostgreSQL server programs (initdb) in /usr/lib/postgresql/*/bin, HOARD_PG_BIN or PATH; install postgresql';
  if (process.getuid?.() !== 0) return { bin, as: [] };
  if (spawnSync('id', ['-u', 'postgres'], { stdio: 'ignore' }).status !== 0) return 'running as root, and there is no postgres user to run the server as';
  return { bin, as: ['runuser', '-u', 'postgres', '--'] };
}

/** Why no throwaway server can start here, or undefined when one can. */
export function postgresUnavailable(): string | undefined {
  const b = binaries();
  return typeof b === 'string' ? b : undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (a && typeof a === 'object' ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** SIGQUIT to the postmaster: immediate shutdown, children included. */
function killPostmaster(dataDir: string): void {
  try {
    const pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    if (pid > 0) process.kill(pid, 'SIGQUIT');
  } catch {
    // not running
  }
}

/** Servers left by test or bench processes that are gone. */
function sweepStale(): void {
  for (const name of readdirSync(tmpdir())) {
    const m = new RegExp(`^${DIR_PREFIX}(\\d+)-`).exec(name);
    if (!m || alive(Number(m[1]))) continue;
    const dir = join(tmpdir(), name);
    killPostmaster(join(dir, 'data'));
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function startPostgres(opts: PostgresOptions = {}): Promise<PostgresServer> {
  const b = binaries();
  if (typeof b === 'string') throw new Error(b);
  sweepStale();
  const dir = mkdtempSync(join(tmpdir(), `${DIR_PREFIX}${process.pid}-`));
  const dataDir = join(dir, 'data');
  // From the server's own folder: PostgreSQL's programs fail where the postgres user cannot read the working directory (a checkout under /root).
  const run = (cmd: string, args: string[]) => execFileSync(b.as[0] ?? join(b.bin, cmd), b.as.length ? [...b.as.slice(1), join(b.bin, cmd), ...args] : args, { stdio: 'pipe', encoding: 'utf8', cwd: dir });
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    killPostmaster(dataDir);
    // The postmaster removes its pid file as it ends; the folder goes after it.
    const deadline = Date.now() + 5_000;
    while (existsSync(join(dataDir, 'postmaster.pid')) && Date.now() < deadline) spawnSync('sleep', ['0.05']);
    rmSync(dir, { recursive: true, force: true });
  };
  process.on('exit', stop);
  try {
    if (b.as.length) {
      const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }));
      const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }));
      chownSync(dir, uid, gid);
    }
    run('initdb', ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-locale', '--no-sync']);
    const durable = opts.durable === true;
    const settings: Record<string, string> = {
      listen_addresses: '127.0.0.1',
      unix_socket_directories: dir,
      max_connections: '200',
      fsync: durable ? 'on' : 'off',
      synchronous_commit: durable ? 'on' : 'off',
      full_page_writes: durable ? 'on' : 'off',
      ...opts.settings,
    };
    let port = 0;
    for (let attempt = 0; ; attempt++) {
      port = await freePort();
      const o = [`-p ${port}`, ...Object.entries(settings).map(([k, v]) => `-c ${k}=${v}`)].join(' ');
      try {
        run('pg_ctl', ['-D', dataDir, '-l', join(dir, 'server.log'), '-w', '-t', '60', '-o', o, 'start']);
        break;
      } catch (err) {
        // Another process took the port between the probe and the start: once more with another.
        if (attempt >= 2) throw new Error(`PostgreSQL did not start: ${readLog(dir)}`, { cause: err });
      }
    }
    const url = (database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${database}`;
    const psql = (sql: string, database = 'postgres') =>
      execFileSync(join(b.bin, 'psql'), ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', url(database), '-c', sql], { encoding: 'utf8' });
    return {
      url,
      port,
      dataDir,
      psql,
      async createDatabase(name) {
        if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bad database name ${name}`);
        psql(`CREATE DATABASE ${name}`);
        return url(name);
      },
      stop() {
        process.off('exit', stop);
        stop();
      },
    };
  } catch (err) {
    process.off('exit', stop);
    stop();
    throw err;
  }
}

function readLog(dir: string): string {
  try {
    return readFileSync(join(dir, 'server.log'), 'utf8').trim().split('\n').slice(-5).join(' | ');
  } catch {
    return '(no log)';
  }
}
