// The cluster secret as every process reads it: the first line of a file,
// trimmed, at least 16 characters. One reader, so the daemons, the admin CLI
// and the launcher agree on what a secret file holds.
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';

export const MIN_SECRET_LENGTH = 16;

export class SecretError extends Error {
  override name = 'SecretError';
}

/** The secret in `path`; SecretError when the file cannot be read or its first line is too short. */
export function readSecretFile(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new SecretError(`cannot read the secret file ${path}: ${(err as Error).message}`);
  }
  const line = (text.split(/\r?\n/, 1)[0] ?? '').trim();
  if (line.length < MIN_SECRET_LENGTH) {
    throw new SecretError(`${path} holds no usable secret: its first line must have at least ${MIN_SECRET_LENGTH} characters`);
  }
  return line;
}

/** Creates `path` with a fresh random secret (mode 0600) unless it exists; returns the secret either way. */
export function ensureSecretFile(path: string): string {
  try {
    writeFileSync(path, randomBytes(32).toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new SecretError(`cannot create the secret file ${path}: ${(err as Error).message}`);
  }
  return readSecretFile(path);
}
