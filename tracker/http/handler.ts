// What a tracker route handler is: the router's handler with the tracker's
// context in front. The router has already checked the method and, for
// internal and admin routes, the cluster credential.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Matched } from '../../common/router.js';
import type { TrackerContext } from '../context.js';
import type { Caller } from './caller.js';

export type Match = Matched<Caller>;

export type RouteHandler = (ctx: TrackerContext, req: IncomingMessage, res: ServerResponse, m: Match) => Promise<void> | void;
