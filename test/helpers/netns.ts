// Several "hosts" on one machine, for multi-host tests: one network
// namespace per host, all plugged into a bridge that lives in a namespace of
// its own, addresses from 198.18.0.0/24 (RFC 2544, benchmarking only). The
// range is blackholed in the root namespace before anything else, and no
// interface of the lab ever exists there, so no packet can leave the machine:
// tests reach the hosts only by running commands inside their namespaces.
// Everything is removed at the end, also when the test fails or exits early.
import { execFileSync, spawnSync } from 'node:child_process';
import { atExit, run, type RunOptions, type RunResult } from './proc.js';

export const LAB_RANGE = '198.18.0.0/24';
const PREFIX = 'hoard-';

export interface LabHost {
  name: string;
  /** The namespace this host lives in. */
  ns: string;
  addr: string;
  /** Prefix that runs a command inside the host: ['ip', 'netns', 'exec', ns]. */
  wrap: string[];
}

export interface Lab {
  hosts: Record<string, LabHost>;
  /** Runs `cmd args` inside `host`. */
  exec(host: string, cmd: string, args: string[], opts?: RunOptions): Promise<RunResult>;
  /** Removes namespaces (and with them every veth and the bridge) and the blackhole route if this lab added it. */
  destroy(): void;
}

function ip(args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

function tryIp(args: string[]): boolean {
  return spawnSync('ip', args, { stdio: 'ignore' }).status === 0;
}

/** Why namespaces cannot be used here, or undefined when they can (probed by making and removing one). */
export function labUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'network namespaces need Linux';
  if (process.getuid?.() !== 0) return 'network namespaces need root (run the suite as root, as CI does)';
  if (spawnSync('ip', ['-V'], { stdio: 'ignore' }).status !== 0) return 'the ip command (iproute2) is not installed';
  const probe = `${PREFIX}${process.pid.toString(36)}-probe`;
  const made = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' });
  if (made.status !== 0) return `ip netns add is not permitted here: ${made.stderr.trim()}`;
  const inside = spawnSync('ip', ['netns', 'exec', probe, 'ip', 'link', 'set', 'lo', 'up'], { encoding: 'utf8' });
  tryIp(['netns', 'del', probe]);
  if (inside.status !== 0) return `ip netns exec is not permitted here: ${inside.stderr.trim()}`;
  return undefined;
}

/**
 * Namespaces left by labs whose test process is gone (a SIGKILLed run) are
 * removed before a new lab starts. Returns how many labs are still live.
 */
function sweepStale(): number {
  const list = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout ?? '';
  const live = new Set<number>();
  for (const line of list.split('\n')) {
    const name = line.split(' ')[0] ?? '';
    const m = new RegExp(`^${PREFIX}([0-9a-z]+)-`).exec(name);
    if (!m) continue;
    const pid = parseInt(m[1]!, 36);
    let alive = true;
    try {
      process.kill(pid, 0);
    } catch {
      alive = false;
    }
    if (!alive) tryIp(['netns', 'del', name]);
    else live.add(pid);
  }
  return live.size;
}

/**
 * Builds the lab: host names map to 198.18.0.<n> in order from .1. Throws
 * (after cleaning up) if any step fails.
 */
export function createLab(names: string[]): Lab {
  if (names.length > 200) throw new Error('at most 200 hosts');
  const others = sweepStale();
  const tag = process.pid.toString(36);
  const sw = `${PREFIX}${tag}-sw`;
  const made: string[] = [];
  let routeAdded = false;
  let destroyed = false;

  const destroy = () => {
    if (destroyed) return;
    destroyed = true;
    // Deleting a namespace deletes its interfaces; the veth peers and the bridge go with them.
    for (const ns of made.reverse()) tryIp(['netns', 'del', ns]);
    if (routeAdded) tryIp(['route', 'del', 'blackhole', LAB_RANGE]);
  };
  const cancelExit = atExit(destroy);
  // A runner's timeout sends SIGTERM: exit properly so the daemons are killed and the lab removed.
  for (const sig of ['SIGTERM', 'SIGINT'] as const) process.once(sig, () => process.exit(128 + (sig === 'SIGTERM' ? 15 : 2)));

  try {
    // First of all: nothing addressed to the range may leave through the root namespace.
    if (tryIp(['route', 'add', 'blackhole', LAB_RANGE])) routeAdded = true;
    else if (!spawnSync('ip', ['route', 'show', LAB_RANGE], { encoding: 'utf8' }).stdout.includes('blackhole')) {
      throw new Error(`cannot blackhole ${LAB_RANGE} in the root namespace, and another route covers it`);
    } else if (others === 0) {
      // Left by a lab that was killed outright: no live lab uses it, so this one removes it at the end.
      routeAdded = true;
    }
    ip(['netns', 'add', sw]);
    made.push(sw);
    ip(['-n', sw, 'link', 'set', 'lo', 'up']);
    ip(['-n', sw, 'link', 'add', 'br0', 'type', 'bridge']);
    ip(['-n', sw, 'link', 'set', 'br0', 'up']);
    const hosts: Record<string, LabHost> = {};
    names.forEach((name, i) => {
      const ns = `${PREFIX}${tag}-${name}`;
      ip(['netns', 'add', ns]);
      made.push(ns);
      const port = `p${i}`;
      // Both ends are created inside their namespaces: the pair never exists in the root namespace.
      ip(['link', 'add', port, 'netns', sw, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
      ip(['-n', sw, 'link', 'set', port, 'master', 'br0']);
      ip(['-n', sw, 'link', 'set', port, 'up']);
      const addr = `198.18.0.${i + 1}`;
      ip(['-n', ns, 'link', 'set', 'lo', 'up']);
      ip(['-n', ns, 'addr', 'add', `${addr}/24`, 'dev', 'eth0']);
      ip(['-n', ns, 'link', 'set', 'eth0', 'up']);
      hosts[name] = { name, ns, addr, wrap: ['ip', 'netns', 'exec', ns] };
    });
    return {
      hosts,
      exec(host, cmd, args, opts) {
        const h = hosts[host];
        if (!h) throw new Error(`no host ${host}`);
        return run('ip', ['netns', 'exec', h.ns, cmd, ...args], opts);
      },
      destroy() {
        destroy();
        cancelExit();
      },
    };
  } catch (err) {
    destroy();
    cancelExit();
    throw err;
  }
}
