// hoard put FILE... : upload each file, print one link per line.
import type { Argv, CommandModule } from 'yargs';
import { errorLine, trackerUrl } from '../../common/cli.js';
import type { GlobalArgs } from '../args.js';
import { progressBar, type Progress } from '../progress.js';
import { uploadFile } from '../upload.js';

interface PutArgs extends GlobalArgs {
  files?: string[];
  json: boolean;
}

export const putCommand: CommandModule<GlobalArgs, PutArgs> = {
  command: 'put <files..>',
  describe: 'Upload files and print their links',
  builder: (y: Argv<GlobalArgs>) =>
    y
      .positional('files', { type: 'string', array: true, describe: 'Files to upload' })
      .option('json', { type: 'boolean', default: false, describe: 'Print each upload result as a JSON line' }) as Argv<PutArgs>,
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
      try {
        const result = await uploadFile(tracker, file, {
          onStart: (size) => (bar = progressBar(file, size)),
          onProgress: (sent) => bar?.update(sent),
        });
        bar?.stop();
        process.stdout.write((argv.json ? JSON.stringify(result) : result.link) + '\n');
      } catch (err) {
        bar?.stop();
        failed = true;
        process.stderr.write(errorLine('hoard', err, file) + '\n');
      }
    }
    if (failed) process.exitCode = 1;
  },
};
