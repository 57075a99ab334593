// Starts the plain Node baseline server (node-file-server.ts) as a child process.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { waitForListening, type Proc, type ProcessRegistry } from '../../scripts/cluster/processes.js';

export type NodeServerKind = 'hash-fsync' | 'fsync' | 'plain';

export const NODE_SERVER_LABEL: Record<NodeServerKind, string> = {
  'hash-fsync': 'plain Node PUT, MD5+SHA-256, fsync',
  fsync: 'plain Node PUT-to-file, fsync',
  plain: 'plain Node PUT-to-file, no fsync',
};

export interface NodeServer {
  kind: NodeServerKind;
  url: string;
  root: string;
  proc: Proc;
}

export async function startNodeServer(procs: ProcessRegistry, root: string, dir: string, kind: NodeServerKind): Promise<NodeServer> {
  const files = join(dir, 'files');
  mkdirSync(files, { recursive: true });
  const args = [join(root, 'dist/bench/baselines/node-file-server.js'), '--root', files];
  if (kind === 'hash-fsync') args.push('--hash');
  if (kind !== 'plain') args.push('--fsync');
  const proc = procs.spawn(`node-file-server (${kind})`, process.execPath, args, join(dir, 'server.log'));
  const l = await waitForListening(proc);
  return { kind, url: `http://127.0.0.1:${l.port}`, root: files, proc };
}
