// An undici dispatcher that remembers its sockets, so a command can say how
// many bytes it really wrote to the network (request lines, headers and
// bodies), not how many it meant to send.
import type { Socket } from 'node:net';
import { Agent, buildConnector } from 'undici';

export interface CountingAgent {
  agent: Agent;
  /** Bytes written to every socket this agent opened so far. */
  sent(): number;
  close(): Promise<void>;
}

export function countingAgent(): CountingAgent {
  const connect = buildConnector({});
  const sockets: Socket[] = [];
  const agent = new Agent({
    keepAliveTimeout: 4_000,
    connect(opts, cb) {
      connect(opts, (...args) => {
        if (args[1]) sockets.push(args[1]);
        cb(...args);
      });
    },
  });
  return {
    agent,
    sent: () => sockets.reduce((n, s) => n + s.bytesWritten, 0),
    close: () => agent.close(),
  };
}
