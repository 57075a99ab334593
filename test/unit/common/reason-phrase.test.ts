// tus's 460 (checksum mismatch) goes out with a reason phrase: Node has none
// for it and sent "HTTP/1.1 460 " with an empty one.
import t from 'tap';
import { request } from 'node:http';
import { createServer, listen } from '../../../common/http.js';
import { createLogger } from '../../../common/log.js';
import { HoardError } from '../../../common/protocol/errors.js';

t.test('460 has a reason phrase', async (t) => {
  const server = createServer(() => {
    throw new HoardError('CHECKSUM_MISMATCH');
  }, createLogger('test', 'silent'));
  const port = await listen(server, 0, '127.0.0.1');
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  const [status, reason] = await new Promise<[number | undefined, string | undefined]>((resolve, reject) => {
    request({ host: '127.0.0.1', port, path: '/' }, (res) => {
      res.resume();
      resolve([res.statusCode, res.statusMessage]);
    })
      .on('error', reject)
      .end();
  });
  t.equal(status, 460);
  t.equal(reason, 'Checksum Mismatch');
});
