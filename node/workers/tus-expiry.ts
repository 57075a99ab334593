// The named worker that reclaims abandoned resumable uploads: past their
// Upload-Expires, their chunk files and state go.
import type { Worker } from '../../common/worker.js';
import type { TusService } from '../tus/service.js';

/** Runs often enough that an upload outlives its expiry by at most about half of it (and at most a minute). */
export function tusExpiryWorker(expirySeconds: number): Worker<TusService> {
  const every = Math.max(1, Math.min(59, Math.floor(expirySeconds / 2)));
  return {
    name: 'tus-expiry',
    schedule: `*/${every} * * * * *`,
    runOnce: (svc) => svc.expire(),
  };
}
