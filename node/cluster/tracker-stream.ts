// The node's heartbeat stream: POST /internal/nodes/stream with the
// registration, then the tracker's lines (newline-delimited JSON) for as long
// as both live. The first line answers the registration; then a ping comes
// every STREAM_PING_MS, and silence for STREAM_SILENCE_MS counts as the
// tracker gone (a machine that vanished without closing its sockets).
import { Agent, request } from 'undici';
import { remoteError } from '../../common/client.js';
import { AUTH_HEADER, STREAM_SILENCE_MS, TRACKER } from '../../common/protocol/routes.js';
import type { NodeRegistration, NodeStreamEvent, RegisterAnswer } from '../../common/protocol/types.js';
import { clusterAuth } from '../../common/sign.js';

export interface OpenStream {
  /** The tracker's answer to the registration. */
  answer: RegisterAnswer;
  /** Resolves when the stream has ended, with why (it never rejects). */
  ended: Promise<string>;
}

export interface NodeStreamApi {
  /**
   * Registers on a new stream; rejects when the tracker cannot be reached or
   * refuses (RemoteError). Lines after the answer other than pings go to
   * `onEvent` as they arrive.
   */
  open(reg: NodeRegistration, signal: AbortSignal, onEvent: (ev: NodeStreamEvent) => void): Promise<OpenStream>;
}

// A connection of its own: the stream holds it for its whole life.
const agent = new Agent({ keepAliveTimeout: 1_000, connections: 2 });

export function nodeStreamClient(base: string, secret: string, silenceMs = STREAM_SILENCE_MS): NodeStreamApi {
  return {
    async open(reg, signal, onEvent) {
      const body = JSON.stringify(reg);
      const res = await request(base + TRACKER.nodeStream, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [AUTH_HEADER]: clusterAuth(secret, 'POST', TRACKER.nodeStream, Date.now(), body) },
        body,
        signal,
        dispatcher: agent,
        headersTimeout: silenceMs,
        bodyTimeout: silenceMs,
      });
      if (res.statusCode !== 200) throw remoteError(res.statusCode, await res.body.text());
      const events = lines(res.body);
      let first: IteratorResult<NodeStreamEvent>;
      try {
        first = await events.next();
      } catch (err) {
        res.body.destroy();
        throw err;
      }
      if (first.done || first.value.type !== 'registered') {
        res.body.destroy();
        throw new Error('the tracker did not answer the registration on its stream');
      }
      const { ok, trackerUrl, uploadMargin } = first.value;
      const ended = (async () => {
        // Pings carry nothing but their arrival.
        for await (const ev of events) if (ev.type !== 'ping') onEvent(ev);
        return 'the tracker ended the stream';
      })().catch((err: unknown) => describe(err, silenceMs));
      return { answer: { ok, trackerUrl, ...(typeof uploadMargin === 'number' ? { uploadMargin } : {}) }, ended };
    },
  };
}

/** Each complete line of the body, parsed. */
async function* lines(body: AsyncIterable<Buffer>): AsyncGenerator<NodeStreamEvent> {
  let rest = '';
  for await (const chunk of body) {
    rest += chunk.toString('utf8');
    let nl: number;
    while ((nl = rest.indexOf('\n')) >= 0) {
      const line = rest.slice(0, nl);
      rest = rest.slice(nl + 1);
      if (line.trim() !== '') yield JSON.parse(line) as NodeStreamEvent;
    }
    // A line is a few dozen bytes (a batch of takedowns a few KiB): anything this long is not the tracker talking.
    if (rest.length > 64 * 1024) throw new Error('the tracker sent a line over 64 KiB on the node stream');
  }
}

/** An error as one short line for the log. */
export function describe(err: unknown, silenceMs = STREAM_SILENCE_MS): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT') return `no word from the tracker for ${silenceMs / 1000} s`;
    return code && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}
