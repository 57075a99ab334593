// The MetaStore conformance suite: every back end runs it with a factory and
// its capability flags (groups needing a missing capability are skipped), e.g.
//   await metaStoreSuite(t, { factory, supports: { persistence: true, schemaVersion: true, sharedLocation: false } });
import type { Test } from 'tap';
import { accountsGroup } from './accounts.js';
import { coreGroup } from './core.js';
import { countersGroup } from './counters.js';
import { downloadCountsGroup } from './download-counts.js';
import { earlyStopGroup } from './early-stop.js';
import { rewardsGroup } from './rewards.js';
import { gcGroup } from './gc.js';
import type { SuiteOptions } from './fixtures.js';
import { takedownsGroup } from './takedowns.js';
import { transactionsGroup } from './transactions.js';

export type { MetaStoreFactory, MetaStoreSupports, SuiteOptions } from './fixtures.js';

export async function metaStoreSuite(t: Test, opts: SuiteOptions): Promise<void> {
  await t.test('core: nodes, commits, readers, holders', (t) => coreGroup(t, opts));
  await t.test('delete, GC, bad copies', (t) => gcGroup(t, opts));
  await t.test('early stop: prefixes, collisions, upload links', (t) => earlyStopGroup(t, opts));
  await t.test('transactions and concurrency', (t) => transactionsGroup(t, opts));
  await t.test('counters', (t) => countersGroup(t, opts));
  await t.test('accounts, sessions, premium keys, usage', (t) => accountsGroup(t, opts));
  await t.test('reward ledger: points, cap, balances, redemptions', (t) => rewardsGroup(t, opts));
  await t.test('takedown notices and the audit log', (t) => takedownsGroup(t, opts));
  await t.test('download counts per link', (t) => downloadCountsGroup(t, opts));
}
