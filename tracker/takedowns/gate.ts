// The door every new link to a content passes (commit, early stop, a
// declared upload's creation): a content under a takedown notice gets none.
// The store is asked too, so a notice another tracker issued a moment ago
// counts before this tracker's next refresh.
import { HoardError } from '../../common/protocol/errors.js';
import { takenDownMessage } from '../../common/protocol/takedowns.js';
import type { MetaStore } from '../meta/store.js';
import type { TakedownBook } from './book.js';

export async function refuseTakenDown(book: TakedownBook, store: Pick<MetaStore, 'takedowns'>, blobId: string): Promise<void> {
  const n = book.find('content', blobId) ?? (await store.takedowns.inForce([{ scope: 'content', target: blobId }]))[0];
  if (n) throw new HoardError('TAKEN_DOWN', takenDownMessage(n.ref));
}
