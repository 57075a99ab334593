// One file through tus-js-client, as `hoard put` does it (client/tus-upload.ts):
// hash it (MD5 and SHA-256, in the worker), create the upload at the
// tracker declaring both, answer the challenge that creation returns, send
// that answer with the first PATCH and end that PATCH at the next prefix
// checkpoint. When the cluster already holds the file the node ends the
// upload there: the answer's Upload-Offset is the file's size and the link
// comes with it. Otherwise the file goes on in PATCHes of `chunkSize`.
//
// tus-js-client keeps each upload's URL in localStorage, keyed by the file's
// name, type, size and date: after a reload, picking the same file resumes
// where the node stands (HEAD), with the hashes declared at creation, so it
// is not hashed again. A dropped connection is retried the same way.
import { DetailedError, Upload, type HttpRequest, type HttpResponse, type PreviousUpload } from 'tus-js-client';
import { MD5_RE, SHA256_RE } from '../../../common/protocol/ids.js';
import { nextCheckpointAfter } from '../../../common/protocol/prefix.js';
import { parseChallenge, type Challenge } from '../../../common/protocol/proof.js';
import { TUS_H, TUS_VERSION } from '../../../common/protocol/tus.js';
import type { LinkInfo } from '../../../common/protocol/types.js';
import type { Hasher, Identity } from './hasher.js';

/** Waits between attempts after a failed request (tus-js-client retries while the upload makes progress). */
const RETRY_DELAYS = [0, 1_000, 3_000, 5_000, 10_000, 20_000];

export interface UploadSettings {
  /** Absolute URL of the tracker's tus creation route. */
  endpoint: string;
  /** Path prefix of the tracker's link info route (GET <prefix><id>). */
  linkInfo: string;
  /** Bytes per PATCH; 0 for the rest of the file in one. */
  chunkSize: number;
  hasher: Hasher;
}

export type UploadEvent =
  | { kind: 'hashing'; done: number }
  | { kind: 'resumed'; offset: number }
  | { kind: 'sending'; offset: number }
  | { kind: 'verifying' };

export interface UploadOutcome {
  link: string;
  id: string;
  size: number;
  /** Body bytes this page sent for the file (a retried piece counts twice). */
  sent: number;
  /** The cluster held the file: possession was proven and the upload ended early. */
  early: boolean;
}

export class UploadCancelled extends Error {
  constructor() {
    super('cancelled');
  }
}

export class FileUpload {
  private upload: Upload | undefined;
  private challenge: Challenge | undefined;
  private proof: string | undefined;
  private proofSent = false;
  private sent = 0;
  private cancelled = false;
  private reject: ((err: Error) => void) | undefined;

  constructor(
    readonly file: File,
    private readonly settings: UploadSettings,
    private readonly onEvent: (e: UploadEvent) => void,
  ) {}

  async run(): Promise<UploadOutcome> {
    const { file, settings } = this;
    const finished = new Promise<HttpResponse>((resolve, reject) => {
      this.reject = reject;
      this.upload = new Upload(file, {
        endpoint: settings.endpoint,
        chunkSize: settings.chunkSize > 0 ? settings.chunkSize : Number.POSITIVE_INFINITY,
        retryDelays: RETRY_DELAYS,
        removeFingerprintOnSuccess: true,
        fileReader: { openFile: async () => this.source() },
        onBeforeRequest: (req) => this.beforeRequest(req),
        onAfterResponse: (req, res) => this.afterResponse(req, res),
        onProgress: (offset) => this.onEvent({ kind: 'sending', offset }),
        onSuccess: ({ lastResponse }) => resolve(lastResponse),
        onError: (err) => reject(err),
      });
    });
    const upload = this.upload!;
    const previous = newest((await upload.findPreviousUploads()).filter(usable));
    let ident: Identity;
    if (previous) {
      ident = { md5: previous.metadata.md5!, sha256: previous.metadata.sha256! };
      upload.resumeFromPreviousUpload(previous);
    } else {
      ident = await settings.hasher.hash(file, (done) => this.onEvent({ kind: 'hashing', done }));
    }
    if (this.cancelled) throw new UploadCancelled();
    upload.options.metadata = { filename: file.name || 'upload.bin', md5: ident.md5, sha256: ident.sha256 };
    upload.start();
    let last: HttpResponse;
    try {
      last = await finished;
    } catch (err) {
      throw this.cancelled ? new UploadCancelled() : new Error(describe(err));
    }

    let link = last.getHeader('Hoard-Link');
    let id = last.getHeader('Hoard-Link-Id');
    const dedup = last.getHeader('Hoard-Dedup') === '1';
    if (!link || !id) ({ link, id } = await this.askNode());
    // An early stop links the stored blob of exactly the declared identity; a full upload is checked.
    const early = this.proofSent && dedup && this.sent < file.size;
    if (!early) {
      this.onEvent({ kind: 'verifying' });
      await this.verify(id, ident);
    }
    return { link, id, size: file.size, sent: this.sent, early };
  }

