// The notices in force, held in memory: every link resolution asks here
// (no store read on the download path), and nodes are told what to refuse
// from here, at registration and on each change. A notice issued or lifted
// at this tracker counts at once; one another tracker of a shared store
// wrote counts at the next refresh (every REFRESH_MS).
import { each } from '../meta/paging.js';
import { isInForce } from '../meta/rules.js';
import { linkKey, takedownKey, type LinkRecord, type MetaStore, type TakedownRecord } from '../meta/store.js';
import type { BlockedEntry, TakedownScope } from '../../common/protocol/takedowns.js';
import { blockedEntries, blockingNotice, diffEntries } from './rules.js';

export type BlockedChange = { block: BlockedEntry[]; lift: BlockedEntry[] };

export class TakedownBook {
  private inForce = new Map<string, TakedownRecord>();
  private byTarget = new Map<string, TakedownRecord>();
  /** The links each user notice covered, read once when it is first seen. */
  private readonly userLinks = new Map<string, string[]>();
  private entries = new Map<string, BlockedEntry>();
  private readonly listeners: Array<(c: BlockedChange) => void> = [];
  /** Refreshes and changes take turns, so a refresh read before a change cannot undo it. */
  private turn: Promise<unknown> = Promise.resolve();

  constructor(private readonly store: Pick<MetaStore, 'takedowns' | 'links'>) {}

  /** The oldest notice in force on this target. */
  find(scope: TakedownScope, target: string): TakedownRecord | undefined {
    return this.byTarget.get(`${scope}:${target}`);
  }

  /** The notice in force that stops this link, if any. */
  blocking(link: Pick<LinkRecord, 'id' | 'blobId' | 'uploader'>): TakedownRecord | undefined {
    return blockingNotice((s, t) => this.find(s, t), link);
  }

  /** What nodes must refuse now. */
  blocked(): BlockedEntry[] {
    return [...this.entries.values()];
  }

  get size(): number {
    return this.inForce.size;
  }

  /** Called with what nodes must start or stop refusing, after each change. */
  onChange(fn: (c: BlockedChange) => void): void {
    this.listeners.push(fn);
  }

  /** Reads every notice back from the store (those another tracker issued or lifted count from now). */
  refresh(): Promise<void> {
    return this.inTurn(async () => {
      const found = new Map<string, TakedownRecord>();
      for await (const n of each((p) => this.store.takedowns.list(p), takedownKey)) if (isInForce(n)) found.set(n.id, n);
      await this.readUserLinks(found.values());
      this.replace(found);
    });
  }

  /** A notice written at this tracker (issued, lifted, purged): counts at once. */
  put(n: TakedownRecord): Promise<void> {
    return this.inTurn(async () => {
      const next = new Map(this.inForce);
      if (isInForce(n)) next.set(n.id, n);
      else next.delete(n.id);
      await this.readUserLinks([n]);
      this.replace(next);
    });
  }

  private inTurn(fn: () => Promise<void>): Promise<void> {
    const run = this.turn.then(fn, fn);
    this.turn = run.catch(() => undefined);
    return run;
  }

  private async readUserLinks(notices: Iterable<TakedownRecord>): Promise<void> {
    for (const n of notices) {
      if (n.scope !== 'user' || !isInForce(n) || this.userLinks.has(n.id)) continue;
      const ids: string[] = [];
      for await (const l of each((p) => this.store.links.ofUploader(n.target, p), linkKey)) ids.push(l.id);
      this.userLinks.set(n.id, ids);
    }
  }

  private replace(found: Map<string, TakedownRecord>): void {
    this.inForce = found;
    for (const id of [...this.userLinks.keys()]) if (!found.has(id)) this.userLinks.delete(id);
    const byTarget = new Map<string, TakedownRecord>();
    for (const n of [...found.values()].sort((a, b) => (a.created < b.created ? -1 : a.created > b.created ? 1 : 0))) {
      const key = `${n.scope}:${n.target}`;
      if (!byTarget.has(key)) byTarget.set(key, n);
    }
    this.byTarget = byTarget;
    const entries = blockedEntries(found.values(), (n) => this.userLinks.get(n.id) ?? []);
    const change = diffEntries(this.entries, entries);
    this.entries = entries;
    if (change.block.length > 0 || change.lift.length > 0) for (const fn of this.listeners) fn(change);
  }
}
