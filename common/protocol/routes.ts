// Every route of the tracker and of a storage node, and the headers the
// cluster protocol adds. docs/protocol.md describes each one.

/** Routes served by the tracker. */
export const TRACKER = {
  upload: '/upload/', // PUT /upload/<filename> → 307 to a node
  uploadTarget: '/api/uploads', // POST {filename,size} → UploadTarget
  link: '/f/', // GET|HEAD /f/<id> → 302 to a signed node URL
  linkInfo: '/api/links/', // GET /api/links/<id> → LinkInfo
  status: '/api/status', // GET → StatusAnswer: the happy hour, the caller's tier and its download limits
  health: '/health',
  home: '/', // GET → the upload page (HTML)
  assets: '/assets/', // GET /assets/<name>-<hash>.<ext> → the pages' scripts, styles and icon
  admin: '/admin', // GET → the cluster page (HTML, administrators only)
  loginPage: '/login', // GET → sign in / create an account (HTML); POST (form) → 303 /account with the session cookie
  registerPage: '/register', // POST (form) → 303 /account with the session cookie
  logoutPage: '/logout', // POST (form) → 303 / (the session ends)
  accountPage: '/account', // GET → the account page (HTML); POST …/tokens, …/tokens/<id>/revoke, …/redeem, …/points/redeem, …/files/<link>/delete (forms)
  // Accounts (wire types in accounts.ts).
  account: '/api/account', // GET → AccountInfo (who am I)
  accountRegister: '/api/account/register', // POST {name,password} → AccountInfo
  login: '/api/account/login', // POST {name,password[,token]} → AccountInfo + cookie, or TokenCreated
  logout: '/api/account/logout', // POST → 204 (ends the session or revokes the token used)
  tokens: '/api/account/tokens', // GET → TokenInfo[]; POST {name[,ttl]} → TokenCreated; DELETE …/<id> → 204
  redeem: '/api/account/redeem', // POST {key} → AccountInfo
  accountLinks: '/api/account/links', // GET [?after=LINK] → AccountLinks (the account's files with their complete downloads)
  points: '/api/account/points', // GET [?after=KEY] → PointsInfo (reward points: balance and ledger)
  pointsRedeem: '/api/account/points/redeem', // POST {days} → PointsRedeemed
  // Cluster-internal (cluster secret required).
  nodeStream: '/internal/nodes/stream', // POST NodeRegistration → 200, NodeStreamEvent lines while the node lives
  register: '/internal/nodes/register', // POST NodeRegistration → RegisterAnswer (liveness by heartbeats alone)
  heartbeat: '/internal/nodes/heartbeat',
  commit: '/internal/commit',
  adminNodes: '/internal/admin/nodes',
  adminBlobs: '/internal/admin/blobs',
  adminLinks: '/internal/admin/links',
  adminStats: '/internal/admin/stats',
  adminUsers: '/internal/admin/users', // GET → UserInfo[]; POST {name,password[,tier]}; …/<name>: GET UserInfo, PATCH {tier[,days]|disabled}, DELETE
  adminKeys: '/internal/admin/keys', // POST {count,days} → {keys: string[]}
  adminTakedowns: '/internal/admin/takedowns', // GET → TakedownInfo[]; POST TakedownRequest → TakedownInfo; …/<id>: GET; …/<id>/lift: POST
  adminAudit: '/internal/admin/audit', // GET → AuditEntry[] (oldest first, ?after=&limit=)
  // Replication and repair (cluster secret required).
  adminWorkers: '/internal/admin/workers', // GET → WorkerStatus[]; POST …/<name>/run → WorkerReport
  adminNodePrefix: '/internal/admin/nodes/', // POST …/<id>/drain {drain} → NodeStatus
  adminRepair: '/internal/admin/repair', // GET → RepairStatus
  adminJobs: '/internal/admin/jobs', // GET …/<id> → JobStatus (long operations started with ?job=1)
  // Integrity and space (wire types in integrity.ts).
  metrics: '/metrics', // GET → Prometheus text
  copyBad: '/internal/copies/bad', // POST BadCopyReport: a node found a chunk failing its checksum
  copiesHeld: '/internal/copies/held', // POST CopiesHeldRequest → CopiesHeldResponse
  adminFsck: '/internal/admin/fsck', // POST [?repair=1] → FsckReport
  // The write pipeline (wire types in pipeline.ts).
  pipelineReplace: '/internal/pipeline/replace', // POST FollowerReplaceRequest → FollowerReplaceAnswer
} as const;

