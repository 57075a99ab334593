// hoard put FILE... : hash each file, upload it resumably (tus) with its
// declared hashes, print one link per line. A file the cluster already holds
// ends after a proof of possession and its first MiB. `-` reads standard input.
import type { Argv, CommandModule } from 'yargs';
import { CliError, describeError, errorLine, formatBytes, trackerUrls } from '../../common/cli.js';
import { chooseTracker } from '../tracker.js';
import { typedArg, type GlobalArgs } from '../args.js';
import { progressBar, type Progress } from '../progress.js';
import { spool } from '../stdin.js';
import { DEFAULT_RETRIES, putFile, type PutResult } from '../tus-upload.js';

interface PutArgs extends GlobalArgs {
  files: string[];
  json: boolean;
  stats: boolean;
  retries: number;
  stateDir?: string;
  name?: string;
}

/** The name a link gets for standard input when --name is not given. */
export const STDIN_NAME = 'stdin';

export const putCommand: CommandModule<GlobalArgs, PutArgs> = {
  command: 'put <files..>',
  describe: 'Upload files and print their links (resumable; duplicates end early); - reads standard input',
  builder: (y: Argv<GlobalArgs>) =>
    y
      .positional('files', { type: 'string', array: true, demandOption: true, describe: 'Files to upload (- for standard input)' })
      .option('json', { type: 'boolean', default: false, describe: 'Print one JSON line per file: its result (with bytes sent and timings) or its error' })
      .option('stats', { type: 'boolean', default: false, describe: 'Print bytes sent and time taken to stderr' })
      .option('retries', { type: 'number', default: DEFAULT_RETRIES, describe: 'Attempts without progress before giving up (the upload stays resumable)' })
      .option('state-dir', { type: 'string', describe: 'Where unfinished uploads are remembered (env HOARD_STATE_DIR, default ~/.cache/hoard/uploads)' })
      .option('name', { type: 'string', describe: `The file name the link gets (default: the file's own; "${STDIN_NAME}" for -); one file only` }) as Argv<PutArgs>,
  async handler(argv) {
    const files = argv.files.map(typedArg);
    const fail = (err: unknown, file?: string) => {
      process.exitCode = 1;
      if (argv.json) {
        process.stdout.write(JSON.stringify({ file, error: describeError(err) }) + '\n');
      }
      process.stderr.write(errorLine('hoard', err, file) + '\n');
    };
    let trackers: string[];
    try {
      trackers = trackerUrls(argv.tracker);
      if (!Number.isSafeInteger(argv.retries) || argv.retries < 0) throw new CliError('BAD_ARGUMENT', '--retries must be a whole number of attempts');
      if (argv.name !== undefined && files.length > 1) throw new CliError('BAD_ARGUMENT', '--name names one upload: give one file with it');
      if (files.filter((f) => f === '-').length > 1) throw new CliError('BAD_ARGUMENT', 'standard input (-) can be read once');
    } catch (err) {
      process.exitCode = 1;
      process.stderr.write(errorLine('hoard', err) + '\n');
      return;
    }
    for (const [i, file] of files.entries()) {
      try {
        // Chosen again for each file: a tracker that went away meanwhile is passed over.
        const result = await putOne(await chooseTracker(trackers), file, argv);
        if (argv.json) process.stdout.write(JSON.stringify({ file, ...result }) + '\n');
        else process.stdout.write(result.link + '\n');
      } catch (err) {
        if (err instanceof CliError && err.code === 'TRACKER_UNREACHABLE') {
          // Every other file would fail the same way: one line, as `hoard get` prints it.
          process.exitCode = 1;
          process.stderr.write(errorLine('hoard', err) + '\n');
          if (argv.json) for (const f of files.slice(i)) process.stdout.write(JSON.stringify({ file: f, error: describeError(err) }) + '\n');
          return;
        }
        fail(err, file);
      }
    }
  },
};

async function putOne(tracker: string, file: string, argv: PutArgs): Promise<PutResult> {
  let bar: Progress | undefined;
  const stop = () => {
    bar?.stop();
    bar = undefined;
  };
  const stdin = file === '-' ? await spool(process.stdin) : undefined;
  const label = stdin ? 'standard input' : file;
  try {
    const result = await putFile(tracker, stdin?.path ?? file, {
      name: argv.name ?? (stdin ? STDIN_NAME : undefined),
      // Standard input cannot be read again: nothing to resume in a later run.
      stateDir: stdin ? '' : argv.stateDir,
      retries: argv.retries,
      onHashStart: (size) => (bar = progressBar(`hashing ${label}`, size)),
      onHashProgress: (n) => bar?.update(n),
      onStart: (size, offset) => {
        stop();
        if (offset > 0) process.stderr.write(`hoard: ${file}: resuming at ${formatBytes(offset)}\n`);
        bar = progressBar(label, size, offset);
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
    return result;
  } finally {
    stop();
    await stdin?.remove();
  }
}
