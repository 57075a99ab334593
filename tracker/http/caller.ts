// Who calls a public route. Every public handler and the upload policy
// receive a Caller: anonymous (known by address) or a signed-in user (a
// browser session or an API token). `tier` is the user's tier as it stands
// now (a premium account past its expiry is `free`).
import type { IncomingMessage } from 'node:http';
import type { Tier } from '../../common/protocol/tiers.js';

export type Caller =
  | { kind: 'anonymous'; ip: string; tier: 'anonymous' }
  | { kind: 'user'; ip: string; userId: string; tier: Exclude<Tier, 'anonymous'> };

/** One key per downloader for per-caller limits: the account when signed in, else the address. */
export const callerKey = (c: Caller): string => (c.kind === 'user' ? `user:${c.userId}` : `ip:${c.ip}`);

/** The router's caller hook. */
export function resolveCaller(req: IncomingMessage): Caller {
  return { kind: 'anonymous', ip: req.socket.remoteAddress ?? '', tier: 'anonymous' };
}
