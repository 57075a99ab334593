// The one HTTP client used against hoard and against every baseline, so a
// race is between servers, not clients: undici, bodies streamed from disk,
// downloads counted and discarded. Each client counts the bytes its sockets
// put on the wire.
import { createReadStream } from 'node:fs';
import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import { Agent, buildConnector, request } from 'undici';
import { msSince } from './stats.js';

export class BenchClient {
  readonly agent: Agent;
  private readonly sockets = new Set<Socket>();

  constructor(connections = 128) {
    const connect = buildConnector({});
    this.agent = new Agent({
      connections,
      keepAliveTimeout: 4_000,
      headersTimeout: 120_000,
      bodyTimeout: 120_000,
      connect: (opts, cb) =>
        connect(opts, (...args) => {
          if (args[1]) this.sockets.add(args[1]);
          cb(...args);
        }),
    });
  }

  /** Bytes written to and read from the network by this client's sockets so far. */
  wire(): { sent: number; received: number } {
    let sent = 0;
    let received = 0;
    for (const s of this.sockets) {
      sent += s.bytesWritten;
      received += s.bytesRead;
    }
    return { sent, received };
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}

export interface PutResult {
  status: number;
  text: string;
  ms: number;
}

export type BodySource = { file: string; size: number; prefix?: Buffer } | { buffer: Buffer };

function bodyOf(src: BodySource): { body: Readable | Buffer; length: number } {
  if ('buffer' in src) return { body: src.buffer, length: src.buffer.length };
  const stream = createReadStream(src.file, { highWaterMark: 1 << 20, start: 0, end: src.size - 1 });
  if (!src.prefix) return { body: stream, length: src.size };
  const prefix = src.prefix;
  // A unique prefix makes one source file yield many distinct uploads.
  async function* withPrefix(): AsyncGenerator<Buffer> {
    yield prefix;
    for await (const c of stream) yield c as Buffer;
  }
  return { body: Readable.from(withPrefix(), { objectMode: false }), length: src.size + prefix.length };
}

export async function put(client: BenchClient, url: string, src: BodySource): Promise<PutResult> {
  const started = process.hrtime.bigint();
  const { body, length } = bodyOf(src);
  const res = await request(url, {
    method: 'PUT',
    body,
    headers: { 'content-length': String(length), 'content-type': 'application/octet-stream' },
    dispatcher: client.agent,
  });
  const text = await res.body.text();
  return { status: res.statusCode, text, ms: msSince(started) };
}

export interface GetResult {
  status: number;
  bytes: number;
  ms: number;
  headers: Record<string, string | string[] | undefined>;
}

/**
 * GETs `url` and throws the body away, counting it. Redirects are not
 * followed. A raw dispatch handler, not a body stream: the client should cost
 * as little CPU per byte as it can, since it shares the machine with the server.
 */
export function getDiscard(client: BenchClient, url: string, headers: Record<string, string> = {}): Promise<GetResult> {
  const started = process.hrtime.bigint();
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    let status = 0;
    let bytes = 0;
    let resHeaders: Record<string, string | string[] | undefined> = {};
    client.agent.dispatch(
      { origin: u.origin, path: u.pathname + u.search, method: 'GET', headers },
      {
        // undici tells new-style handlers from legacy ones by this method.
        onRequestStart() {},
        onResponseStart(_c, statusCode, h) {
          status = statusCode;
          resHeaders = h;
        },
        onResponseData(_c, chunk) {
          bytes += chunk.length;
        },
        onResponseEnd() {
          resolve({ status, bytes, ms: msSince(started), headers: resHeaders });
        },
        onResponseError(_c, err) {
          reject(err);
        },
      },
    );
  });
}

export async function postJson(client: BenchClient, url: string, body: unknown): Promise<{ status: number; json: unknown }> {
  const res = await request(url, {
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json' },
    dispatcher: client.agent,
  });
  const text = await res.body.text();
  let json: unknown = text;
  try {
    json = JSON.parse(text);
  } catch {
    /* keep text */
  }
  return { status: res.statusCode, json };
}

/** Runs `worker` on `concurrency` loops until `durationMs` passes; returns completed calls per second. */
export async function closedLoop(concurrency: number, durationMs: number, worker: (i: number) => Promise<void>): Promise<{ ops: number; seconds: number; perSec: number }> {
  const started = process.hrtime.bigint();
  const deadline = Date.now() + durationMs;
  let ops = 0;
  let i = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < deadline) {
        await worker(i++);
        ops++;
      }
    }),
  );
  const seconds = msSince(started) / 1000;
  return { ops, seconds, perSec: ops / seconds };
}
