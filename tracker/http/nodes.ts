// POST /internal/nodes/stream (a registration that stays open: the node's
// heartbeat stream), /internal/nodes/register and /internal/nodes/heartbeat.
import type { ServerResponse } from 'node:http';
import { HoardError } from '../../common/protocol/errors.js';
import { sendJson } from '../../common/http.js';
import { NODE_ID_RE, SHA256_RE, ZONE_RE } from '../../common/protocol/ids.js';
import { type Heartbeat, type NodeRegistration, type NodeStreamEvent, type RegisterAnswer, type ServedReport } from '../../common/protocol/types.js';
import type { StreamSink } from '../cluster/node-streams.js';
import type { TrackerContext } from '../context.js';
import type { RouteHandler } from './handler.js';
import { int, object, str } from '../../common/protocol/fields.js';
import { LEASE_ID_RE } from '../../common/protocol/download-policy.js';
import { SERVED_RANGES_MAX } from '../../common/protocol/served.js';
import { publicUrl } from './validate.js';
import { readBody } from './body.js';
import { BLOCKED_PER_LINE } from '../../common/protocol/takedowns.js';
import { HEARTBEAT_BODY_MAX } from '../../common/protocol/routes.js';

function space(o: Record<string, unknown>): { freeBytes: number; totalBytes: number } {
  const freeBytes = int(o, 'freeBytes', 0);
  const totalBytes = int(o, 'totalBytes', 0);
  if (freeBytes > totalBytes) throw new HoardError('BAD_REQUEST', 'freeBytes exceeds totalBytes');
  return { freeBytes, totalBytes };
}

export function parseRegistration(v: unknown): NodeRegistration {
  const o = object(v);
  return { id: str(o, 'id', NODE_ID_RE), zone: str(o, 'zone', ZONE_RE), publicUrl: publicUrl(o, 'publicUrl'), ...space(o) };
}

export function parseHeartbeat(v: unknown): Heartbeat {
  const o = object(v);
  const beat: Heartbeat = { id: str(o, 'id', NODE_ID_RE), ...space(o), load: int(o, 'load', 0), blobCount: int(o, 'blobCount', 0) };
  if (o.reserveBytes !== undefined) beat.reserveBytes = int(o, 'reserveBytes', 0);
  if (o.leases !== undefined) {
    const l = object(o.leases, 'leases');
    beat.leases = { active: leaseIds(l.active, 'leases.active'), ended: leaseIds(l.ended, 'leases.ended') };
  }
  if (o.served !== undefined) beat.served = servedReports(o.served);
  return beat;
}

/** Bytes served per download id, as a node reports them: ids, blob ids and sorted, disjoint ranges. */
function servedReports(v: unknown): ServedReport[] {
  if (!Array.isArray(v) || v.length > LEASES_PER_BEAT) throw new HoardError('BAD_REQUEST', 'served must be a list of at most 10000 reports');
  return v.map((item, i) => {
    const o = object(item, `served[${i}]`);
    const id = str(o, 'id', LEASE_ID_RE);
    const blob = str(o, 'blob', SHA256_RE);
    const raw = o.ranges;
    if (!Array.isArray(raw) || raw.length === 0 || raw.length > SERVED_RANGES_MAX) throw new HoardError('BAD_REQUEST', `served[${i}].ranges must be 1 to ${SERVED_RANGES_MAX} ranges`);
    let last = -2;
    const ranges = raw.map((r): [number, number] => {
      const ok = Array.isArray(r) && r.length === 2 && Number.isSafeInteger(r[0]) && Number.isSafeInteger(r[1]) && r[0] > last + 1 && r[1] >= r[0];
      if (!ok) throw new HoardError('BAD_REQUEST', `served[${i}].ranges must be sorted, disjoint [start, end] pairs`);
      last = r[1] as number;
      return [r[0] as number, r[1] as number];
    });
    return { id, blob, ranges };
  });
}

/** A node reports at most this many leases of each kind per heartbeat. */
const LEASES_PER_BEAT = 10_000;

function leaseIds(v: unknown, what: string): string[] {
  if (!Array.isArray(v) || v.length > LEASES_PER_BEAT || !v.every((id) => typeof id === 'string' && LEASE_ID_RE.test(id))) {
    throw new HoardError('BAD_REQUEST', `${what} must be a list of lease ids`);
  }
  return v as string[];
}

/** What every registration does besides the topology's record. */
function registered(ctx: TrackerContext, reg: NodeRegistration, known: boolean, how: 'stream' | 'post'): RegisterAnswer {
  ctx.log.info({ node: reg.id, zone: reg.zone, url: reg.publicUrl, how }, 'node registered');
  // A node seen before may return with copies the index dropped or lacking ones it lists; a new one holds nothing yet.
  if (known) ctx.replication.nodeRegistered(reg.id);
  return { ok: true, trackerUrl: ctx.publicUrl, uploadMargin: ctx.config.uploadMargin };
}

export const nodeStreamRoute: RouteHandler = async (ctx, req, res, m) => {
  const reg = parseRegistration(await readBody(req, res, m));
  const known = ctx.topology.get(reg.id) !== undefined;
  const sink = responseSink(res);
  await ctx.streams.add(reg, sink);
  if (sink.closed) return;
  res.writeHead(200, {
    'content-type': 'application/x-ndjson',
    'cache-control': 'no-store',
    // A proxy in front of the tracker must pass each line on at once (nginx reads this header).
    'x-accel-buffering': 'no',
  });
  sink.send({ type: 'registered', ...registered(ctx, reg, known, 'stream') });
  // What the node must refuse, from scratch: the first batch says so (reset), the others add to it.
  const blocked = ctx.takedowns.book.blocked();
  for (let i = 0; i === 0 || i < blocked.length; i += BLOCKED_PER_LINE) {
    sink.send({ type: 'takedowns', ...(i === 0 ? { reset: true } : {}), block: blocked.slice(i, i + BLOCKED_PER_LINE) });
  }
};

/** A stream's lines into an HTTP response that stays open. */
function responseSink(res: ServerResponse): StreamSink {
  return {
    send(event: NodeStreamEvent) {
      if (!res.destroyed && !res.writableEnded) res.write(JSON.stringify(event) + '\n');
    },
    end() {
      if (!res.headersSent) res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
      res.end();
    },
    get closed() {
      return res.destroyed || res.writableEnded;
    },
    onClose(fn) {
      res.once('close', fn);
    },
  };
}

export const registerRoute: RouteHandler = async (ctx, req, res, m) => {
  const reg = parseRegistration(await readBody(req, res, m));
  const known = ctx.topology.get(reg.id) !== undefined;
  await ctx.topology.register(reg);
  sendJson(res, 200, registered(ctx, reg, known, 'post'));
};

export const heartbeatRoute: RouteHandler = async (ctx, req, res, m) => {
  // Not SMALL_BODY: a busy node's beat lists thousands of downloads and leases.
  const hb = parseHeartbeat(await readBody(req, res, m, HEARTBEAT_BODY_MAX));
  await ctx.topology.heartbeat(hb);
  if (hb.leases) {
    // Batched with the beat, not per request: ended transfers free their callers, running ones keep their lease.
    await ctx.downloads.leases.release(hb.leases.ended);
    await ctx.downloads.leases.renew(hb.leases.active, ctx.now(), ctx.downloads.leaseTtlMs);
  }
  if (hb.served) ctx.followed.served(hb.served);
  sendJson(res, 200, { ok: true });
};
