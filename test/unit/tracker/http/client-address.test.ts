// The client's address: X-Forwarded-For only from a trusted proxy.
import t from 'tap';
import type { IncomingMessage } from 'node:http';
import { clientAddress } from '../../../../tracker/http/client-address.js';

const req = (peer: string, xff?: string | string[]) => ({ socket: { remoteAddress: peer }, headers: xff === undefined ? {} : { 'x-forwarded-for': xff } }) as unknown as IncomingMessage;

t.test('clientAddress', async (t) => {
  const trusted = new Set(['127.0.0.1', '10.0.0.2']);
  const table: Array<[string, IncomingMessage, string]> = [
    ['no proxy: the peer', req('203.0.113.9'), '203.0.113.9'],
    ['a header from an untrusted peer is ignored', req('203.0.113.9', '81.2.69.160'), '203.0.113.9'],
    ['from a trusted proxy: the address it names', req('127.0.0.1', '81.2.69.160'), '81.2.69.160'],
    ['the last untrusted hop, not what the client wrote first', req('127.0.0.1', '1.1.1.1, 81.2.69.160'), '81.2.69.160'],
    ['through two trusted proxies', req('127.0.0.1', '81.2.69.160, 10.0.0.2'), '81.2.69.160'],
    ['IPv4-mapped IPv6 peers count as IPv4', req('::ffff:127.0.0.1', '81.2.69.160'), '81.2.69.160'],
    ['a malformed hop: the peer', req('127.0.0.1', 'nonsense'), '127.0.0.1'],
    ['no header: the peer', req('127.0.0.1'), '127.0.0.1'],
    ['several headers are one list', req('127.0.0.1', ['1.1.1.1', '8.8.8.8']), '8.8.8.8'],
    ['IPv6 in lower case', req('127.0.0.1', '2001:DB8::1'), '2001:db8::1'],
  ];
  for (const [what, r, want] of table) t.equal(clientAddress(r, trusted), want, what);
  t.equal(clientAddress(req('127.0.0.1', '81.2.69.160'), new Set()), '127.0.0.1', 'no trusted proxies: never the header');
});
