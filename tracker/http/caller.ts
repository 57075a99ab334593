// Who calls a public route. Anonymous for now, known by address; accounts
// resolve here later (a session or API key becomes another kind), so every
// public handler and the upload policy already receive a Caller.
import type { IncomingMessage } from 'node:http';

export type Caller = { kind: 'anonymous'; ip: string };

/** The router's caller hook. */
export function resolveCaller(req: IncomingMessage): Caller {
  return { kind: 'anonymous', ip: req.socket.remoteAddress ?? '' };
}
