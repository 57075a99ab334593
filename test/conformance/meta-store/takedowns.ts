// What every MetaStore back end must do for takedowns: notices found by
// their target while in force and not once lifted, strikes per uploader,
// updates that cannot change what a notice covers, and the audit log in
// the order it was written.
import type { Test } from 'tap';
import type { AuditRecord, TakedownRecord } from '../../../tracker/meta/store.js';
import { freshStore, rejectsWith, type SuiteOptions } from './fixtures.js';

const T0 = '2024-03-01T00:00:00.000Z';
const BLOB = 'ab'.repeat(32);

const notice = (id: string, scope: TakedownRecord['scope'], target: string, uploaders: string[] = []): TakedownRecord => ({
  id,
  scope,
  target,
  reason: 'copyright',
  ref: 'DMCA-1',
  by: 'ops',
  created: T0,
  uploaders,
});

const entry = (id: string, action = 'takedown.link'): AuditRecord => ({ id, at: T0, actor: 'ops', action, target: 'x' });

export async function takedownsGroup(t: Test, { factory }: SuiteOptions): Promise<void> {
  const fresh = (t: Test) => freshStore(t, factory);

  await t.test('notices: create, get, list in id order, found by target while in force', async (t) => {
    const s = await fresh(t);
    await s.takedowns.create(notice('n2', 'content', BLOB, ['u1', 'u2']));
    await s.takedowns.create(notice('n1', 'link', 'L1', ['u1']));
    await s.takedowns.create(notice('n3', 'user', 'u3', ['u3']));
    await rejectsWith(t, s.takedowns.create(notice('n1', 'link', 'L2')), 'CONFLICT', 'id taken');
    t.same(await s.takedowns.get('n2'), notice('n2', 'content', BLOB, ['u1', 'u2']));
    t.equal(await s.takedowns.get('nope'), undefined);
    t.equal(await s.takedowns.get('bad id!'), undefined);
    t.same((await s.takedowns.list({ limit: 10 })).map((n) => n.id), ['n1', 'n2', 'n3']);
    t.same((await s.takedowns.list({ limit: 10, after: 'n1' })).map((n) => n.id), ['n2', 'n3']);
    t.same((await s.takedowns.list({ limit: 1 })).map((n) => n.id), ['n1']);
    const found = await s.takedowns.inForce([
      { scope: 'link', target: 'L1' },
      { scope: 'content', target: BLOB },
      { scope: 'user', target: 'u9' },
      { scope: 'link', target: 'no such id!' },
    ]);
    t.same(found.map((n) => n.id), ['n1', 'n2']);
    t.same(await s.takedowns.inForce([{ scope: 'content', target: 'L1' }]), [], 'a target is matched within its scope');
    t.same(await s.takedowns.inForce([]), []);
  });

  await t.test('notices: lifting takes them out of force and out of the strikes; what they cover cannot change', async (t) => {
    const s = await fresh(t);
    await s.takedowns.create(notice('n1', 'link', 'L1', ['u1']));
    await s.takedowns.create(notice('n2', 'content', BLOB, ['u1', 'u2']));
    t.equal(await s.takedowns.strikes('u1'), 2);
    t.equal(await s.takedowns.strikes('u2'), 1);
    t.equal(await s.takedowns.strikes('u3'), 0);
    t.equal(await s.takedowns.update('nope', (n) => n), undefined);
    const lifted = await s.takedowns.update('n2', (n) => ({ ...n, lifted: T0, liftedBy: 'ops' }));
    t.equal(lifted?.lifted, T0);
    t.same(await s.takedowns.get('n2'), { ...notice('n2', 'content', BLOB, ['u1', 'u2']), lifted: T0, liftedBy: 'ops' });
    t.same(await s.takedowns.inForce([{ scope: 'content', target: BLOB }]), []);
    t.equal(await s.takedowns.strikes('u1'), 1);
    t.equal(await s.takedowns.strikes('u2'), 0);
    const purged = await s.takedowns.update('n1', (n) => ({ ...n, purged: T0 }));
    t.equal(purged?.purged, T0);
    t.same((await s.takedowns.inForce([{ scope: 'link', target: 'L1' }])).map((n) => n.id), ['n1'], 'a purged notice is still in force');
    await t.rejects(s.takedowns.update('n1', (n) => ({ ...n, target: 'L2' })), TypeError);
    await t.rejects(s.takedowns.update('n1', (n) => ({ ...n, uploaders: [] })), TypeError);
    t.same((await s.takedowns.inForce([{ scope: 'link', target: 'L1' }])).map((n) => n.id), ['n1'], 'a refused update changed nothing');
  });

  await t.test('audit log: appended, listed in id order, paged, never overwritten', async (t) => {
    const s = await fresh(t);
    t.same(await s.audit.list({ limit: 10 }), []);
    await s.audit.append(entry('0001-a'));
    await s.audit.append(entry('0002-b', 'user.tier'));
    await s.audit.append(entry('0003-c', 'user.delete'));
    await rejectsWith(t, s.audit.append(entry('0002-b', 'other')), 'CONFLICT', 'an entry is never overwritten');
    t.same((await s.audit.list({ limit: 10 })).map((a) => a.action), ['takedown.link', 'user.tier', 'user.delete']);
    t.same((await s.audit.list({ limit: 10, after: '0001-a' })).map((a) => a.id), ['0002-b', '0003-c']);
    t.same(await s.audit.list({ limit: 1 }), [entry('0001-a')]);
  });
}
