// The index and one node's copies walked side by side, both in blob-id order
// (no full listing in memory): what reconcile and fsck compare.
import type { NodeBlobEntry } from '../../common/protocol/integrity.js';
import type { NodeApi } from '../cluster/node-client.js';
import { each } from '../meta/paging.js';
import { blobKey, type BlobRecord, type MetaStore } from '../meta/store.js';

export type WalkStep =
  /** A copy on the node of a blob the index does not know. */
  | { kind: 'node-only'; copy: NodeBlobEntry }
  /** A blob the node has no copy of (whether the index lists the node or not). */
  | { kind: 'index-only'; blob: BlobRecord }
  | { kind: 'both'; blob: BlobRecord; copy: NodeBlobEntry };

export async function* walkIndexAndNode(store: MetaStore, api: Pick<NodeApi, 'list'>): AsyncGenerator<WalkStep> {
  const index = each(store.blobs.list, blobKey);
  const node = each<NodeBlobEntry>((p) => api.list(p.after, p.limit), (e) => e.id);
  let b = await index.next();
  let c = await node.next();
  while (!b.done || !c.done) {
    if (!c.done && (b.done || c.value.id < b.value.id)) {
      yield { kind: 'node-only', copy: c.value };
      c = await node.next();
    } else if (!b.done && (c.done || b.value.id < c.value.id)) {
      yield { kind: 'index-only', blob: b.value };
      b = await index.next();
    } else if (!b.done && !c.done) {
      yield { kind: 'both', blob: b.value, copy: c.value };
      b = await index.next();
      c = await node.next();
    }
  }
}
