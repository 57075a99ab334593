// HTTP from the outside: undici without redirects, curl, and a raw socket
// for requests no well-behaved client sends (short bodies, slow bodies,
// Expect: 100-continue without a body).
import { connect, type Socket } from 'node:net';
import { request } from 'undici';
import { AUTH_HEADER } from '../../common/protocol/routes.js';
import { clusterAuth } from '../../common/sign.js';
import { run, type RunResult } from './proc.js';

export interface HttpResult {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  text: string;
}

export interface HttpOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  timeoutMs?: number;
}

/** The cluster credential for `GET /metrics` (the route is not public). */
export function metricsAuth(secret: string): Record<string, string> {
  return { [AUTH_HEADER]: clusterAuth(secret, 'GET', '/metrics') };
}

/** One request, redirects not followed, a fresh connection each time (nodes get killed and restarted). */
export async function http(url: string, opts: HttpOptions = {}): Promise<HttpResult> {
  const res = await request(url, {
    method: (opts.method ?? 'GET') as 'GET',
    headers: opts.headers,
    body: opts.body,
    reset: true,
    headersTimeout: opts.timeoutMs ?? 15_000,
    bodyTimeout: opts.timeoutMs ?? 15_000,
  });
  const body = Buffer.from(await res.body.arrayBuffer());
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(res.headers)) {
    if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  }
  return { status: res.statusCode, headers, body, text: body.toString('utf8') };
}

export interface ErrorJson {
  error?: { code?: unknown; message?: unknown };
}

/** The `error.code` of a JSON error body, or undefined. */
export function errorCode(text: string): string | undefined {
  try {
    const v = JSON.parse(text) as ErrorJson;
    return typeof v.error?.code === 'string' ? v.error.code : undefined;
  } catch {
    return undefined;
  }
}

/** True when the body is `{error:{code,message}}` with both strings. */
export function isErrorBody(text: string): boolean {
  try {
    const v = JSON.parse(text) as ErrorJson;
    return typeof v.error?.code === 'string' && typeof v.error.message === 'string';
  } catch {
    return false;
  }
}

export function parseJson<T>(text: string): T | undefined {
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

export function curl(args: string[], timeoutMs = 60_000): Promise<RunResult> {
  return run('curl', ['-sS', ...args], { timeoutMs });
}

export interface CurlAnswer<T> {
  status: number;
  text: string;
  json: T | undefined;
  run: RunResult;
}

/** Runs curl with the body on stdout and the final status appended as the last line. */
export async function curlJson<T>(args: string[], timeoutMs = 60_000): Promise<CurlAnswer<T>> {
  const r = await curl([...args, '-w', '\n%{http_code}'], timeoutMs);
  const cut = r.stdout.lastIndexOf('\n');
  const text = cut >= 0 ? r.stdout.slice(0, cut) : '';
  const status = Number(r.stdout.slice(cut + 1)) || 0;
  return { status, text, json: parseJson<T>(text), run: r };
}

/** `curl -L -T file <url>`: the documented way to upload. */
export function curlUpload<T>(url: string, file: string, extra: string[] = []): Promise<CurlAnswer<T>> {
  return curlJson<T>(['-L', '-T', file, ...extra, url], 120_000);
}

/** Follows a tracker link one step: the 302 Location. */
export async function resolveLink(link: string, headers: Record<string, string> = {}): Promise<string> {
  const r = await http(link, { headers });
  if (r.status !== 302 || !r.headers.location) throw new Error(`expected 302 from ${link}, got ${r.status}: ${r.text.slice(0, 200)}`);
  return r.headers.location;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** A bare HTTP/1.1 connection: the test writes bytes and reads parsed responses. */
export class RawHttp {
  readonly responses: RawResponse[] = [];
  closed = false;
  error: Error | undefined;
  private buf = Buffer.alloc(0);
  private waiters: (() => void)[] = [];

  private constructor(readonly sock: Socket) {
    sock.on('data', (b: Buffer) => {
      this.buf = Buffer.concat([this.buf, b]);
      this.parse(false);
      this.wake();
    });
    sock.on('error', (e) => {
      this.error = e;
    });
    sock.on('close', () => {
      this.closed = true;
      this.parse(true);
      this.wake();
    });
  }

  static connect(port: number, host = '127.0.0.1'): Promise<RawHttp> {
    return new Promise((resolve, reject) => {
      const s = connect(port, host);
      s.once('connect', () => {
        s.off('error', reject);
        resolve(new RawHttp(s));
      });
      s.once('error', reject);
    });
  }

  /** Writes and waits for the write to be handed to the kernel; false once the socket is gone. */
  write(data: string | Buffer): Promise<boolean> {
    if (this.closed || this.sock.destroyed) return Promise.resolve(false);
    return new Promise((resolve) => {
      this.sock.write(data, (err) => resolve(!err));
    });
  }

  /** The first final (non-1xx) response, once parsed; throws after timeoutMs. */
  async response(timeoutMs = 10_000): Promise<RawResponse> {
    const r = await this.until(() => this.responses.find((x) => x.status >= 200), timeoutMs);
    if (!r) throw new Error(`no response within ${timeoutMs} ms (closed=${this.closed}, error=${this.error?.message ?? ''}, got ${this.buf.length} unparsed bytes)`);
    return r;
  }

  /** Waits for a "100 Continue" or a final response, whichever comes first. */
  async interim(timeoutMs = 10_000): Promise<RawResponse | undefined> {
    return this.until(() => this.responses[0], timeoutMs);
  }

  /** Resolves when the peer has closed the connection (true) or after timeoutMs (false). */
  async waitClosed(timeoutMs = 10_000): Promise<boolean> {
    return (await this.until(() => this.closed || undefined, timeoutMs)) === true;
  }

  destroy(): void {
    this.sock.destroy();
  }

  private async until<T>(pick: () => T | undefined, timeoutMs: number): Promise<T | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = pick();
      if (v !== undefined) return v;
      if (this.closed) return pick();
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private parse(atClose: boolean): void {
    for (;;) {
      const end = this.buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = this.buf.subarray(0, end).toString('latin1').split('\r\n');
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head[0] ?? '')?.[1] ?? 0);
      const headers: Record<string, string> = {};
      for (const line of head.slice(1)) {
        const i = line.indexOf(':');
        if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
      }
      const rest = this.buf.subarray(end + 4);
      if (status >= 100 && status < 200) {
        this.responses.push({ status, headers, body: Buffer.alloc(0) });
        this.buf = rest;
        continue;
      }
      const cl = headers['content-length'];
      if (cl !== undefined) {
        const n = Number(cl);
        if (rest.length < n && !atClose) return;
        this.responses.push({ status, headers, body: rest.subarray(0, n) });
        this.buf = rest.subarray(Math.min(n, rest.length));
        continue;
      }
      if (!atClose) return;
      this.responses.push({ status, headers, body: rest });
      this.buf = Buffer.alloc(0);
      return;
    }
  }
}

/** The request line and headers of a raw request. */
export function requestHead(method: string, url: string, headers: Record<string, string | number>): string {
  const u = new URL(url);
  const lines = [`${method} ${u.pathname}${u.search} HTTP/1.1`, `Host: ${u.host}`];
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
  return lines.join('\r\n') + '\r\n\r\n';
}

/** One chunk of a chunked body (an empty buffer ends the body). */
export function chunkOf(data: Buffer): Buffer {
  return Buffer.concat([Buffer.from(data.length.toString(16) + '\r\n'), data, Buffer.from('\r\n')]);
}
