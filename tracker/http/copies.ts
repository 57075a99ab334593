// POST /internal/copies/bad: a node found a chunk of its copy failing its
// checksum (it has already withdrawn the copy); the tracker takes it off the
// blob's holders, so /f/ sends readers elsewhere, until the repair worker re-makes it.
// POST /internal/copies/held: which of a node's copies the tracker counts on.
import { HoardError } from '../../common/protocol/errors.js';
import { sendJson } from '../../common/http.js';
import { COPIES_HELD_MAX, type BadCopyAnswer, type BadCopySource, type CopiesHeldResponse, type CopyState } from '../../common/protocol/integrity.js';
import { NODE_ID_RE, SHA256_RE } from '../../common/protocol/ids.js';
import type { RouteHandler } from './handler.js';
import { trackerMetrics } from '../metrics.js';
import { markCopyBad } from '../meta/operations.js';
import { refreshBacklog } from '../replication/status.js';
import { object, str } from '../../common/protocol/fields.js';
import { readBody } from './body.js';

const SOURCES: readonly BadCopySource[] = ['scrub', 'read', 'verify'];
const MAX_CHUNKS = 1_000_000;

export const copyBadRoute: RouteHandler = async (ctx, req, res, m) => {
  const o = object(await readBody(req, res, m, 1024 * 1024));
  const nodeId = str(o, 'nodeId', NODE_ID_RE);
  const blobId = str(o, 'blobId', SHA256_RE);
  const source = o.source as BadCopySource;
  if (!SOURCES.includes(source)) throw new HoardError('BAD_REQUEST', `source must be one of ${SOURCES.join(', ')}`);
  const chunks = o.chunks;
  if (!Array.isArray(chunks) || chunks.length > MAX_CHUNKS || !chunks.every((c) => Number.isSafeInteger(c) && (c as number) >= 0)) {
    throw new HoardError('BAD_REQUEST', 'chunks must be an array of chunk indexes');
  }
  if (!ctx.topology.get(nodeId)) throw new HoardError('NODE_NOT_FOUND', `node ${nodeId} is not registered`);
  trackerMetrics.badCopies().inc({ source });
  const r = await markCopyBad(ctx.store, { blobId, nodeId, chunks: chunks as number[], source, reported: new Date(ctx.now()).toISOString() });
  const recorded = r?.recorded ?? false;
  if (r) {
    ctx.log.warn({ blob: blobId, node: nodeId, chunks: (chunks as number[]).slice(0, 20), source, recorded, holders: r.blob.nodes }, 'copy reported bad');
    if (recorded) await refreshBacklog(ctx.store);
  }
  const answer: BadCopyAnswer = { recorded };
  sendJson(res, 200, answer);
};

export const copiesHeldRoute: RouteHandler = async (ctx, req, res, m) => {
  const o = object(await readBody(req, res, m, 128 * 1024));
  const nodeId = str(o, 'nodeId', NODE_ID_RE);
  const ids = o.ids;
  if (!Array.isArray(ids) || ids.length > COPIES_HELD_MAX || !ids.every((id) => typeof id === 'string' && SHA256_RE.test(id))) {
    throw new HoardError('BAD_REQUEST', `ids must be an array of at most ${COPIES_HELD_MAX} blob ids`);
  }
  const copies: Record<string, CopyState> = {};
  await Promise.all(
    (ids as string[]).map(async (id) => {
      const b = await ctx.store.blobs.get(id);
      copies[id] = !b ? 'unknown' : b.nodes.includes(nodeId) ? 'held' : 'unlisted';
    }),
  );
  const answer: CopiesHeldResponse = { copies };
  sendJson(res, 200, answer);
};