/** Routes served by a storage node. */
export const NODE = {
  upload: '/upload/', // PUT /upload/<filename>?exp=&sig= (signed by the tracker)
  blob: '/blob/', // GET|HEAD /blob/<blobId>?exp=&sig=&name=
  health: '/health',
  metrics: '/metrics', // GET → Prometheus text
  // Cluster-internal (cluster credential required; wire types in integrity.ts):
  // GET ?after=&limit= list; /internal/blobs/<id>: GET stat, DELETE remove,
  // POST …/verify re-read and check, POST …/copy-from copy in from another node.
  internalBlobs: '/internal/blobs',
  workers: '/internal/workers', // GET → WorkerStatus[]; POST /internal/workers/<name>/run → WorkerReport
  jobs: '/internal/jobs', // GET …/<id> → JobStatus (worker runs and verifies started with ?job=1)
  // The write pipeline, first node → follower (wire types in pipeline.ts): /internal/pipeline/<key>
  // PUT ?chunkSize=[&length=] a stream of bytes → FollowerReceived;
  // POST …/publish FollowerPublishRequest → FollowerPublishAnswer.
  pipeline: '/internal/pipeline/',
} as const;

/** Set by GET /f/<id> on its redirect: the node it sends the client to (clients pass it back as ?avoid= after a failure). */
export const NODE_ID_HEADER = 'x-hoard-node';

/** Header carrying the cluster credential on node↔tracker calls. */
export const AUTH_HEADER = 'x-hoard-auth';

/** On GET /f/<id>: the download itself, whatever Accept says (a browser otherwise gets the link page). */
export const LINK_DOWNLOAD_PARAM = 'download';

/** Heartbeat cadence and how many missed beats mark a node down. */
export const HEARTBEAT_INTERVAL_MS = 2_000;
export const HEARTBEAT_MISSES_DOWN = 3;
/**
 * Largest heartbeat body the tracker reads. A beat lists every download a
 * node served in the last 30 s (about 125-130 bytes each, up to 5,000) and its
 * download leases (up to 5,000 of each kind); the node drops its oldest
 * served reports rather than send more.
 */
export const HEARTBEAT_BODY_MAX = 2 * 1024 * 1024;
/**
 * A node whose last heartbeat is older than this is late: still up, but
 * downloads go to another holder when one is fresh (a machine that vanished
 * without closing its sockets is late 3 s before it is down).
 */
export const HEARTBEAT_LATE_MS = HEARTBEAT_INTERVAL_MS + HEARTBEAT_INTERVAL_MS / 2;
/** The tracker writes a ping line on each node stream this often; a node that hears nothing for STREAM_SILENCE_MS reconnects. */
export const STREAM_PING_MS = HEARTBEAT_INTERVAL_MS;
export const STREAM_SILENCE_MS = 3 * STREAM_PING_MS;

/** Routes the tracker serves for resumable uploads and early stop. */
export const TUS_TRACKER = {
  create: '/files', // POST (tus creation), OPTIONS
  status: '/api/uploads/', // GET /api/uploads/<uploadId> → UploadStatus once finished
  // Cluster-internal (cluster secret required).
  verifyProof: '/internal/proofs/verify', // node → tracker
  commitProven: '/internal/commit/proven', // node → tracker
} as const;

/** Routes a storage node serves for resumable uploads and proofs. */
export const TUS_NODE = {
  upload: '/tus/', // HEAD|PATCH|DELETE|OPTIONS /tus/<uploadId>
  // Cluster-internal (cluster secret required).
  create: '/internal/tus', // tracker → node
  // GET …/<id> → TusUploadInfo (tracker → node); GET …/<id>/bytes, a complete part's bytes, and DELETE …/<id> (node → node).
  part: '/internal/tus/',
  proof: '/internal/proof', // tracker → node
} as const;
