// `npm start`: a tracker and three storage nodes (zones a, b, c) on this
// machine, data under ./data, logs under ./data/logs. Ctrl-C stops them all.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync, type WriteStream } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { callJson } from '../common/client.js';
import { TRACKER } from '../common/protocol/routes.js';
import { type NodeStatus } from '../common/protocol/types.js';

const LISTEN_TIMEOUT_MS = 30_000;
const REGISTER_TIMEOUT_MS = 15_000;
const KILL_AFTER_MS = 5_000;
const TAIL_LINES = 15;

const NODES = [
  { zone: 'a', offset: 1 },
  { zone: 'b', offset: 2 },
  { zone: 'c', offset: 3 },
];

// Keys set here per process by flag, or that must differ between processes;
// an exported HOARD_ID or HOARD_PUBLIC_URL would otherwise be shared by all nodes.
const CHILD_ENV_DROP = ['HOARD_SECRET', 'HOARD_ID', 'HOARD_PUBLIC_URL', 'HOARD_HOST', 'HOARD_PORT', 'HOARD_DATA', 'HOARD_TRACKER', 'HOARD_ZONE', 'HOARD_BASE_PORT'];

interface Child {
  name: string;
  proc: ChildProcess;
  log: WriteStream;
  tail: string[];
  exited: Promise<void>;
  alive: boolean;
}

const say = (line: string) => process.stderr.write(`local-cluster: ${line}\n`);

/** A path as the user would type it from the current directory. */
const shown = (p: string) => (isAbsolute(p) || p.startsWith('.') ? p : './' + p);

function basePort(): number {
  const raw = process.env.HOARD_BASE_PORT ?? '8080';
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 1 || n > 65535 - NODES.length) throw new Error(`HOARD_BASE_PORT ${JSON.stringify(raw)} is not a usable port`);
  return n;
}

/** 32 random bytes, hex, created once (mode 0600) and reused so data stays readable across runs. */
function ensureSecret(path: string): void {
  if (!existsSync(path)) {
    writeFileSync(path, randomBytes(32).toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
    return;
  }
  const line = readFileSync(path, 'utf8').split(/\r?\n/, 1)[0]?.trim() ?? '';
  if (line.length < 16) throw new Error(`${path} holds no usable secret (need 16+ characters); delete it to have a new one made`);
}

function readSecret(path: string): string {
  return (readFileSync(path, 'utf8').split(/\r?\n/, 1)[0] ?? '').trim();
}

const children: Child[] = [];
let stopping = false;

function childEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of CHILD_ENV_DROP) delete env[k];
  return env;
}

