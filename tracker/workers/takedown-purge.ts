// takedown-purge: a takedown notice in force past its hold (takedownHold
// seconds), not given as a legal hold (keep), has the links it covers
// deleted, so the content's bytes go with the gc worker after gcGrace like
// any content without links. The notice stays in force: its content's
// uploads are still refused, and the purge is recorded on it and in the
// audit log. Idempotent: a run cut short deletes the rest next time.
import type { Worker } from '../../common/worker.js';
import type { TrackerContext } from '../context.js';
import { appendAudit, TRACKER_ACTOR } from '../meta/audit.js';
import { deleteLink } from '../meta/operations.js';
import { each } from '../meta/paging.js';
import { isInForce } from '../meta/rules.js';
import { linkKey, takedownKey, type MetaStore, type TakedownRecord } from '../meta/store.js';
import { purgeDue } from '../takedowns/rules.js';

/** The link ids a notice covers now. */
async function linksOf(store: MetaStore, n: TakedownRecord): Promise<string[]> {
  if (n.scope === 'link') return [n.target];
  const ids: string[] = [];
  if (n.scope === 'user') {
    for await (const l of each((p) => store.links.ofUploader(n.target, p), linkKey)) ids.push(l.id);
  } else {
    for await (const id of each((p) => store.links.ofBlob(n.target, p), (id) => id)) ids.push(id);
  }
  return ids;
}

export function takedownPurgeWorker(schedule: string): Worker<TrackerContext> {
  return {
    name: 'takedown-purge',
    schedule,
    async runOnce(ctx) {
      const now = ctx.now();
      let notices = 0;
      let purged = 0;
      let linksDeleted = 0;
      for await (const n of each((p) => ctx.store.takedowns.list(p), takedownKey)) {
        if (!isInForce(n)) continue;
        notices++;
        if (!purgeDue(n, ctx.config.takedownHold, now)) continue;
        const at = new Date(now).toISOString();
        let deleted = 0;
        for (const id of await linksOf(ctx.store, n)) if (await deleteLink(ctx.store, id, at)) deleted++;
        const after = await ctx.store.takedowns.update(n.id, (cur) => (isInForce(cur) && cur.purged === undefined ? { ...cur, purged: at } : cur));
        if (after) await ctx.takedowns.book.put(after);
        await appendAudit(ctx.store, now, { actor: TRACKER_ACTOR, action: 'takedown.purge', target: n.id, detail: `${deleted} link(s) of ${n.scope} ${n.target} deleted after the hold` });
        ctx.log.info({ notice: n.id, scope: n.scope, target: n.target, links: deleted }, 'takedown purge: links deleted after the hold');
        purged++;
        linksDeleted += deleted;
      }
      return { notices, purged, linksDeleted };
    },
  };
}
