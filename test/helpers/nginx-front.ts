// nginx in front of several trackers, as docs/operations.md sets it up, for
// the end-to-end tests of a cluster with more than one tracker: started,
// waited for, and stopped at the test's end.
import type { Test } from 'tap';
import { ProcessRegistry } from '../../scripts/cluster/processes.js';
import { startTrackerProxy } from '../../scripts/cluster/tracker-proxy.js';
import { freePort } from './cluster.js';
import { tempDir } from './files.js';
import { curl } from './http.js';
import { waitFor } from './proc.js';

/** The proxy's base URL once it answers /health; undefined when nginx is not installed. */
export async function nginxInFront(t: Test, trackerUrls: readonly string[]): Promise<string | undefined> {
  const procs = new ProcessRegistry();
  const dir = await tempDir('hoard-nginx-');
  const port = await freePort();
  const nginx = startTrackerProxy(procs, dir.dir, port, trackerUrls.map((u) => new URL(u).host));
  t.teardown(async () => {
    await procs.stopAll();
    await dir.cleanup();
  });
  if (!nginx) return undefined;
  const url = `http://127.0.0.1:${port}`;
  await waitFor('nginx in front of the trackers', async () => (await curl(['-s', '-f', `${url}/health`])).code === 0, 20_000, 100);
  return url;
}
