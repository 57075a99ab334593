// hoard-admin scrub NODE [--blob ID]: run a node's scrub now (every chunk
// read and checked at the node's scrub rate), or verify one blob on it.
import type { Argv, CommandModule } from 'yargs';
import { CliError } from '../../../common/cli.js';
import type { BlobCheck } from '../../../common/protocol/integrity.js';
import { NODE } from '../../../common/protocol/routes.js';
import { SHA256_RE } from '../../../common/protocol/ids.js';
import type { WorkerReport } from '../../../common/worker.js';
import { adminCaller } from '../call.js';
import { findNode } from '../node-target.js';
import { printJson, runAdmin, withAdminOptions, type AdminArgs } from '../options.js';

interface Args extends AdminArgs {
  node: string;
  blob?: string;
}

export const scrubCommand: CommandModule<object, Args> = {
  command: 'scrub <node>',
  describe: 'Run a node\'s scrub now, or verify one blob on it (--blob); bad copies are quarantined and reported',
  builder: (y: Argv<object>) =>
    withAdminOptions(y)
      .positional('node', { type: 'string', demandOption: true, describe: 'Node id (see hoard-admin nodes)' })
      .option('blob', { type: 'string', describe: 'Verify only this blob (its SHA-256)' }) as Argv<Args>,
  handler: (argv) =>
    runAdmin(async () => {
      const api = adminCaller(argv);
      const node = await findNode(api, argv.node);
      if (argv.blob !== undefined) {
        if (!SHA256_RE.test(argv.blob)) throw new CliError('BAD_RESPONSE', '--blob must be a blob id (64 hex digits)');
        const r = await api.callAt<BlobCheck>(node.publicUrl, 'POST', `${NODE.internalBlobs}/${argv.blob}/verify`, { body: {}, timeoutMs: 3_600_000 });
        if (r.bad.length > 0) process.exitCode = 1;
        if (argv.json) return printJson(r);
        process.stdout.write(`${r.id} on ${node.id}: ${r.chunks} chunk(s), ${r.bad.length === 0 ? 'all good' : `bad: ${r.bad.join(', ')} (copy quarantined and reported)`}\n`);
        return;
      }
      const r = await api.callAt<WorkerReport>(node.publicUrl, 'POST', `${NODE.workers}/scrub/run`, { timeoutMs: 24 * 3_600_000 });
      if ((r.badChunks ?? 0) > 0) process.exitCode = 1;
      if (argv.json) return printJson(r);
      process.stdout.write(`scrub on ${node.id}: ${r.blobs ?? 0} blob(s), ${r.chunks ?? 0} chunk(s), ${r.bytes ?? 0} bytes read; ${r.badChunks ?? 0} bad chunk(s) in ${r.badBlobs ?? 0} blob(s)\n`);
    }),
};
