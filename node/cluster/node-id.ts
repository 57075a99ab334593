// The node's identity: given on the command line, or made once and kept in DATA/node-id.
import { randomBytes } from 'node:crypto';
import { constants as fsc } from 'node:fs';
import { open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { NODE_ID_RE } from '../../common/protocol/ids.js';

export async function loadNodeId(dataDir: string, given = ''): Promise<string> {
  if (given) return given;
  const path = join(dataDir, 'node-id');
  try {
    const id = (await readFile(path, 'utf8')).trim();
    if (!NODE_ID_RE.test(id)) throw new Error(`${path} does not hold a valid node id`);
    return id;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const id = 'n' + randomBytes(9).toString('base64url');
  // Written durably: a node that changed id after a crash would orphan its blobs.
  const tmp = `${path}.${process.pid}.tmp`;
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(id + '\n');
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
  const dir = await open(dataDir, fsc.O_RDONLY | fsc.O_DIRECTORY);
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
  return id;
}
