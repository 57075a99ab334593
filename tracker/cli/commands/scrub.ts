// hoard-admin scrub NODE [--blob ID]: run a node's scrub now (every chunk
// read and checked at the node's scrub rate), or verify one blob on it. Runs
// as a job on the node: progress on a terminal, however long it takes.
// Exit status: 0 all good, 1 bad chunks found, 2 the scrub could not run.
import type { Argv, CommandModule } from 'yargs';
import { CliError } from '../../../common/cli.js';
import type { BlobCheck } from '../../../common/protocol/integrity.js';
import { NODE } from '../../../common/protocol/routes.js';
import { SHA256_RE } from '../../../common/protocol/ids.js';
import type { WorkerReport } from '../../../common/worker.js';
import { adminCaller, nodeName } from '../call.js';
import { runJob } from '../job.js';
import { findNode } from '../node-target.js';
import { EXIT_FAILED, EXIT_FINDINGS, printJson, runAdmin, withAdminOptions, type AdminArgs } from '../options.js';

interface Args extends AdminArgs {
  node: string;
  blob?: string;
}

export const scrubCommand: CommandModule<object, Args> = {
  command: 'scrub <node>',
  describe: 'Run a node\'s scrub now, or verify one blob on it (--blob); bad copies are quarantined and reported. Exit 1: bad chunks found; 2: could not run',
  builder: (y: Argv<object>) =>
    withAdminOptions(y)
      .positional('node', { type: 'string', demandOption: true, describe: 'Node id (see hoard-admin nodes)' })
      .option('blob', { type: 'string', describe: 'Verify only this blob (its SHA-256)' }) as Argv<Args>,
  handler: (argv) =>
    runAdmin(async () => {
      if (argv.blob !== undefined && !SHA256_RE.test(argv.blob)) throw new CliError('BAD_ARGUMENT', '--blob must be a blob id (64 hex digits)');
      const api = adminCaller(argv);
      const node = await findNode(api, argv.node);
      const target = {
        name: nodeName(node),
        jobs: NODE.jobs,
        call: <T>(method: string, path: string, opts?: { body?: unknown }) => api.callNode<T>(node, method, path, opts),
      };
      if (argv.blob !== undefined) {
        const { result: r } = await runJob<BlobCheck>({ ...target, start: `${NODE.internalBlobs}/${argv.blob}/verify` });
        if (r.bad.length > 0) process.exitCode = EXIT_FINDINGS;
        if (argv.json) return printJson(r);
        process.stdout.write(`${r.id} on ${node.id}: ${r.chunks} chunk(s), ${r.bad.length === 0 ? 'all good' : `bad: ${r.bad.join(', ')} (copy quarantined and reported)`}\n`);
        return;
      }
      const { result: r, status } = await runJob<WorkerReport>({ ...target, start: `${NODE.workers}/scrub/run` });
      if ((r.badChunks ?? 0) > 0) process.exitCode = EXIT_FINDINGS;
      if (argv.json) return printJson(r);
      process.stdout.write(
        `scrub on ${node.id}: ${r.blobs ?? 0} blob(s), ${r.chunks ?? 0} chunk(s), ${r.bytes ?? 0} bytes read in ${Math.round(status.ms / 1000)} s; ` +
          `${r.badChunks ?? 0} bad chunk(s) in ${r.badBlobs ?? 0} blob(s)\n`,
      );
    }, EXIT_FAILED),
};
