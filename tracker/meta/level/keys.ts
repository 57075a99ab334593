// The LevelDB key layout of the metadata store (values JSON):
//   meta:schema            → SCHEMA_VERSION
//   s:counters             → StoreCounters
//   n:<nodeId>             → NodeRecord
//   b:<blobId>             → BlobRecord
//   c:<blobId>             → ChunkInfo[] (kept apart so hot blob reads stay small)
//   m:<md5>:<blobId>       → 1   (MD5 index; several blobs only on a collision)
//   l:<linkId>             → LinkRecord
//   ld:<linkId>            → complete downloads of the link (gone with it)
//   r:<blobId>:<linkId>    → 1   (links of a blob, for takedowns)
//   p:<blobId>             → PrefixHash[] (prefix index, for early stop)
//   x:<md5>                → { since }  (MD5 seen with two contents: no early stop)
//   u:<uploadId>           → linkId (what a resumable upload ended as)
//   z:<blobId>             → ISO time the last link went (blobs awaiting GC)
//   q:<blobId>:<nodeId>    → BadCopyRecord (copies withdrawn until repaired)
//   au:<userId>            → UserRecord
//   an:<name>              → userId (names are unique)
//   ag:<userId>            → usage in logical bytes
//   ac:<credentialId>      → CredentialRecord (sessions and API tokens)
//   ai:<userId>:<credId>   → 1   (credentials of an account)
//   ak:<keyId>             → PremiumKeyRecord
//   rp:<userId>:<day>:<id> → PointRecord (the reward ledger, an uploader's points by day)
//   ri:<pointId>           → userId (points are unique by id)
//   rc:<userId>:<day>      → points of the account that day (the daily cap)
//   rr:<userId>:<id>       → RedemptionRecord
//   rb:<userId>            → RewardBalance
//   td:<noticeId>          → TakedownRecord
//   tf:<scope>:<target>:<noticeId> → 1 (notices in force on a link, blob or account)
//   ts:<userId>:<noticeId> → 1   (notices in force naming the account: its strikes)
//   al:<entryId>           → AuditRecord (time-ordered ids)
// z:, q:, ld:, the a*:, r*:, t*: and al: keys arrived after schema 1 without a bump: a store
// without them simply has no deleted links, no bad copies, no accounts and no downloads.

import { isRecordId } from '../records.js';

export const SCHEMA_KEY = 'meta:schema';
export const COUNTERS_KEY = 's:counters';
/** Above every character used in ids, so `prefix + END` bounds a prefix scan. */
export const END = '\xff';

/** Whether an id may be part of a key (reads of other ids find nothing): the store's id rule keeps ':' out. */
export const isKeyPart = isRecordId;

/** Throws on an id that could reach into another key. */
export function part(v: string): string {
  if (!isRecordId(v)) throw new TypeError(`invalid key part ${JSON.stringify(v)}`);
  return v;
}

/** Checks every id a write names. */
export function parts(...vs: string[]): void {
  for (const v of vs) part(v);
}

/** Keys of records; the ids must be checked key parts (isKeyPart, part). */
export const keys = {
  node: (id: string) => 'n:' + id,
  blob: (id: string) => 'b:' + id,
  chunks: (blobId: string) => 'c:' + blobId,
  md5: (md5: string, blobId: string) => `m:${md5}:${blobId}`,
  link: (id: string) => 'l:' + id,
  linkOfBlob: (blobId: string, linkId: string) => `r:${blobId}:${linkId}`,
  linkOfUploader: (userId: string, linkId: string) => `lu:${userId}:${linkId}`,
  linkDownloads: (linkId: string) => 'ld:' + linkId,
  prefixes: (blobId: string) => 'p:' + blobId,
  collision: (md5: string) => 'x:' + md5,
  upload: (uploadId: string) => 'u:' + uploadId,
  unreferenced: (blobId: string) => 'z:' + blobId,
  badCopy: (blobId: string, nodeId: string) => `q:${blobId}:${nodeId}`,
  user: (id: string) => 'au:' + id,
  userName: (name: string) => 'an:' + name,
  usage: (userId: string) => 'ag:' + userId,
  credential: (id: string) => 'ac:' + id,
  credentialOf: (userId: string, id: string) => `ai:${userId}:${id}`,
  premiumKey: (id: string) => 'ak:' + id,
  point: (userId: string, day: string, id: string) => `rp:${userId}:${day}:${id}`,
  pointId: (id: string) => 'ri:' + id,
  pointsOfDay: (userId: string, day: string) => `rc:${userId}:${day}`,
  redemption: (userId: string, id: string) => `rr:${userId}:${id}`,
  rewardBalance: (userId: string) => 'rb:' + userId,
  takedown: (id: string) => 'td:' + id,
  takedownOf: (scope: string, target: string, id: string) => `tf:${scope}:${target}:${id}`,
  strike: (userId: string, id: string) => `ts:${userId}:${id}`,
  audit: (id: string) => 'al:' + id,
};

/** Prefixes of the scanned key ranges (ids checked likewise). */
export const ranges = {
  nodes: 'n:',
  blobs: 'b:',
  links: 'l:',
  unreferenced: 'z:',
  badCopies: 'q:',
  uploads: 'u:',
  collisions: 'x:',
  users: 'au:',
  premiumKeys: 'ak:',
  takedowns: 'td:',
  audit: 'al:',
  takedownsOf: (scope: string, target: string) => `tf:${scope}:${target}:`,
  strikesOf: (userId: string) => `ts:${userId}:`,
  credentialsOf: (userId: string) => `ai:${userId}:`,
  md5: (md5: string) => `m:${md5}:`,
  linksOfBlob: (blobId: string) => `r:${blobId}:`,
  linksOfUploader: (userId: string) => `lu:${userId}:`,
  badCopiesOf: (blobId: string) => `q:${blobId}:`,
  pointsOf: (userId: string) => `rp:${userId}:`,
  redemptionsOf: (userId: string) => `rr:${userId}:`,
};