  /** Stops the upload and drops what the node holds of it. */
  cancel(): void {
    this.cancelled = true;
    this.reject?.(new UploadCancelled());
    void this.upload?.abort(true).catch(() => undefined);
  }

  /** The file as tus-js-client reads it, except that the piece carrying the proof ends at the next checkpoint. */
  private source(): { size: number; slice(start: number, end: number): Promise<{ value: Blob; done: boolean }>; close(): void } {
    const { file } = this;
    return {
      size: file.size,
      slice: async (start, end) => {
        let stop = Math.min(end, file.size);
        const challenge = this.challenge;
        if (challenge && start < file.size) {
          // One answer per upload, whatever comes of it.
          this.challenge = undefined;
          try {
            this.proof = await this.settings.hasher.prove(file, challenge, uploadIdOf(this.upload?.url ?? ''));
            stop = Math.min(stop, nextCheckpointAfter(start));
          } catch {
            // No answer: the file goes up in full, as for a client that does not know the challenge.
          }
        }
        const value = file.slice(start, stop);
        this.sent += value.size;
        return { value, done: stop >= file.size };
      },
      close() {},
    };
  }

  private beforeRequest(req: HttpRequest): void {
    if (req.getMethod() === 'PATCH' && this.proof) {
      req.setHeader('Hoard-Proof', this.proof);
      this.proof = undefined;
      this.proofSent = true;
    }
  }

  private afterResponse(req: HttpRequest, res: HttpResponse): void {
    const method = req.getMethod();
    const ok = res.getStatus() >= 200 && res.getStatus() < 300;
    if (!ok || (method !== 'POST' && method !== 'HEAD')) return;
    // Creation, or the node's state when resuming: a challenge not yet answered is there.
    this.challenge = parseChallenge(res.getHeader('Hoard-Challenge'), this.file.size);
    if (method === 'HEAD') {
      const offset = Number(res.getHeader('Upload-Offset'));
      if (Number.isSafeInteger(offset)) this.onEvent({ kind: 'resumed', offset });
    }
  }

  /** The link of a finished upload from the node, when the last answer did not carry it (an empty file). */
  private async askNode(): Promise<{ link: string; id: string }> {
    const res = await fetch(this.upload?.url ?? '', { method: 'HEAD', headers: { [TUS_H.resumable]: TUS_VERSION } });
    const link = res.headers.get(TUS_H.link);
    const id = res.headers.get(TUS_H.linkId);
    if (!res.ok || !link || !id) throw new Error(`the upload finished without a link (HTTP ${res.status})`);
    return { link, id };
  }

  /** What the tracker says the link holds must be what was hashed here: else the upload went wrong on the way. */
  private async verify(id: string, ident: Identity): Promise<void> {
    const res = await fetch(this.settings.linkInfo + encodeURIComponent(id), { headers: { accept: 'application/json' } });
    if (!res.ok) throw new Error(`the tracker does not know the new link (HTTP ${res.status})`);
    const info = (await res.json()) as Partial<LinkInfo>;
    if (info.md5 !== ident.md5 || info.sha256 !== ident.sha256 || info.size !== this.file.size) {
      throw new Error('the cluster stored other bytes than this file holds: upload it again');
    }
  }
}

function usable(p: PreviousUpload): boolean {
  return p.uploadUrl !== null && MD5_RE.test(p.metadata.md5 ?? '') && SHA256_RE.test(p.metadata.sha256 ?? '');
}

function newest(list: PreviousUpload[]): PreviousUpload | undefined {
  return list.sort((a, b) => Date.parse(b.creationTime) - Date.parse(a.creationTime))[0];
}

function uploadIdOf(url: string): string {
  return new URL(url).pathname.split('/').pop() ?? '';
}

/** An error as a sentence: the server's JSON error message when there is one. */
function describe(err: unknown): string {
  if (err instanceof DetailedError) {
    const res = err.originalResponse;
    if (res) {
      try {
        const body = JSON.parse(res.getBody()) as { error?: { message?: string } };
        if (body.error?.message) return body.error.message;
      } catch {
        // not a JSON error body
      }
      return `the server answered HTTP ${res.getStatus()}`;
    }
    return 'the network failed';
  }
  return err instanceof Error ? err.message : String(err);
}
