// `npm start`: a tracker and three storage nodes (zones a, b, c) on this
// machine, data under ./data, logs under ./data/logs. A process that dies is
// named with its exit and last log lines, and started again with back-off
// while the others keep running (`npm start -- --no-restart` leaves it down).
// Ctrl-C stops them all.
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { binaries, HoardCluster, type Member } from './cluster/cluster.js';
import type { Proc } from './cluster/processes.js';
import { RestartBackoff } from './cluster/restarts.js';

const LISTEN_TIMEOUT_MS = 30_000;
const REGISTER_TIMEOUT_MS = 15_000;
const KILL_AFTER_MS = 5_000;
const TAIL_LINES = 15;
const REPAIR_GRACE_MS = 15_000;

const NODES = [
  { zone: 'a', offset: 1 },
  { zone: 'b', offset: 2 },
  { zone: 'c', offset: 3 },
];

const say = (line: string) => process.stderr.write(`local-cluster: ${line}\n`);

/** A path as the user would type it from the current directory. */
const shown = (p: string) => (isAbsolute(p) || p.startsWith('.') ? p : './' + p);

function basePort(): number {
  const raw = process.env.HOARD_BASE_PORT ?? '8080';
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 1 || n > 65535 - NODES.length) throw new Error(`HOARD_BASE_PORT ${JSON.stringify(raw)} is not a usable port`);
  return n;
}

let cluster: HoardCluster | undefined;
let stopping = false;
const restarting = !process.argv.slice(2).includes('--no-restart');
const backoffs = new Map<string, RestartBackoff>();
const backoff = (m: Member) => backoffs.get(m.name) ?? backoffs.set(m.name, new RestartBackoff()).get(m.name)!;

const indented = (p: Proc, prefix: string) => p.tail(TAIL_LINES).split('\n').map((l) => prefix + l).join('\n') + '\n';

/** A daemon that dies while the cluster runs is named, with its last lines, and started again after a wait; the others keep running. */
function watch(m: Member, logDir: string): void {
  const proc = m.proc;
  const startedAt = Date.now();
  void proc.exited.then(({ code, signal }) => {
    // Ctrl-C in a terminal reaches the children too; give our own handler a moment to run first.
    setTimeout(() => {
      if (stopping) return;
      say(`${m.name} (pid ${proc.pid}) exited unexpectedly (${code !== null ? 'code ' + code : 'signal ' + signal}); its last lines:`);
      process.stderr.write(indented(proc, '  '));
      const log = shown(join(logDir, m.name + '.log'));
      if (!restarting) {
        say(`leaving ${m.name} down (--no-restart); the others keep running (full log: ${log})`);
        return;
      }
      const wait = backoff(m).next(Date.now() - startedAt);
      say(`the others keep running; starting ${m.name} again in ${wait / 1000} s (full log: ${log})`);
      setTimeout(() => void relaunch(m, logDir), wait);
    }, 200);
  });
}

/** Starts a dead daemon again with its flags (same data, same port); watch() takes over once it listens. */
async function relaunch(m: Member, logDir: string): Promise<void> {
  if (stopping) return;
  try {
    await m.start();
  } catch (err) {
    if (stopping) return;
    const wait = backoff(m).next(0);
    say(`${m.name} did not start again: ${((err as Error).message ?? String(err)).split('\n')[0]}; next try in ${wait / 1000} s`);
    setTimeout(() => void relaunch(m, logDir), wait);
  }
}

/** SIGTERM to every live child by pid, SIGKILL to those still there after 5 s, then exit. */
async function stop(code: number): Promise<never> {
  stopping = true;
  await cluster?.processes.stopAll(KILL_AFTER_MS, (p) => say(`${p.name} (pid ${p.pid}) still running after ${KILL_AFTER_MS / 1000} s: SIGKILL`));
  process.exit(code);
}

function onSignal(signal: NodeJS.Signals): void {
  if (stopping) {
    // A second Ctrl-C: do not wait any longer.
    cluster?.processes.killAllSync();
    return;
  }
  say(`${signal}: stopping the cluster`);
  void stop(0);
}

function banner(opts: { tracker: string; nodes: { name: string; url: string; zone: string; pid: number }[]; data: string; secretFile: string; defaultPort: boolean }): string {
  const t = opts.tracker;
  const flag = opts.defaultPort ? '' : ` --tracker ${t}`;
  const sf = shown(opts.secretFile);
  const lines = [
    '',
    `hoard local cluster is up (data ${shown(opts.data)}, logs ${shown(join(opts.data, 'logs'))})`,
    `  tracker  ${t}`,
    ...opts.nodes.map((n) => `  ${n.name}   ${n.url}  zone ${n.zone}  pid ${n.pid}`),
    '',
    'Upload:',
    `  curl -L -T FILE ${t}/upload/NAME`,
    `  npx hoard put FILE${flag}`,
    'Download (the link printed by the upload):',
    `  curl -LOJ ${t}/f/ID`,
    `  npx hoard get LINK`,
    'Look inside:',
    `  HOARD_SECRET=$(cat ${sf}) npx hoard-admin stats${flag}`,
    `  npx hoard-admin nodes --secret-file ${sf}${flag}`,
    '',
    'A process that dies is started again (npm start -- --no-restart leaves it down).',
    'Ctrl-C stops the cluster.',
    '',
  ];
  return lines.join('\n');
}

async function main(): Promise<void> {
  const data = process.env.HOARD_DATA || './data';
  const port = basePort();
  const dist = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  for (const f of Object.values(binaries(dist))) {
    if (!existsSync(f)) throw new Error(`${f} is missing: run \`npm run build\` first`);
  }
  const logDir = join(data, 'logs');
  const secretFile = join(data, 'secret');

  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  cluster = new HoardCluster({
    dist,
    secretFile,
    logDir,
    // A short repair grace: a node left down (--no-restart) has its copies re-made within a minute.
    tracker: { name: 'tracker', data: join(data, 'tracker'), port, args: ['--repair-grace', String(REPAIR_GRACE_MS)] },
    nodes: NODES.map(({ zone, offset }) => ({ name: `node-${zone}`, data: join(data, `node-${zone}`), port: port + offset, zone })),
    readyTimeoutMs: LISTEN_TIMEOUT_MS,
    onListening: (m) => {
      say(`${m.name} listening at ${m.url} (pid ${m.proc.pid})`);
      watch(m, logDir);
    },
  });
  await cluster.start();
  try {
    await cluster.waitRegistered(cluster.nodes, { timeoutMs: REGISTER_TIMEOUT_MS, intervalMs: 250 });
  } catch {
    say(`not every node shows as up at the tracker after ${REGISTER_TIMEOUT_MS / 1000} s; see ${shown(logDir)}`);
  }
  if (stopping) return;
  const tracker = cluster.trackerUrl;
  const nodes = cluster.nodes.map((n, i) => ({ name: n.name, url: n.url, zone: NODES[i]!.zone, pid: n.proc.pid }));
  process.stdout.write(banner({ tracker, nodes, data, secretFile, defaultPort: tracker === 'http://127.0.0.1:8080' }));
}

main().catch((err: unknown) => {
  if (stopping) return;
  say((err as Error).message ?? String(err));
  for (const m of [cluster?.tracker, ...(cluster?.nodes ?? [])]) {
    if (!m?.started) continue;
    process.stderr.write(`  last lines of ${m.name}:\n`);
    process.stderr.write(indented(m.proc, '    '));
  }
  void stop(1);
});
