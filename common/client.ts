// The client side of the cluster protocol: JSON calls with the cluster
// credential, and error bodies turned back into RemoteError.
import { request, Agent } from 'undici';
import { RemoteError, type ErrorBody } from './protocol/errors.js';
import { AUTH_HEADER } from './protocol/routes.js';
import { clusterAuth } from './sign.js';

const agent = new Agent({ keepAliveTimeout: 4_000, connections: 64 });

export interface CallOptions {
  secret?: string;
  body?: unknown;
  timeoutMs?: number;
  /** More request headers (a user's Authorization). */
  headers?: Record<string, string>;
}

/** Calls a hoard JSON endpoint; 2xx bodies are returned parsed, other answers throw RemoteError. */
export async function callJson<T>(base: string, method: string, pathAndQuery: string, opts: CallOptions = {}): Promise<T> {
  const headers: Record<string, string> = { ...opts.headers };
  let body: string | undefined;
  if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['content-type'] = 'application/json';
  }
  if (opts.secret) headers[AUTH_HEADER] = clusterAuth(opts.secret, method, pathAndQuery, Date.now(), body);
  const res = await request(base + pathAndQuery, {
    method: method as 'GET',
    headers,
    body,
    dispatcher: agent,
    headersTimeout: opts.timeoutMs ?? 10_000,
    bodyTimeout: opts.timeoutMs ?? 10_000,
  });
  const text = await res.body.text();
  if (res.statusCode >= 200 && res.statusCode < 300) return (text ? JSON.parse(text) : undefined) as T;
  throw remoteError(res.statusCode, text);
}

export function remoteError(status: number, text: string): RemoteError {
  try {
    const e = (JSON.parse(text) as ErrorBody).error;
    return new RemoteError(status, String(e.code), String(e.message));
  } catch {
    return new RemoteError(status, 'HTTP_' + status, text.slice(0, 200));
  }
}
