// MetaStore on embedded LevelDB (key layout in keys.ts). Transactions take an
// in-process lock per key; what they write waits for the next group: every
// transaction finished while the previous batch was being written goes into
// one batch with the counters (group commit), synced when any of them asks.
import { Level } from 'level';
import { KeyedLock } from '../../../common/keyed-lock.js';
import { addCounters, counterDelta } from '../counters.js';
import {
  zeroCounters,
  type BadCopyRecord,
  type BlobRecord,
  type ChunkInfo,
  type CredentialRecord,
  type LinkRecord,
  type NodeRecord,
  type PrefixHash,
  type PremiumKeyRecord,
  type StoreCounters,
  type UserRecord,
} from '../records.js';
import { decideRedeem } from '../rules.js';
import type { UsageChange } from '../tx-records.js';
import {
  SCHEMA_VERSION,
  StoreError,
  type AccountTable,
  type AuditLog,
  type BadCopyReader,
  type BlobReader,
  type DownloadCountTable,
  type LeaseBook,
  type LinkReader,
  type MetaStore,
  type MetaTx,
  type NodeTable,
  type Page,
  type RewardTable,
  type TakedownTable,
  type TransactOptions,
  type UploadReader,
} from '../store.js';
import { COUNTERS_KEY, END, SCHEMA_KEY, isKeyPart, keys, part, ranges } from './keys.js';
import { ReadBatcher } from './read-batcher.js';
import { levelDownloadCounts } from './download-counts.js';
import { levelRewards } from './rewards.js';
import { levelAudit, levelTakedowns } from './takedowns.js';
import { levelOutcome, levelTx, type LevelReads, type Op } from './transaction.js';

/** The lock account writes take turns on (no MD5 or blob id contains a NUL). */
const ACCOUNTS_LOCK = '\0accounts';

