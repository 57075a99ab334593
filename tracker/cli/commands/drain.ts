// hoard-admin drain NODE [--undo] [--wait]: empty a node before it is removed.
import type { Argv, CommandModule } from 'yargs';
import { CliError } from '../../../common/cli.js';
import { HEARTBEAT_INTERVAL_MS, TRACKER } from '../../../common/protocol/routes.js';
import { type NodeStatus, type RepairStatus } from '../../../common/protocol/types.js';
import { adminClient, printJson, runAdmin, withAdminOptions, type AdminArgs } from '../options.js';

interface DrainArgs extends AdminArgs {
  node: string;
  undo: boolean;
  wait: boolean;
  timeout: number;
}

const POLL_MS = 2_000;
/** How long, after the index lists none, the node's own count may take to reach 0 (a few heartbeats). */
const DISK_WAIT_MS = 5 * HEARTBEAT_INTERVAL_MS;
const DISK_POLL_MS = 250;

/** The node's blob count as its heartbeats report it, polled until 0 or `until`. */
async function nodeBlobsAfter(api: ReturnType<typeof adminClient>, id: string, until: number): Promise<number> {
  for (;;) {
    const n = (await api.get<NodeStatus[]>(TRACKER.adminNodes)).find((x) => x.id === id);
    const count = n?.blobCount ?? 0;
    if (count === 0 || Date.now() >= until) return count;
    await new Promise((r) => setTimeout(r, DISK_POLL_MS));
  }
}

export const drainCommand: CommandModule<object, DrainArgs> = {
  command: 'drain <node>',
  describe: 'Move every blob off a node (it keeps serving reads until its copies exist elsewhere)',
  builder: (y: Argv<object>) =>
    withAdminOptions(y)
      .positional('node', { type: 'string', demandOption: true, describe: 'Node id (see hoard-admin nodes)' })
      .option('undo', { type: 'boolean', default: false, describe: 'End the drain: the node takes uploads and copies again' })
      .option('wait', { type: 'boolean', default: false, describe: 'Wait until the index lists no blob on the node' })
      .option('timeout', { type: 'number', default: 0, describe: 'With --wait: give up after this many seconds (0 = never)' }) as Argv<DrainArgs>,
  handler: (argv) =>
    runAdmin(async () => {
      const api = adminClient(argv);
      const path = `${TRACKER.adminNodePrefix}${encodeURIComponent(argv.node)}/drain`;
      const status = await api.post<NodeStatus>(path, { drain: !argv.undo });
      if (!argv.wait || argv.undo) {
        if (argv.json) return printJson(status);
        process.stdout.write(argv.undo ? `node ${status.id}: drain ended\n` : `node ${status.id}: draining (hoard-admin repair shows progress)\n`);
        return;
      }
      const deadline = argv.timeout > 0 ? Date.now() + argv.timeout * 1000 : Infinity;
      let last = -1;
      for (;;) {
        const r = await api.get<RepairStatus>(TRACKER.adminRepair);
        const left = r.holds[status.id] ?? 0;
        if (left !== last && !argv.json) process.stdout.write(`node ${status.id}: ${left} blob(s) left\n`);
        last = left;
        if (left === 0) break;
        if (Date.now() > deadline) throw new CliError('TIMED_OUT', `node ${status.id} still holds ${left} blob(s) after ${argv.timeout} s`);
        await new Promise((r) => setTimeout(r, POLL_MS));
      }
      // The index drops a copy before the node deletes it, and the node's own count
      // arrives with its heartbeat: wait until the node reports none too, as
      // `hoard-admin nodes` shows, for a few heartbeats at most.
      const onDisk = await nodeBlobsAfter(api, status.id, Math.min(deadline, Date.now() + DISK_WAIT_MS));
      if (argv.json) return printJson({ ...status, left: 0, blobCount: onDisk });
      if (onDisk === 0) process.stdout.write(`node ${status.id}: drained; it can be stopped and removed\n`);
      else
        process.stdout.write(
          `node ${status.id}: drained: the index lists no blob on it and every blob has its copies elsewhere; ` +
            `its disk still reports ${onDisk} (copies no longer listed, removed by its orphan worker); it can be stopped and removed\n`,
        );
    }),
};
