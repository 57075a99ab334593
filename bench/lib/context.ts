// What scenarios share in one run: options, the temp folder, the process
// registry, and servers and fixtures started on first use and reused.
import { execFileSync } from 'node:child_process';
import { existsSync, linkSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startNginx, type Nginx } from '../baselines/nginx.js';
import { startNodeServer, type NodeServer, type NodeServerKind } from '../baselines/node-servers.js';
import { makeRandomFile } from './files.js';
import { startCluster, hoardUpload, resolveLink, type Cluster } from './hoard.js';
import { BenchClient } from './http-client.js';
import type { BenchOptions } from './options.js';
import type { ProcessRegistry } from '../../scripts/cluster/processes.js';
import { Wrk } from './wrk.js';

export interface HoardBlob {
  link: string;
  /** Signed node URL (what /f/<id> redirects to), for wrk. */
  nodeUrl: string;
  size: number;
}

export class BenchContext {
  private cached = new Map<string, Promise<unknown>>();
  readonly wrk: Wrk | undefined;

  constructor(
    readonly opts: BenchOptions,
    readonly root: string,
    readonly tmp: string,
    readonly procs: ProcessRegistry,
  ) {
    this.wrk = existsSync(opts.wrk) ? new Wrk(opts.wrk, procs, this.dir('wrk')) : undefined;
  }

  log(msg: string): void {
    process.stderr.write(`  ${msg}\n`);
  }

  dir(name: string): string {
    const d = join(this.tmp, name);
    mkdirSync(d, { recursive: true });
    return d;
  }

  private once<T>(key: string, make: () => Promise<T>): Promise<T> {
    let p = this.cached.get(key) as Promise<T> | undefined;
    if (!p) {
      p = make();
      this.cached.set(key, p);
      // A failed start is retried by the next scenario that asks, not cached.
      p.catch(() => this.cached.delete(key));
    }
    return p;
  }

  cluster(): Promise<Cluster> {
    return this.once('cluster', () => startCluster(this.procs, this.root, this.dir('hoard')));
  }

  /** nginx, or undefined (with the reason) when it is disabled or not installed. */
  nginx(): Promise<Nginx | { absent: string }> {
    return this.once('nginx', async () => {
      const bin = this.opts.nginx;
      if (bin === false) return { absent: 'nginx left out (--no-nginx)' };
      if (!existsSync(bin)) return { absent: `nginx not installed (${bin} missing; apt-get install nginx)` };
      return startNginx(this.procs, bin, this.dir('nginx'), this.opts.nginxWorkers);
    });
  }

  nodeServer(kind: NodeServerKind): Promise<NodeServer> {
    return this.once('node-server-' + kind, () => startNodeServer(this.procs, this.root, this.dir('node-server-' + kind), kind));
  }

  /** The large random file, `opts.size` bytes. */
  bigFile(): Promise<string> {
    return this.once('big-file', async () => {
      const p = join(this.dir('data'), 'big.bin');
      this.log(`writing a ${this.opts.size} byte random file`);
      makeRandomFile(p, this.opts.size);
      return p;
    });
  }

  /** A fixed random file of the same size, uploaded once to hoard and linked into nginx. */
  servedFile(): Promise<string> {
    return this.once('served-file', async () => {
      const p = join(this.dir('data'), 'served.bin');
      makeRandomFile(p, this.opts.size);
      return p;
    });
  }

  hoardBlob(): Promise<HoardBlob> {
    return this.once('hoard-blob', async () => {
      const c = await this.cluster();
      const file = await this.servedFile();
      const client = new BenchClient(4);
      try {
        const up = await hoardUpload(client, c.trackerUrl, 'served.bin', { file, size: this.opts.size });
        return { link: up.result.link, nodeUrl: await resolveLink(client, up.result.link), size: this.opts.size };
      } finally {
        await client.close();
      }
    });
  }

  /** URL of the served file on nginx (a hard link in its root: no copy). */
  nginxFile(): Promise<string | { absent: string }> {
    return this.once('nginx-file', async () => {
      const n = await this.nginx();
      if ('absent' in n) return n;
      const file = await this.servedFile();
      const target = join(n.filesDir, 'served.bin');
      if (!existsSync(target)) linkSync(file, target);
      return `${n.url}/files/served.bin`;
    });
  }
}

/** Flushes dirty pages so one measurement's writeback does not slow the next. */
export function syncDisks(): void {
  try {
    execFileSync('sync', { stdio: 'ignore' });
  } catch {
    /* not fatal */
  }
}
