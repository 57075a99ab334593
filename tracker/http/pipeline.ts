// POST /internal/pipeline/replace: a first node lost a follower mid-upload
// and asks for another, in a zone none of the upload's other copies is in.
// Answers the node, or 503 PIPELINE_FAILED when no other zone can take it.
import { HoardError } from '../../common/protocol/errors.js';
import { sendJson } from '../../common/http.js';
import { int, object, str } from '../../common/protocol/fields.js';
import { NODE_ID_RE } from '../../common/protocol/ids.js';
import { MAX_FOLLOWERS, type FollowerReplaceAnswer } from '../../common/protocol/pipeline.js';
import type { NodeStatus } from '../../common/protocol/types.js';
import { replaceFollower } from '../index/write-quorum.js';
import { readBody } from './body.js';
import type { RouteHandler } from './handler.js';

function ids(v: unknown, what: string): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.length > 4 * MAX_FOLLOWERS || !v.every((id) => typeof id === 'string' && NODE_ID_RE.test(id))) {
    throw new HoardError('BAD_REQUEST', `${what} must be a list of node ids`);
  }
  return v as string[];
}

export const pipelineReplaceRoute: RouteHandler = async (ctx, req, res, m) => {
  const body = object(await readBody(req, res, m));
  const nodeId = str(body, 'nodeId', NODE_ID_RE);
  const size = int(body, 'size', 0);
  const keep = ids(body.keep, 'keep');
  const failed = ids(body.failed, 'failed');
  const first = ctx.topology.get(nodeId);
  if (!first) throw new HoardError('NODE_NOT_FOUND', `node ${nodeId} is not registered`);
  const taken = [first, ...keep.map((id) => ctx.topology.get(id)).filter((n): n is NodeStatus => n !== undefined)];
  const follower = replaceFollower(
    { nodes: ctx.topology.list(), size, margin: ctx.config.uploadMargin, random: ctx.random, exclude: failed },
    taken,
    ctx.log,
  );
  ctx.log.info({ node: nodeId, failed, follower: follower.id }, 'pipeline follower replaced');
  const out: FollowerReplaceAnswer = { follower };
  sendJson(res, 200, out);
};