/** Starts a daemon and resolves with the URL from its "listening" log line. */
function start(name: string, script: string, args: string[], logDir: string): Promise<string> {
  const log = createWriteStream(join(logDir, `${name}.log`), { flags: 'a' });
  const proc = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: childEnv() });
  const child: Child = {
    name,
    proc,
    log,
    tail: [],
    alive: true,
    // 'close' comes after the exit and the last output; the log is flushed before we count it gone.
    exited: new Promise((res) => proc.once('close', () => log.end(() => res()))),
  };
  children.push(child);
  proc.stdout!.pipe(log, { end: false });
  proc.stderr!.pipe(log, { end: false });
  const remember = (line: string) => {
    child.tail.push(line);
    if (child.tail.length > TAIL_LINES) child.tail.shift();
  };
  createInterface({ input: proc.stderr! }).on('line', remember);

  return new Promise<string>((resolveUrl, reject) => {
    let listening = false;
    const timer = setTimeout(() => reject(new Error(`${name} did not log "listening" within ${LISTEN_TIMEOUT_MS / 1000} s`)), LISTEN_TIMEOUT_MS);
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      remember(line);
      if (listening) return;
      let rec: { msg?: unknown; url?: unknown; port?: unknown };
      try {
        rec = JSON.parse(line) as typeof rec;
      } catch {
        return;
      }
      if (rec.msg !== 'listening') return;
      listening = true;
      clearTimeout(timer);
      resolveUrl(typeof rec.url === 'string' ? rec.url.replace(/\/$/, '') : `http://127.0.0.1:${String(rec.port)}`);
    });
    proc.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot start ${name}: ${err.message}`));
    });
    proc.once('exit', (code, signal) => {
      child.alive = false;
      if (!listening) {
        clearTimeout(timer);
        reject(new Error(`${name} exited (${code ?? signal}) before listening`));
        return;
      }
      // Ctrl-C in a terminal reaches the children too; give our own handler a moment to run first.
      setTimeout(() => {
        if (stopping) return;
        say(`${name} exited unexpectedly (${code !== null ? 'code ' + code : 'signal ' + signal}); its last lines:`);
        for (const l of child.tail) process.stderr.write('  ' + l + '\n');
        say(`stopping the others (full log: ${shown(join(logDir, name + '.log'))})`);
        void stop(1);
      }, 200);
    });
  });
}

/** SIGTERM to every live child by pid, SIGKILL to those still there after 5 s, then exit. */
async function stop(code: number): Promise<never> {
  stopping = true;
  for (const c of children) if (c.alive && c.proc.pid) c.proc.kill('SIGTERM');
  const killer = setTimeout(() => {
    for (const c of children) {
      if (!c.alive) continue;
      say(`${c.name} (pid ${c.proc.pid}) still running after ${KILL_AFTER_MS / 1000} s: SIGKILL`);
      c.proc.kill('SIGKILL');
    }
  }, KILL_AFTER_MS);
  await Promise.all(children.map((c) => c.exited));
  clearTimeout(killer);
  process.exit(code);
}

function onSignal(signal: NodeJS.Signals): void {
  if (stopping) {
    // A second Ctrl-C: do not wait any longer.
    for (const c of children) if (c.alive) c.proc.kill('SIGKILL');
    return;
  }
  say(`${signal}: stopping the cluster`);
  void stop(0);
}

/** Waits until the tracker lists every node as up, so the banner's commands work at once. */
async function waitForRegistration(tracker: string, secret: string, nodeUrls: string[]): Promise<boolean> {
  const deadline = Date.now() + REGISTER_TIMEOUT_MS;
  while (Date.now() < deadline && !stopping) {
    try {
      const nodes = await callJson<NodeStatus[]>(tracker, 'GET', TRACKER.adminNodes, { secret, timeoutMs: 5_000 });
      const up = new Set(nodes.filter((n) => n.state === 'up').map((n) => n.publicUrl.replace(/\/$/, '')));
      if (nodeUrls.every((u) => up.has(u))) return true;
    } catch {
      // not ready yet
    }
    await sleep(250);
  }
  return false;
}

function banner(opts: { tracker: string; nodes: { name: string; url: string; zone: string }[]; data: string; secretFile: string; defaultPort: boolean }): string {
  const t = opts.tracker;
  const flag = opts.defaultPort ? '' : ` --tracker ${t}`;
  const sf = shown(opts.secretFile);
  const lines = [
    '',
    `hoard local cluster is up (data ${shown(opts.data)}, logs ${shown(join(opts.data, 'logs'))})`,
    `  tracker  ${t}`,
    ...opts.nodes.map((n) => `  ${n.name}   ${n.url}  zone ${n.zone}`),
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
    'Ctrl-C stops the cluster.',
    '',
  ];
  return lines.join('\n');
}

async function main(): Promise<void> {
  const data = process.env.HOARD_DATA || './data';
  const port = basePort();
  const dist = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const trackerMain = join(dist, 'tracker', 'main.js');
  const nodeMain = join(dist, 'node', 'main.js');
  for (const f of [trackerMain, nodeMain]) {
    if (!existsSync(f)) throw new Error(`${f} is missing: run \`npm run build\` first`);
  }
  const logDir = join(data, 'logs');
  mkdirSync(logDir, { recursive: true });
  const secretFile = join(data, 'secret');
  ensureSecret(secretFile);

  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const tracker = await start(
    'tracker',
    trackerMain,
    ['--data', join(data, 'tracker'), '--port', String(port), '--secret-file', secretFile],
    logDir,
  );
  say(`tracker listening at ${tracker}`);
  const nodes = await Promise.all(
    NODES.map(async ({ zone, offset }) => {
      const name = `node-${zone}`;
      const url = await start(
        name,
        nodeMain,
        ['--tracker', tracker, '--data', join(data, name), '--port', String(port + offset), '--zone', zone, '--secret-file', secretFile],
        logDir,
      );
      say(`${name} listening at ${url}`);
      return { name, url, zone };
    }),
  );
  if (!(await waitForRegistration(tracker, readSecret(secretFile), nodes.map((n) => n.url)))) {
    say(`not every node shows as up at the tracker after ${REGISTER_TIMEOUT_MS / 1000} s; see ${shown(logDir)}`);
  }
  if (stopping) return;
  process.stdout.write(banner({ tracker, nodes, data, secretFile, defaultPort: tracker === 'http://127.0.0.1:8080' }));
}

main().catch((err: unknown) => {
  say((err as Error).message ?? String(err));
  for (const c of children) {
    if (c.tail.length === 0) continue;
    process.stderr.write(`  last lines of ${c.name}:\n`);
    for (const l of c.tail) process.stderr.write('    ' + l + '\n');
  }
  void stop(1);
});
