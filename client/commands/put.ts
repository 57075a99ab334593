// hoard put FILE... : hash each file, upload it resumably (tus) with its
// declared hashes, print one link per line. A file the cluster already holds
// ends after a proof of possession and its first MiB.
import type { Argv, CommandModule } from 'yargs';
import { errorLine, formatBytes, trackerUrl } from '../../common/cli.js';
import type { GlobalArgs } from '../args.js';
import { progressBar, type Progress } from '../progress.js';
import { DEFAULT_RETRIES, putFile } from '../tus-upload.js';

interface PutArgs extends GlobalArgs {
  files?: string[];
  json: boolean;
  stats: boolean;
  retries: number;
  stateDir?: string;
}

export const putCommand: CommandModule<GlobalArgs, PutArgs> = {
  command: 'put <files..>',
  describe: 'Upload files and print their links (resumable; duplicates end early)',
  builder: (y: Argv<GlobalArgs>) =>
    y
      .positional('files', { type: 'string', array: true, describe: 'Files to upload' })
      .option('json', { type: 'boolean', default: false, describe: 'Print each upload result as a JSON line (with bytes sent and timings)' })
      .option('stats', { type: 'boolean', default: false, describe: 'Print bytes sent and time taken to stderr' })
      .option('retries', { type: 'number', default: DEFAULT_RETRIES, describe: 'Attempts without progress before giving up (the upload stays resumable)' })
      .option('state-dir', { type: 'string', describe: 'Where unfinished uploads are remembered (env HOARD_STATE_DIR, default ~/.cache/hoard/uploads)' }) as Argv<PutArgs>,
  async handler(argv) {
    let tracker: string;
    try {
      tracker = trackerUrl(argv.tracker);
    } catch (err) {
      process.stderr.write(errorLine('hoard', err) + '\n');
      process.exitCode = 1;
      return;
    }
    let failed = false;
    for (const file of argv.files ?? []) {
      let bar: Progress | undefined;
      const stop = () => {
        bar?.stop();
        bar = undefined;
      };
      try {
        const result = await putFile(tracker, file, {
          stateDir: argv.stateDir,
          retries: argv.retries,
          onHashStart: (size) => (bar = progressBar(`hashing ${file}`, size)),
          onHashProgress: (n) => bar?.update(n),
          onStart: (size, offset) => {
            stop();
            if (offset > 0) process.stderr.write(`hoard: ${file}: resuming at ${formatBytes(offset)}\n`);
            bar = progressBar(file, size, offset);
          },
          onProgress: (n) => bar?.update(n),
          onRetry: (line) => process.stderr.write(`hoard: ${file}: ${line}\n`),
        });
        stop();
        if (argv.stats) {
          const how = result.earlyStop ? 'already stored: proof of possession, early stop' : result.dedup ? 'already stored' : 'new';
          process.stderr.write(
            `hoard: ${file}: sent ${formatBytes(result.sentBytes)} (${result.sentBytes} bytes) of ${formatBytes(result.size)} in ${result.uploadMs.toFixed(1)} ms after hashing for ${result.hashMs.toFixed(0)} ms (${how})\n`,
          );
        }
        process.stdout.write((argv.json ? JSON.stringify(result) : result.link) + '\n');
      } catch (err) {
        stop();
        failed = true;
        process.stderr.write(errorLine('hoard', err, file) + '\n');
      }
    }
    if (failed) process.exitCode = 1;
  },
};
