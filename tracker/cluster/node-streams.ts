// The heartbeat streams nodes hold open to the tracker. A node registers by
// opening one; the tracker answers with a first line and then writes a ping
// line every STREAM_PING_MS, so either side sees the other go: the node's
// process ending closes the stream (down at once, Topology.disconnect), and a
// node that hears no ping reconnects. A node the heartbeat timeout marks
// down (a machine gone without closing its sockets) has its stream ended, so
// it registers again when it comes back.
import { STREAM_PING_MS } from '../../common/protocol/routes.js';
import type { NodeRegistration, NodeStreamEvent } from '../../common/protocol/types.js';
import type { Topology } from './topology.js';

/** Where a stream's lines go (an HTTP response). */
export interface StreamSink {
  send(event: NodeStreamEvent): void;
  /** Ends the stream from this side. */
  end(): void;
  /** True once the connection is gone. */
  readonly closed: boolean;
  /** Called once when the connection is gone, whoever ended it. */
  onClose(fn: () => void): void;
}

interface Open {
  token: number;
  sink: StreamSink;
}

export class NodeStreams {
  private readonly open = new Map<string, Open>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly topology: Topology,
    private readonly pingMs = STREAM_PING_MS,
  ) {
    topology.onChange((c) => {
      if (c.state === 'down' && c.cause === 'no heartbeat') this.end(c.id);
    });
  }

  /** Registers the node on this stream; resolves once registered (the caller sends the first line). */
  async add(reg: NodeRegistration, sink: StreamSink): Promise<void> {
    // A close during the registration's store write must not leave the node up on a dead stream.
    let token: number | undefined;
    sink.onClose(() => {
      if (token === undefined) return;
      if (this.open.get(reg.id)?.token === token) this.open.delete(reg.id);
      this.topology.disconnect(reg.id, token);
    });
    token = await this.topology.connect(reg);
    if (sink.closed) {
      this.topology.disconnect(reg.id, token);
      return;
    }
    const older = this.open.get(reg.id);
    this.open.set(reg.id, { token, sink });
    // The node opened a new stream: the old one is dead to it (its close is ignored, the token moved on).
    older?.sink.end();
  }

  /** Ends a node's stream (it is down): it reconnects when it can. */
  end(id: string): void {
    const s = this.open.get(id);
    if (!s) return;
    this.open.delete(id);
    s.sink.end();
  }

  get size(): number {
    return this.open.size;
  }

  /** Sends a line on every open stream. */
  broadcast(event: NodeStreamEvent): void {
    for (const { sink } of this.open.values()) sink.send(event);
  }

  start(): void {
    this.timer ??= setInterval(() => {
      for (const { sink } of this.open.values()) sink.send({ type: 'ping' });
    }, this.pingMs);
    this.timer.unref();
  }

  /** Ends every stream (the tracker is stopping: nodes see it at once and reconnect to its successor). */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    for (const id of [...this.open.keys()]) this.end(id);
  }
}
