// What the node has learned of its tracker from its last registration: the
// public URL readers reach it at (a node sends a reader back there when its
// copy fails a check). The node's --tracker flag may be an internal address;
// only the tracker knows the one readers use.
export class TrackerView {
  private url: string | undefined;

  /** The tracker's public base URL (no trailing slash); undefined until the first registration. */
  get publicUrl(): string | undefined {
    return this.url;
  }

  learned(publicUrl: string): void {
    this.url = publicUrl.replace(/\/+$/, '');
  }
}
