// Workers that act on replication state need it wired in.
import type { TrackerContext } from '../context.js';
import type { Replication } from '../replication/replication.js';

export function replicationOf(ctx: TrackerContext): Replication {
  if (!ctx.replication) throw new Error('replication is not configured in this tracker');
  return ctx.replication;
}
