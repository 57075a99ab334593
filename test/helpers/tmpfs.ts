// A small tmpfs as a node's disk (disk-full and fill-level tests). Needs root;
// without it the caller skips with the reason. Unmounted in teardown (call
// this before starting the cluster, so the cluster stops first) and, if the
// test process dies, lazily at exit.
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';
import { atExit, run } from './proc.js';

export async function mountTmpfs(t: Pick<Test, 'teardown'>, size: string): Promise<string | { skip: string }> {
  const mnt = await mkdtemp(join(tmpdir(), 'hoard-tmpfs-'));
  const r = await run('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', mnt], { timeoutMs: 10_000 }).catch((e: Error) => ({ code: -1, stderr: e.message }));
  if (r.code !== 0) {
    await rm(mnt, { recursive: true, force: true });
    return { skip: `cannot mount a tmpfs here (needs root / CAP_SYS_ADMIN): ${r.stderr.trim()}` };
  }
  const cancel = atExit(() => {
    spawnSync('umount', ['-l', mnt]);
    spawnSync('rmdir', [mnt]);
  });
  t.teardown(async () => {
    cancel();
    const u = await run('umount', [mnt], { timeoutMs: 10_000 });
    if (u.code !== 0) await run('umount', ['-l', mnt], { timeoutMs: 10_000 });
    await rm(mnt, { recursive: true, force: true });
  });
  return mnt;
}
