// One file up: ask the tracker where, then stream the file to that node.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { Transform, pipeline } from 'node:stream';
import { request } from 'undici';
import { CliError } from '../common/cli.js';
import { remoteError } from '../common/client.js';
import { TRACKER, type UploadResult, type UploadTarget, type UploadTargetRequest } from '../common/protocol.js';
import { callTracker } from './tracker.js';

export interface UploadOptions {
  /** Called once the size is known, before any byte is sent. */
  onStart?: (size: number) => void;
  /** Bytes handed to the socket so far. */
  onProgress?: (sent: number) => void;
}

export async function uploadFile(tracker: string, file: string, opts: UploadOptions = {}): Promise<UploadResult> {
  const st = await stat(file);
  if (!st.isFile()) throw new CliError('NOT_A_FILE', `${file} is not a regular file`);
  const size = st.size;
  const ask: UploadTargetRequest = { filename: basename(file), size };
  const target = await callTracker<UploadTarget>(tracker, 'POST', TRACKER.uploadTarget, ask);
  opts.onStart?.(size);

  let sent = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      sent += chunk.length;
      opts.onProgress?.(sent);
      done(null, chunk);
    },
  });
  // pipeline tears the file stream down when undici stops reading the body (early answer, reset).
  pipeline(createReadStream(file, { highWaterMark: 1 << 20 }), counter, () => {});

  const res = await request(target.url, {
    method: 'PUT',
    headers: { 'content-length': String(size), 'content-type': 'application/octet-stream' },
    body: counter,
    // After the last byte the node still fsyncs and commits to the tracker.
    headersTimeout: 120_000,
    bodyTimeout: 60_000,
  });
  const text = await res.body.text();
  if (res.statusCode !== 201) throw remoteError(res.statusCode, text);
  try {
    return JSON.parse(text) as UploadResult;
  } catch {
    throw new CliError('BAD_RESPONSE', `node answered 201 with a body that is not JSON: ${text.slice(0, 200)}`);
  }
}