interface Pending {
  ops: Op[];
  created: string[];
  usage: UsageChange[];
  delta: StoreCounters;
  sync: boolean;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class LevelMetaStore implements MetaStore {
  private readonly db: Level<string, unknown>;
  private counts: StoreCounters = zeroCounters();
  private readonly locks = new KeyedLock();
  /** The batch being written (one at a time). */
  private writing: Promise<void> = Promise.resolve();
  /** Transactions waiting for the next batch. */
  private pending: Pending[] = [];

  readonly nodes: NodeTable;
  readonly blobs: BlobReader;
  readonly links: LinkReader;
  readonly uploads: UploadReader;
  readonly badCopies: BadCopyReader;
  /** LevelDB is opened by one process at a time: it holds every lease. */
  readonly leases = soleLeases();
  readonly accounts: AccountTable;
  readonly rewards: RewardTable;
  readonly takedowns: TakedownTable;
  readonly audit: AuditLog;
  readonly downloadCounts: DownloadCountTable;
  private readonly reads: LevelReads;

  constructor(readonly location: string) {
    this.db = new Level<string, unknown>(location, { valueEncoding: 'json' });
    const get = <T>(key: string) => this.db.get(key) as Promise<T | undefined>;
    const byId = <T>(key: (id: string) => string) => (id: string) => (isKeyPart(id) ? get<T>(key(id)) : Promise.resolve(undefined));
    const values = async <T>(prefix: string, page: Page) => (await this.scan<T>(prefix, page)).map(([, v]) => v);
    const blobsOf = async (ids: string[]) => (ids.length ? await this.db.getMany(ids.map(keys.blob)) : []).filter((b): b is BlobRecord => b !== undefined);
    // A transaction's reads made together (Promise.all) go to the database as one getMany.
    const batched = new ReadBatcher(this.db);
    const md5Ids = (md5: string) => (isKeyPart(md5) ? this.scanKeys(ranges.md5(md5), { limit: -1 }) : Promise.resolve([]));
    const badCopiesOf = async (blobId: string) => (isKeyPart(blobId) ? values<BadCopyRecord>(ranges.badCopiesOf(blobId), { limit: -1 }) : []);
    this.reads = { get: (key) => batched.get(key), md5Ids, badCopiesOf };
    this.nodes = {
      put: (node) => this.db.put(keys.node(part(node.id)), node),
      get: byId<NodeRecord>(keys.node),
      list: () => values<NodeRecord>(ranges.nodes, { limit: -1 }),
    };
    this.blobs = {
      get: byId<BlobRecord>(keys.blob),
      chunks: byId<ChunkInfo[]>(keys.chunks),
      prefixes: byId<PrefixHash[]>(keys.prefixes),
      byMd5: async (md5) => blobsOf(await md5Ids(md5)),
      list: (page) => values<BlobRecord>(ranges.blobs, page),
      unreferenced: async (page) => blobsOf(await this.scanKeys(ranges.unreferenced, page)),
      md5Collided: async (md5) => isKeyPart(md5) && (await get(keys.collision(md5))) !== undefined,
      collisions: async (page) => (await this.scan<{ since: string }>(ranges.collisions, page)).map(([md5, v]) => ({ md5, since: v.since })),
    };
    this.links = {
      get: byId<LinkRecord>(keys.link),
      list: (page) => values<LinkRecord>(ranges.links, page),
      ofBlob: async (blobId, page) => (isKeyPart(blobId) ? this.scanKeys(ranges.linksOfBlob(blobId), page) : []),
      ofUploader: async (userId, page) => {
        if (!isKeyPart(userId)) return [];
        const ids = await this.scanKeys(ranges.linksOfUploader(userId), page);
        const found = await Promise.all(ids.map((id) => get<LinkRecord>(keys.link(id))));
        return found.filter((l): l is LinkRecord => l !== undefined);
      },
    };
    this.uploads = {
      linkOf: byId<string>(keys.upload),
      list: async (page) => (await this.scan<string>(ranges.uploads, page)).map(([uploadId, linkId]) => ({ uploadId, linkId })),
    };
    this.badCopies = { list: (page) => values<BadCopyRecord>(ranges.badCopies, page), of: badCopiesOf };
    this.accounts = this.accountTable(get, byId, values);
    this.rewards = levelRewards({
      get,
      values,
      locked: (key, fn) => this.locks.run(key, fn),
      accountsLock: ACCOUNTS_LOCK,
      write: (ops) => this.inOrder(() => this.db.batch<string, unknown>(ops, { sync: true })),
    });
    this.takedowns = levelTakedowns(this.db, this.locks);
    this.audit = levelAudit(this.db, this.locks);
    this.downloadCounts = levelDownloadCounts(this.db, <T>(fn: () => Promise<T>) => this.inOrder(fn));
  }

  private accountTable(
    get: <T>(key: string) => Promise<T | undefined>,
    byId: <T>(key: (id: string) => string) => (id: string) => Promise<T | undefined>,
    values: <T>(prefix: string, page: Page) => Promise<T[]>,
  ): AccountTable {
    const user = byId<UserRecord>(keys.user);
    const credential = byId<CredentialRecord>(keys.credential);
    const premiumKey = byId<PremiumKeyRecord>(keys.premiumKey);
    // Account writes take turns, and go in the order of the blob batches, which move usage counters.
    const locked = <T>(fn: () => Promise<T>) => this.locks.run(ACCOUNTS_LOCK, fn);
    const write = (ops: Op[]) => this.inOrder(() => this.db.batch<string, unknown>(ops, { sync: true }));
    return {
      createUser: (u) =>
        locked(async () => {
          part(u.id);
          part(u.name);
          if ((await get(keys.user(u.id))) !== undefined) throw new StoreError('CONFLICT', `account ${u.id} exists`);
          if ((await get(keys.userName(u.name))) !== undefined) throw new StoreError('CONFLICT', `the name ${u.name} is taken`);
          await write([
            { type: 'put', key: keys.user(u.id), value: u },
            { type: 'put', key: keys.userName(u.name), value: u.id },
          ]);
        }),
      user,
      userByName: async (name) => {
        const id = isKeyPart(name) ? await get<string>(keys.userName(name)) : undefined;
        return id === undefined ? undefined : user(id);
      },
      users: (page) => values<UserRecord>(ranges.users, page),
      updateUser: (id, fn) =>
        locked(async () => {
          const u = await user(id);
          if (!u) return undefined;
          const after = fn(u);
          if (after.id !== u.id || after.name !== u.name) throw new TypeError('an update may not change an account\'s id or name');
          await write([{ type: 'put', key: keys.user(id), value: after }]);
          return after;
        }),
      deleteUser: (id) =>
        locked(async () => {
          const u = await user(id);
          if (!u) return false;
          const creds = await this.scanKeys(ranges.credentialsOf(id), { limit: -1 });
          await write([
            { type: 'del', key: keys.user(id) },
            { type: 'del', key: keys.userName(u.name) },
            { type: 'del', key: keys.usage(id) },
            ...creds.flatMap((c): Op[] => [
              { type: 'del', key: keys.credential(c) },
              { type: 'del', key: keys.credentialOf(id, c) },
            ]),
          ]);
          return true;
        }),
      usage: async (id) => (isKeyPart(id) ? ((await get<number>(keys.usage(id))) ?? 0) : 0),
      putCredential: (c) =>
        locked(() =>
          write([
            { type: 'put', key: keys.credential(part(c.id)), value: c },
            { type: 'put', key: keys.credentialOf(part(c.userId), c.id), value: 1 },
          ]),
        ),
      credential,
      credentialsOf: async (userId) => {
        if (!isKeyPart(userId)) return [];
        const ids = await this.scanKeys(ranges.credentialsOf(userId), { limit: -1 });
        const found = ids.length ? await this.db.getMany(ids.map(keys.credential)) : [];
        return found.filter((c): c is CredentialRecord => c !== undefined);
      },
      deleteCredential: (id) =>
        locked(async () => {
          const c = await credential(id);
          if (!c) return false;
          await write([
            { type: 'del', key: keys.credential(id) },
            { type: 'del', key: keys.credentialOf(c.userId, id) },
          ]);
          return true;
        }),
      createKey: (k) =>
        locked(async () => {
          if ((await get(keys.premiumKey(part(k.id)))) !== undefined) throw new StoreError('CONFLICT', `key ${k.id} exists`);
          await write([{ type: 'put', key: keys.premiumKey(k.id), value: k }]);
        }),
      key: premiumKey,
      keys: (page) => values<PremiumKeyRecord>(ranges.premiumKeys, page),
      redeemKey: (keyId, userId, now) =>
        locked(async () => {
          const [k, u] = await Promise.all([premiumKey(keyId), user(userId)]);
          if (!k) throw new StoreError('NOT_FOUND', `no key ${keyId}`);
          if (!u) throw new StoreError('NOT_FOUND', `no account ${userId}`);
          const r = decideRedeem(u, k, now);
          await write([
            { type: 'put', key: keys.premiumKey(keyId), value: r.key },
            { type: 'put', key: keys.user(userId), value: r.user },
          ]);
          return r;
        }),
    };
  }

  /** Runs `fn` after the batch being written, before the next (account writes and usage counters stay in one order). */
  private inOrder<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.writing.then(fn, fn);
    this.writing = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  async open(): Promise<void> {
    await this.db.open();
    try {
      await this.checkSchema();
      this.counts = { ...zeroCounters(), ...((await this.db.get(COUNTERS_KEY)) as StoreCounters | undefined) };
    } catch (err) {
      await this.db.close();
      throw err;
    }
  }

  private async checkSchema(): Promise<void> {
    const version = await this.db.get(SCHEMA_KEY);
    if (version === undefined) {
      for await (const key of this.db.keys({ limit: 1 })) {
        throw new StoreError('SCHEMA_VERSION', `store at ${this.location} has data (${key}) but no schema version`);
      }
      await this.db.batch([
        { type: 'put', key: SCHEMA_KEY, value: SCHEMA_VERSION },
        { type: 'put', key: COUNTERS_KEY, value: zeroCounters() },
      ]);
      return;
    }
    if (version !== SCHEMA_VERSION) {
      throw new StoreError('SCHEMA_VERSION', `store at ${this.location} has schema version ${JSON.stringify(version)}; this tracker reads ${SCHEMA_VERSION}`);
    }
  }

  async close(): Promise<void> {
    await this.writing.catch(() => undefined);
    if (this.db.status === 'open') await this.db.close();
  }

  async counters(): Promise<StoreCounters> {
    return { ...this.counts };
  }

  private async scan<T>(prefix: string, page: Page): Promise<Array<[string, T]>> {
    const gt = page.after === undefined ? prefix : prefix + page.after;
    const out: Array<[string, T]> = [];
    // next() asks LevelDB for one entry first: most scans (an MD5's blobs) find one or none.
    for await (const [key, value] of this.db.iterator({ gt, lt: prefix + END, limit: page.limit })) {
      out.push([key.slice(prefix.length), value as T]);
    }
    return out;
  }

  /** The ids after `prefix` in a key range whose values are not needed. */
  private async scanKeys(prefix: string, page: Page): Promise<string[]> {
    return (await this.scan<unknown>(prefix, page)).map(([id]) => id);
  }

  transact<T>(lockKey: string, fn: (tx: MetaTx) => Promise<T>, opts: TransactOptions = {}): Promise<T> {
    return this.locks.run(lockKey, async () => {
      const tx = levelTx(this.reads);
      const value = await fn(tx);
      const { ops, created, usage, counted } = levelOutcome(tx.outcome());
      // The lock is held until the batch is written: the next transaction of this key reads what this one wrote.
      if (ops.length > 0 || usage.length > 0) await this.enqueue({ ops, created, usage, delta: counterDelta(counted), sync: opts.sync === true });
      return value;
    });
  }

  private enqueue(p: Omit<Pending, 'resolve' | 'reject'>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ ops: p.ops, created: p.created, usage: p.usage, delta: p.delta, sync: p.sync, resolve, reject });
      // A group is queued once, when its first transaction arrives; later arrivals join it until it runs.
      if (this.pending.length === 1) {
        const run = () => this.writeGroup();
        this.writing = this.writing.then(run, run);
      }
    });
  }

  /**
   * Writes every transaction waiting now in one batch. One whose created
   * records exist by now (written by a transaction of another key), or
   * whose usage counter would pass its limit, is refused alone. Usage
   * counters are read here, so the check and the addition are one step.
   */
  private async writeGroup(): Promise<void> {
    const group = this.pending;
    this.pending = [];
    const fresh = [...new Set(group.flatMap((p) => p.created))];
    const taken = new Set<string>();
    const users = [...new Set(group.flatMap((p) => p.usage.map((u) => u.userId)))];
    /** Usage of each account named, undefined for an account that is gone (its counter is not revived). */
    const usage = new Map<string, number | undefined>();
    try {
      const found = fresh.length > 0 ? await this.db.getMany(fresh) : [];
      fresh.forEach((k, i) => found[i] !== undefined && taken.add(k));
      if (users.length > 0) {
        const got = await this.db.getMany([...users.map(keys.user), ...users.map(keys.usage)]);
        users.forEach((id, i) => usage.set(id, got[i] === undefined ? undefined : ((got[users.length + i] as number | undefined) ?? 0)));
      }
    } catch (err) {
      for (const p of group) p.reject(err);
      return;
    }
    const ops: Op[] = [];
    const ok: Pending[] = [];
    let counts = this.counts;
    for (const p of group) {
      const clash = p.created.find((k) => taken.has(k));
      if (clash !== undefined) {
        p.reject(new StoreError('CONFLICT', `${clash} exists`));
        continue;
      }
      const over = p.usage.find((u) => {
        const cur = usage.get(u.userId);
        return cur !== undefined && u.limit !== undefined && u.delta > 0 && cur + u.delta > u.limit;
      });
      if (over !== undefined) {
        p.reject(new StoreError('QUOTA', `account ${over.userId} would store more than ${over.limit} bytes`));
        continue;
      }
      for (const u of p.usage) {
        const cur = usage.get(u.userId);
        if (cur === undefined) continue;
        const next = Math.max(0, cur + u.delta);
        usage.set(u.userId, next);
        ops.push({ type: 'put', key: keys.usage(u.userId), value: next });
      }
      for (const k of p.created) taken.add(k);
      ops.push(...p.ops);
      counts = addCounters(counts, p.delta);
      ok.push(p);
    }
    if (ok.length === 0) return;
    ops.push({ type: 'put', key: COUNTERS_KEY, value: counts });
    try {
      await this.db.batch<string, unknown>(ops, { sync: ok.some((p) => p.sync) });
    } catch (err) {
      for (const p of ok) p.reject(err);
      return;
    }
    this.counts = counts;
    for (const p of ok) p.resolve();
  }
}

/** The leases of a store one process opens: every one is this process's. */
function soleLeases(): LeaseBook {
  let self: string | undefined;
  const taken = new Set<string>();
  return {
    async hold(name, holder) {
      self = holder;
      taken.add(name);
      return true;
    },
    async holders(names) {
      return new Map(self === undefined ? [] : names.filter((n) => taken.has(n)).map((n) => [n, self!]));
    },
  };
}
