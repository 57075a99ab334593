// Options every hoard command takes, and the command line as yargs gets it.
import { errorLine, CliError, missingArgumentMessage } from '../common/cli.js';
import { LINK_ID_RE } from '../common/protocol/ids.js';

export interface GlobalArgs {
  tracker?: string;
}

/** Options of `hoard` that take a value (aliases included): one of them may swallow the argument meant for the command. */
export const VALUE_OPTIONS = ['tracker', 'output', 'o', 'retries', 'state-dir', 'name'] as const;

/** What each command's missing argument is, for the message. */
const WANTED: Record<string, string> = {
  put: 'a FILE to upload ("-" reads standard input)',
  get: 'a LINK to download (http://HOST/f/ID or ID)',
};

/**
 * Link ids are base64url and one in 64 begins with '-': yargs would read
 * `-oAbc…` as an option. A word that is a whole link id and is not the value
 * of an option gets a leading space, which makes it an argument to yargs;
 * `hoard get` trims it off again. A lone `-` (standard input), which yargs
 * drops from a list of arguments, is kept the same way.
 */
export function protectDashedIds(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const prev = i > 0 ? args[i - 1]! : '';
    const isValue = /^--?[A-Za-z]/.test(prev) && (VALUE_OPTIONS as readonly string[]).includes(prev.replace(/^--?/, ''));
    out.push((a === '-' || (a.startsWith('-') && LINK_ID_RE.test(a))) && !isValue ? ' ' + a : a);
  }
  return out;
}

/**
 * yargs' fail handler: a usage mistake is one line, `hoard: <code>: <message>`,
 * exit 1. A missing argument names the option that may have taken it.
 */
export function cliFailure(tool: string, args: readonly string[]): (msg: string, err: Error | undefined) => void {
  return (msg, err) => {
    if (err) throw err;
    let line: string;
    if (/^Not enough non-option arguments/.test(msg)) {
      const what = WANTED[args.find((a) => a in WANTED) ?? ''] ?? 'an argument';
      line = errorLine(tool, new CliError('MISSING_ARGUMENT', missingArgumentMessage(what, args, VALUE_OPTIONS)));
    } else {
      line = `${tool}: ${msg}`;
    }
    process.stderr.write(`${line}\n(${tool} --help shows the commands and their options)\n`);
    process.exit(1);
  };
}

/** An argument as the user typed it (undoes protectDashedIds). */
export function typedArg(a: unknown): string {
  const s = String(a);
  return s.startsWith(' -') ? s.slice(1) : s;
}
