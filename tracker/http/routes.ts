// Every route of the tracker, as data: methods, path pattern, who may call
// it, whether browser pages of other origins may, and its handler. The
// router (common/router.ts) checks the cluster credential of `internal`
// (node ↔ tracker) and `admin` (operator) routes before any handler runs.
// Link, upload and worker ids are passed as sent: their handlers check them
// and answer their own errors (a name that will not decode is FILENAME_INVALID).
import type { AuthClass } from '../../common/router.js';
import { sendMetrics } from '../../common/metrics.js';
import { TRACKER, TUS_TRACKER } from '../../common/protocol/routes.js';
import { pointsRedeemRoute, pointsRoute } from './points.js';
import { accountLinksRoute } from './account-links.js';
import { accountRoute, loginRoute, logoutRoute, redeemRoute, accountRegisterRoute, tokenCreateRoute, tokenRevokeRoute, tokensRoute } from './account.js';
import { adminBlobs, adminLinks, adminNodes, adminStats } from './admin.js';
import { adminKeysCreate, adminUserCreate, adminUserDelete, adminUsers, adminUserShow, adminUserUpdate } from './admin-users.js';
import { adminPageRoute } from './admin-page.js';
import {
  accountPageRoute,
  fileDeleteFormRoute,
  loginFormRoute,
  loginPageRoute,
  logoutFormRoute,
  redeemFormRoute,
  pointsRedeemFormRoute,
  registerFormRoute,
  tokenFormRoute,
  tokenRevokeFormRoute,
} from './account-pages.js';
import { commitRoute } from './commit.js';
import { copiesHeldRoute, copyBadRoute } from './copies.js';
import { adminDrain } from './drain.js';
import { fsckRoute } from './fsck.js';
import type { RouteHandler } from './handler.js';
import { healthRoute } from './health.js';
import { linkDeleteRoute } from './link-delete.js';
import { linkInfoRoute, linkRoute } from './links.js';
import { heartbeatRoute, nodeStreamRoute, registerRoute } from './nodes.js';
import { pipelineReplaceRoute } from './pipeline.js';
import { assetRoute, uploadPageRoute } from './pages.js';
import { commitProvenRoute, verifyProofRoute } from './proof.js';
import { adminRepair } from './repair.js';
import { tusCreate, tusOptions, uploadStatusRoute } from './tus.js';
import { uploadRedirect, uploadTargetRoute } from './upload.js';
import { adminJob, adminWorkerRun, adminWorkers } from './workers.js';
import { statusRoute } from './status.js';
import { adminAudit, adminTakedownCreate, adminTakedownLift, adminTakedowns, adminTakedownShow } from './takedowns.js';

export interface TrackerRoute {
  methods: readonly string[];
  path: string;
  auth: AuthClass;
  cors?: boolean;
  rawParams?: boolean;
  handle: RouteHandler;
}

