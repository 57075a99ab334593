// What this node must not serve, as its trackers tell it on their heartbeat
// streams (docs/takedowns.md): blobs under a content takedown and links
// under a link or user takedown, each with the notice's public reference.
// Each tracker's list is kept apart (a reset from one replaces only its
// own); an entry any tracker lists is refused. A list stays after its
// stream ends: refusing a little longer is the safe side. Responses streaming
// to readers are kept by blob and by link, so a takedown learnt cuts the
// ones already under way as well (a set per id: nothing is looked up per chunk).
import type { BlockedEntry, TakedownsEvent } from '../../common/protocol/takedowns.js';

/** A blocked entry's notice reference ('' when the notice gave none). */
type Lists = { blob: Map<string, string>; link: Map<string, string> };

/** A response being streamed: what cutting it and seeing it end take. */
export interface Streaming {
  readonly socket: { resetAndDestroy(): unknown } | null;
  destroy(): unknown;
  once(event: 'close', listener: () => void): unknown;
}

export class NodeTakedowns {
  private readonly bySource = new Map<string, Lists>();
  private readonly streaming = { blob: new Map<string, Set<Streaming>>(), link: new Map<string, Set<Streaming>>() };

  /** Applies one line of a tracker's stream. */
  apply(source: string, ev: TakedownsEvent): void {
    let lists = this.bySource.get(source);
    if (!lists || ev.reset) {
      lists = { blob: new Map(), link: new Map() };
      this.bySource.set(source, lists);
    }
    for (const e of ev.lift ?? []) lists[e.kind].delete(e.id);
    for (const e of ev.block ?? []) {
      lists[e.kind].set(e.id, e.ref ?? '');
      this.cut(e.kind, e.id);
    }
  }

  /**
   * Keeps a reader's response, sent for this blob through this link ('' for
   * none), until it closes: a takedown of either learnt meanwhile destroys
   * it (the reader sees the connection cut; resuming gets the 451).
   */
  watch(blobId: string, linkId: string, res: Streaming): void {
    this.hold('blob', blobId, res);
    if (linkId !== '') this.hold('link', linkId, res);
    res.once('close', () => {
      this.release('blob', blobId, res);
      if (linkId !== '') this.release('link', linkId, res);
    });
  }

  /** How many responses are under way for this id. */
  streamingOf(kind: BlockedEntry['kind'], id: string): number {
    return this.streaming[kind].get(id)?.size ?? 0;
  }

  private hold(kind: BlockedEntry['kind'], id: string, res: Streaming): void {
    const live = this.streaming[kind].get(id);
    if (live) live.add(res);
    else this.streaming[kind].set(id, new Set([res]));
  }

  private release(kind: BlockedEntry['kind'], id: string, res: Streaming): void {
    const live = this.streaming[kind].get(id);
    if (live?.delete(res) && live.size === 0) this.streaming[kind].delete(id);
  }

  private cut(kind: BlockedEntry['kind'], id: string): void {
    const live = this.streaming[kind].get(id);
    if (!live) return;
    this.streaming[kind].delete(id);
    // A reset, not a close: bytes waiting in the socket's buffers are dropped rather than delivered.
    for (const res of live) {
      if (res.socket) res.socket.resetAndDestroy();
      else res.destroy();
    }
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
