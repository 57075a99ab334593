// Read buffers for downloads, reused instead of allocated per read.
//
// A buffer goes back into its pool only once the socket has taken its bytes
// (the write callback), so the pool never hands out memory still queued for
// sending. Idle buffers are capped, and all of them are let go once a pool
// has gone unused for a while: a burst of downloads does not leave its
// memory behind under whatever the node does next.

export class BufferPool {
  private idle: Buffer[] = [];
  private lastUse = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly bufferSize: number,
    /** Idle buffers kept at most. */
    private readonly maxIdle: number,
    /** Unused for this long, the pool drops its idle buffers. */
    private readonly idleMs = 2_000,
  ) {}

  take(): Buffer {
    this.lastUse = Date.now();
    // allocUnsafeSlow: a buffer of its own, not a slice pinning a shared slab.
    return this.idle.pop() ?? Buffer.allocUnsafeSlow(this.bufferSize);
  }

  /** Only for a buffer nothing references any more. */
  give(buf: Buffer): void {
    if (buf.length !== this.bufferSize || this.idle.length >= this.maxIdle) return;
    this.idle.push(buf);
    this.lastUse = Date.now();
    this.timer ??= this.dropWhenIdle();
  }

  get idleCount(): number {
    return this.idle.length;
  }

  private dropWhenIdle(): NodeJS.Timeout {
    const t = setTimeout(() => {
      this.timer = undefined;
      if (Date.now() - this.lastUse >= this.idleMs) this.idle = [];
      else if (this.idle.length > 0) this.timer = this.dropWhenIdle();
    }, this.idleMs);
    t.unref();
    return t;
  }
}

/**
 * Large buffers for a few long transfers at a time: one fast reader moves
 * more per read call with 1 MiB pieces, and `slots` bounds what that costs
 * when many download at once (the others use the small pool).
 */
export class LargeReadSlots {
  readonly pool: BufferPool;
  private active = 0;

  constructor(
    bufferSize: number,
    readonly slots: number,
  ) {
    // Two buffers per slot: a long download reads its next piece while the last one drains.
    this.pool = new BufferPool(bufferSize, 2 * slots);
  }

  claim(): boolean {
    if (this.active >= this.slots) return false;
    this.active++;
    return true;
  }

  release(): void {
    this.active--;
  }

  get inUse(): number {
    return this.active;
  }
}
