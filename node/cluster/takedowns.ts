// What this node must not serve, as its trackers tell it on their heartbeat
// streams (docs/takedowns.md): blobs under a content takedown and links
// under a link or user takedown, each with the notice's public reference.
// Each tracker's list is kept apart (a reset from one replaces only its
// own); an entry any tracker lists is refused. A list stays after its
// stream ends: refusing a little longer is the safe side.
import type { BlockedEntry, TakedownsEvent } from '../../common/protocol/takedowns.js';

/** A blocked entry's notice reference ('' when the notice gave none). */
type Lists = { blob: Map<string, string>; link: Map<string, string> };

export class NodeTakedowns {
  private readonly bySource = new Map<string, Lists>();

  /** Applies one line of a tracker's stream. */
  apply(source: string, ev: TakedownsEvent): void {
    let lists = this.bySource.get(source);
    if (!lists || ev.reset) {
      lists = { blob: new Map(), link: new Map() };
      this.bySource.set(source, lists);
    }
    for (const e of ev.lift ?? []) lists[e.kind].delete(e.id);
    for (const e of ev.block ?? []) lists[e.kind].set(e.id, e.ref ?? '');
  }

  /** The reference ('' for none) of a notice that takes this blob down, or undefined. */
  blob(id: string): string | undefined {
    return this.find('blob', id);
  }

  link(id: string): string | undefined {
    return this.find('link', id);
  }

  private find(kind: BlockedEntry['kind'], id: string): string | undefined {
    for (const l of this.bySource.values()) {
      const ref = l[kind].get(id);
      if (ref !== undefined) return ref;
    }
    return undefined;
  }
}
