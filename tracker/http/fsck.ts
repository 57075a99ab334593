// POST /internal/admin/fsck[?repair=1][&minAge=S][&job=1]: compare the index
// with every live node's copies; with repair, fix what can be fixed (see
// replication/fsck.ts). Answers FsckReport, or with job=1 a job to poll.
import { wantsJob } from '../../common/jobs.js';
import { HoardError } from '../../common/protocol/errors.js';
import { sendJson } from '../../common/http.js';
import type { RouteHandler } from './handler.js';
import { runFsck } from '../replication/fsck.js';
import { readOptionalBody } from './body.js';
import { appendAudit } from '../meta/audit.js';
import { actorOf } from './takedowns.js';

export const fsckRoute: RouteHandler = async (ctx, req, res, m) => {
  await readOptionalBody(req, res, m);
  const repair = ['1', 'true', 'yes'].includes(m.url.searchParams.get('repair') ?? '');
  const rawAge = m.url.searchParams.get('minAge');
  const minAgeS = rawAge === null ? undefined : /^\d{1,10}$/.test(rawAge) ? Number(rawAge) : -1;
  if (minAgeS !== undefined && minAgeS < 0) throw new HoardError('BAD_REQUEST', 'minAge must be a number of seconds');
  // A check alone changes nothing; a repair does, so it is an admin action like any other.
  if (repair) await appendAudit(ctx.store, ctx.now(), { actor: actorOf(req), action: 'fsck.repair', target: 'cluster', ...(minAgeS === undefined ? {} : { detail: `orphans older than ${minAgeS} s` }) });
  if (wantsJob(m.url)) {
    sendJson(res, 202, ctx.jobs.start(repair ? 'fsck --repair' : 'fsck', (progress) => runFsck(ctx, { repair, minOrphanAgeS: minAgeS, progress })));
    return;
  }
  sendJson(res, 200, await runFsck(ctx, { repair, minOrphanAgeS: minAgeS }));
};
