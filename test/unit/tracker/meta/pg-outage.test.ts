// Which database failures the tracker answers with 503 STORE_UNAVAILABLE
// (callers retry) rather than 500: the server away, not a statement refused.
import t from 'tap';
import { isPgOutage } from '../../../../tracker/meta/postgres/connection.js';

const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });

t.test('connection failures and a server that cannot serve are outages', async (t) => {
  for (const e of [
    withCode('ECONNREFUSED', 'connect ECONNREFUSED 10.0.0.5:5432'),
    withCode('ECONNRESET'),
    withCode('57P01', 'terminating connection due to administrator command'),
    withCode('57P03', 'the database system is starting up'),
    withCode('25006', 'cannot execute INSERT in a read-only transaction'),
    withCode('08006'),
    new Error('Connection terminated unexpectedly'),
    new Error('timeout exceeded when trying to connect'),
  ]) t.ok(isPgOutage(e), e.message);
});

t.test('a statement refused is not', async (t) => {
  for (const e of [withCode('23505', 'duplicate key value'), withCode('42P01', 'relation does not exist'), new Error('boom'), 'text']) t.notOk(isPgOutage(e), String(e));
});
