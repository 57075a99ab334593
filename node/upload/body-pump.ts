// Moves a request body (a plain PUT, or one tus PATCH) into a chunk writer:
// pauses the request while the writer or the early-stop check asks to wait,
// stops at the length allowed, cuts a body slower than the node's minimum rate.
import type { IncomingMessage } from 'node:http';
import { HoardError } from '../../common/protocol/errors.js';
import type { ChunkWriter } from '../store/chunk-store.js';
import type { UploadLimits } from './limits.js';
import { RateGuard } from './rate-guard.js';

const RATE_TICK_MS = 1_000;

export interface PumpOptions {
  /** Bytes this body may add (a PUT's declared length or the upload limit; a PATCH's Upload-Length minus offset). */
  limit: number;
  limits: Pick<UploadLimits, 'minUploadRate' | 'rateWindowMs'>;
  /** Sees every piece before the writer does (checksums). */
  onBytes?: (buf: Buffer) => void;
  /** The error past `limit` (default PAYLOAD_TOO_LARGE). */
  overLimit?: () => HoardError;
  /** Asked after every piece; a promise resolving true ends the body here ("early"). */
  after?: () => Promise<boolean> | undefined;
}

export type PumpResult = 'end' | 'early';

/**
 * Resolves 'end' when the body ended, 'early' when `after` said stop (the
 * request is left paused, unread). Rejects with BODY_INCOMPLETE when the
 * client went away, PAYLOAD_TOO_LARGE past the limit (that piece is not
 * written), REQUEST_TIMEOUT below the rate floor, or the writer's error.
 */
export function pump(req: IncomingMessage, writer: ChunkWriter, opts: PumpOptions): Promise<PumpResult> {
  const { limits } = opts;
  return new Promise<PumpResult>((resolve, reject) => {
    let received = 0;
    let ended = false;
    let waiting = false;
    let done = false;
    const guard = new RateGuard(limits.minUploadRate, limits.rateWindowMs);
    const timer =
      limits.minUploadRate > 0
        ? setInterval(() => {
            if (!waiting && guard.tooSlow(received)) stop(new HoardError('REQUEST_TIMEOUT', `Upload slower than ${limits.minUploadRate} bytes/s`));
          }, Math.min(RATE_TICK_MS, limits.rateWindowMs))
        : undefined;

    const stop = (err?: unknown, result: PumpResult = 'end') => {
      if (done) return;
      done = true;
      if (timer) clearInterval(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('close', onClose);
      req.off('error', onError);
      if (err === undefined) resolve(result);
      else reject(err);
    };
    const onData = (buf: Buffer) => {
      if (received + buf.length > opts.limit) {
        stop(opts.overLimit?.() ?? new HoardError('PAYLOAD_TOO_LARGE', `Body goes past the ${opts.limit} bytes it may add`));
        return;
      }
      received += buf.length;
      let wait: Promise<void> | undefined;
      try {
        opts.onBytes?.(buf);
        wait = writer.write(buf);
      } catch (err) {
        stop(err);
        return;
      }
      const check = opts.after;
      const next: Promise<boolean> | undefined = wait ? wait.then(() => check?.() ?? false) : check?.();
      if (!next) return;
      waiting = true;
      req.pause();
      next.then(
        (early) => {
          waiting = false;
          if (done) return;
          if (early) stop(undefined, 'early');
          else if (ended) stop();
          else req.resume();
        },
        (err: unknown) => stop(err),
      );
    };
    const onEnd = () => {
      ended = true;
      if (!waiting) stop();
    };
    const onClose = () => {
      if (!ended) stop(new HoardError('BODY_INCOMPLETE'));
    };
    const onError = (err: Error) => stop(new HoardError('BODY_INCOMPLETE', undefined, { cause: err }));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('close', onClose);
    req.on('error', onError);
  });
}
