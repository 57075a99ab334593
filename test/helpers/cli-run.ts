// Runs one yargs command in-process, as the CLI unit tests need: what it
// prints on stdout is captured and returned instead of shown.
import yargs, { type CommandModule } from 'yargs';

export async function runCommand<T, U>(command: CommandModule<T, U>, args: string[]): Promise<string> {
  let printed = '';
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    printed += String(chunk);
    return true;
  }) as typeof process.stdout.write;
  try {
    await yargs(args).command(command as CommandModule).strict().exitProcess(false).parseAsync();
  } finally {
    process.stdout.write = write;
  }
  return printed;
}
