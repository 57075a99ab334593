// Moving a body into a writer: backpressure both ways, the length allowed,
// the early stop, a client that goes away, and the rate floor.
import type { IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';
import t from 'tap';
import type { ChunkWriter } from '../../../../node/store/chunk-store.js';
import { pump, type PumpOptions } from '../../../../node/upload/body-pump.js';

const noFloor = { minUploadRate: 0, rateWindowMs: 30_000 };

/** A request body the test feeds by hand. */
function body(): PassThrough & IncomingMessage {
  return new PassThrough() as PassThrough & IncomingMessage;
}

/** A writer that keeps what it is given; `hold` makes each write ask the caller to wait. */
function writer(hold?: () => Promise<void>) {
  const got: Buffer[] = [];
  const w = {
    uploadId: 'w',
    prefixes: [],
    get bytes() {
      return got.reduce((n, b) => n + b.length, 0);
    },
    write(buf: Buffer) {
      got.push(buf);
      return hold?.();
    },
  } as unknown as ChunkWriter;
  return { w, got };
}

const run = (req: IncomingMessage, w: ChunkWriter, opts: Partial<PumpOptions> = {}) => pump(req, w, { limit: 1 << 20, limits: noFloor, ...opts });

t.test('the whole body reaches the writer, each piece seen first by onBytes', async (t) => {
  const req = body();
  const { w, got } = writer();
  const seen: number[] = [];
  const done = run(req, w, { onBytes: (b) => seen.push(b.length) });
  req.write(Buffer.alloc(10, 1));
  req.end(Buffer.alloc(5, 2));
  t.equal(await done, 'end');
  t.same(Buffer.concat(got), Buffer.concat([Buffer.alloc(10, 1), Buffer.alloc(5, 2)]));
  t.same(seen, [10, 5]);
});

t.test('the writer asking to wait pauses the body until it is ready', async (t) => {
  const req = body();
  let release!: () => void;
  const { w, got } = writer(() => new Promise<void>((r) => (release = r)));
  const done = run(req, w);
  req.write(Buffer.from('one'));
  await new Promise((r) => setImmediate(r));
  t.equal(req.isPaused(), true, 'paused while the write is pending');
  req.end(Buffer.from('two'));
  await new Promise((r) => setImmediate(r));
  t.equal(got.length, 1, 'the next piece waits');
  release();
  await new Promise((r) => setImmediate(r));
  release();
  t.equal(await done, 'end');
  t.equal(Buffer.concat(got).toString(), 'onetwo');
});

t.test('past the length allowed: PAYLOAD_TOO_LARGE, and that piece is not written', async (t) => {
  const req = body();
  const { w, got } = writer();
  const done = run(req, w, { limit: 12 });
  req.write(Buffer.alloc(10));
  req.write(Buffer.alloc(3));
  await t.rejects(done, { code: 'PAYLOAD_TOO_LARGE', status: 413 });
  t.equal(Buffer.concat(got).length, 10);
});

t.test('after() answering true ends the body there, the request left unread', async (t) => {
  const req = body();
  const { w, got } = writer();
  let asked = 0;
  const done = run(req, w, { after: () => (++asked === 2 ? Promise.resolve(true) : undefined) });
  req.write(Buffer.from('a'));
  req.write(Buffer.from('b'));
  req.write(Buffer.from('c'));
  t.equal(await done, 'early');
  t.equal(Buffer.concat(got).toString(), 'ab', 'nothing after the stop');
  t.equal(req.isPaused(), true);
});

t.test('a client that goes away: BODY_INCOMPLETE', async (t) => {
  const req = body();
  const { w } = writer();
  const done = run(req, w);
  req.write(Buffer.from('partial'));
  req.destroy();
  await t.rejects(done, { code: 'BODY_INCOMPLETE' });
  const broken = body();
  const second = run(broken, w);
  broken.destroy(new Error('ECONNRESET'));
  await t.rejects(second, { code: 'BODY_INCOMPLETE' });
});

t.test("the writer's failure ends the pump with it", async (t) => {
  const req = body();
  const { w } = writer(() => Promise.reject(Object.assign(new Error('no space'), { code: 'ENOSPC' })));
  const done = run(req, w);
  req.write(Buffer.from('x'));
  await t.rejects(done, { code: 'ENOSPC' });
});

t.test('below the rate floor: REQUEST_TIMEOUT; never while the writer holds the body', async (t) => {
  const slow = body();
  const { w } = writer();
  const done = pump(slow, w, { limit: 1 << 20, limits: { minUploadRate: 1_000_000, rateWindowMs: 200 } });
  slow.write(Buffer.alloc(10));
  await t.rejects(done, { code: 'REQUEST_TIMEOUT', status: 408 });

  const held = body();
  let release!: () => void;
  const waiting = writer(() => new Promise<void>((r) => (release = r)));
  const ok = pump(held, waiting.w, { limit: 1 << 20, limits: { minUploadRate: 1_000_000, rateWindowMs: 200 } });
  held.end(Buffer.alloc(10));
  await new Promise((r) => setTimeout(r, 600));
  release();
  t.equal(await ok, 'end', 'a wait on the disk is not the client being slow');
});
