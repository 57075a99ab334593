// Asking the person at the terminal for a name or a password (not echoed);
// off a terminal, the password is the first line of standard input, so
// scripts can pipe it in (`printf '%s\n' "$PW" | hoard login --name alice`).
import { createInterface } from 'node:readline';
import { CliError } from '../common/cli.js';

export async function ask(question: string, opts: { hidden?: boolean } = {}): Promise<string> {
  if (!process.stdin.isTTY) throw new CliError('MISSING_ARGUMENT', `${question.replace(/: $/, '')} is needed: give it as an option (off a terminal nothing is asked)`);
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  if (opts.hidden) {
    // Echo nothing the person types after the question.
    const out = rl as unknown as { _writeToOutput: (s: string) => void };
    let asked = false;
    out._writeToOutput = (s: string) => {
      if (!asked) process.stderr.write(s);
      asked = true;
    };
  }
  try {
    return await new Promise<string>((resolve) => rl.question(question, resolve));
  } finally {
    if (opts.hidden) process.stderr.write('\n');
    rl.close();
  }
}

/** A password: asked for on a terminal, else the first line of standard input. */
export async function readPassword(): Promise<string> {
  if (process.stdin.isTTY) return ask('Password: ', { hidden: true });
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  const line = Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
  if (line === '') throw new CliError('MISSING_ARGUMENT', 'no password on standard input');
  return line;
}