export const TRACKER_ROUTES: readonly TrackerRoute[] = [
  // Uploads and downloads: browser pages of any allowed origin may use them.
  { methods: ['PUT'], path: `${TRACKER.upload}*name`, auth: 'public', cors: true, rawParams: true, handle: uploadRedirect },
  { methods: ['POST'], path: TRACKER.uploadTarget, auth: 'public', cors: true, handle: uploadTargetRoute },
  { methods: ['POST'], path: TUS_TRACKER.create, auth: 'public', cors: true, handle: tusCreate },
  { methods: ['OPTIONS'], path: TUS_TRACKER.create, auth: 'public', cors: true, handle: tusOptions },
  { methods: ['GET'], path: `${TUS_TRACKER.status}*id`, auth: 'public', cors: true, rawParams: true, handle: uploadStatusRoute },
  { methods: ['GET', 'HEAD'], path: `${TRACKER.link}*id`, auth: 'public', cors: true, rawParams: true, handle: linkRoute },
  { methods: ['GET'], path: `${TRACKER.linkInfo}*id`, auth: 'public', cors: true, rawParams: true, handle: linkInfoRoute },
  { methods: ['DELETE'], path: `${TRACKER.linkInfo}*id`, auth: 'admin', rawParams: true, handle: linkDeleteRoute },
  { methods: ['GET'], path: TRACKER.status, auth: 'public', cors: true, handle: statusRoute },
  // Accounts: same-origin pages and scripts (no CORS: a session is this site's own).
  { methods: ['GET'], path: TRACKER.account, auth: 'public', handle: accountRoute },
  { methods: ['POST'], path: TRACKER.accountRegister, auth: 'public', handle: accountRegisterRoute },
  { methods: ['POST'], path: TRACKER.login, auth: 'public', handle: loginRoute },
  { methods: ['POST'], path: TRACKER.logout, auth: 'public', handle: logoutRoute },
  { methods: ['GET'], path: TRACKER.tokens, auth: 'public', handle: tokensRoute },
  { methods: ['POST'], path: TRACKER.tokens, auth: 'public', handle: tokenCreateRoute },
  { methods: ['DELETE'], path: `${TRACKER.tokens}/:id`, auth: 'public', handle: tokenRevokeRoute },
  { methods: ['POST'], path: TRACKER.redeem, auth: 'public', handle: redeemRoute },
  { methods: ['GET'], path: TRACKER.accountLinks, auth: 'public', handle: accountLinksRoute },
  { methods: ['GET'], path: TRACKER.points, auth: 'public', handle: pointsRoute },
  { methods: ['POST'], path: TRACKER.pointsRedeem, auth: 'public', handle: pointsRedeemRoute },
  // The site: the upload page and the bundle it loads (link pages are /f/<id> above, for browsers).
  { methods: ['GET', 'HEAD'], path: TRACKER.home, auth: 'public', handle: uploadPageRoute },
  { methods: ['GET', 'HEAD'], path: `${TRACKER.assets}:name`, auth: 'public', rawParams: true, handle: assetRoute },
  { methods: ['GET', 'HEAD'], path: TRACKER.admin, auth: 'public', handle: adminPageRoute },
  { methods: ['GET', 'HEAD'], path: TRACKER.loginPage, auth: 'public', handle: loginPageRoute },
  { methods: ['POST'], path: TRACKER.loginPage, auth: 'public', handle: loginFormRoute },
  { methods: ['POST'], path: TRACKER.registerPage, auth: 'public', handle: registerFormRoute },
  { methods: ['POST'], path: TRACKER.logoutPage, auth: 'public', handle: logoutFormRoute },
  { methods: ['GET', 'HEAD'], path: TRACKER.accountPage, auth: 'public', handle: accountPageRoute },
  { methods: ['POST'], path: `${TRACKER.accountPage}/tokens`, auth: 'public', handle: tokenFormRoute },
  { methods: ['POST'], path: `${TRACKER.accountPage}/tokens/:id/revoke`, auth: 'public', rawParams: true, handle: tokenRevokeFormRoute },
  { methods: ['POST'], path: `${TRACKER.accountPage}/redeem`, auth: 'public', handle: redeemFormRoute },
  { methods: ['POST'], path: `${TRACKER.accountPage}/points/redeem`, auth: 'public', handle: pointsRedeemFormRoute },
  { methods: ['POST'], path: `${TRACKER.accountPage}/files/:id/delete`, auth: 'public', rawParams: true, handle: fileDeleteFormRoute },
  { methods: ['GET', 'HEAD'], path: TRACKER.health, auth: 'public', handle: healthRoute },
  { methods: ['GET'], path: TRACKER.metrics, auth: 'metrics', handle: (_ctx, _req, res) => sendMetrics(res) },
  // Storage nodes.
  { methods: ['POST'], path: TRACKER.nodeStream, auth: 'internal', handle: nodeStreamRoute },
  { methods: ['POST'], path: TRACKER.register, auth: 'internal', handle: registerRoute },
  { methods: ['POST'], path: TRACKER.heartbeat, auth: 'internal', handle: heartbeatRoute },
  { methods: ['POST'], path: TRACKER.commit, auth: 'internal', handle: commitRoute },
  { methods: ['POST'], path: TUS_TRACKER.commitProven, auth: 'internal', handle: commitProvenRoute },
  { methods: ['POST'], path: TUS_TRACKER.verifyProof, auth: 'internal', handle: verifyProofRoute },
  { methods: ['POST'], path: TRACKER.copyBad, auth: 'internal', handle: copyBadRoute },
  { methods: ['POST'], path: TRACKER.copiesHeld, auth: 'internal', handle: copiesHeldRoute },
  { methods: ['POST'], path: TRACKER.pipelineReplace, auth: 'internal', handle: pipelineReplaceRoute },
  // The operator (hoard-admin).
  { methods: ['GET'], path: TRACKER.adminNodes, auth: 'admin', handle: adminNodes },
  { methods: ['GET'], path: TRACKER.adminBlobs, auth: 'admin', handle: adminBlobs },
  { methods: ['GET'], path: TRACKER.adminLinks, auth: 'admin', handle: adminLinks },
  { methods: ['GET'], path: TRACKER.adminStats, auth: 'admin', handle: adminStats },
  { methods: ['GET'], path: TRACKER.adminUsers, auth: 'admin', handle: adminUsers },
  { methods: ['POST'], path: TRACKER.adminUsers, auth: 'admin', handle: adminUserCreate },
  { methods: ['GET'], path: `${TRACKER.adminUsers}/:name`, auth: 'admin', handle: adminUserShow },
  { methods: ['PATCH'], path: `${TRACKER.adminUsers}/:name`, auth: 'admin', handle: adminUserUpdate },
  { methods: ['DELETE'], path: `${TRACKER.adminUsers}/:name`, auth: 'admin', handle: adminUserDelete },
  { methods: ['POST'], path: TRACKER.adminKeys, auth: 'admin', handle: adminKeysCreate },
  { methods: ['GET'], path: TRACKER.adminTakedowns, auth: 'admin', handle: adminTakedowns },
  { methods: ['POST'], path: TRACKER.adminTakedowns, auth: 'admin', handle: adminTakedownCreate },
  { methods: ['GET'], path: `${TRACKER.adminTakedowns}/:id`, auth: 'admin', handle: adminTakedownShow },
  { methods: ['POST'], path: `${TRACKER.adminTakedowns}/:id/lift`, auth: 'admin', handle: adminTakedownLift },
  { methods: ['GET'], path: TRACKER.adminAudit, auth: 'admin', handle: adminAudit },
  { methods: ['POST'], path: `${TRACKER.adminNodePrefix}:id/drain`, auth: 'admin', rawParams: true, handle: adminDrain },
  { methods: ['GET'], path: TRACKER.adminRepair, auth: 'admin', handle: adminRepair },
  { methods: ['GET'], path: TRACKER.adminWorkers, auth: 'admin', handle: adminWorkers },
  { methods: ['POST'], path: `${TRACKER.adminWorkers}/:name/run`, auth: 'admin', rawParams: true, handle: adminWorkerRun },
  { methods: ['POST'], path: TRACKER.adminFsck, auth: 'admin', handle: fsckRoute },
  { methods: ['GET'], path: `${TRACKER.adminJobs}/:id`, auth: 'admin', handle: adminJob },
];

/** Paths only cluster members may learn about: an unknown one is 401 without the credential, as the routes there are. */
export const CLOSED_PREFIXES = ['/internal/'] as const;
