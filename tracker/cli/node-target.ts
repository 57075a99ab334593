// For admin commands aimed at one storage node (--node, scrub): the node's
// record as the tracker knows it, for its URL.
import { CliError } from '../../common/cli.js';
import { TRACKER } from '../../common/protocol/routes.js';
import { type NodeStatus } from '../../common/protocol/types.js';
import type { AdminCaller } from './call.js';

export async function findNode(api: AdminCaller, id: string): Promise<NodeStatus> {
  const node = (await api.call<NodeStatus[]>('GET', TRACKER.adminNodes)).find((n) => n.id === id);
  if (!node) throw new CliError('BAD_ARGUMENT', `the tracker knows no node ${JSON.stringify(id)}`);
  return node;
}
