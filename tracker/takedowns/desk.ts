// Issuing and lifting takedown notices (docs/takedowns.md). A notice is
// recorded with who, when, why and its reference, counts at once at this
// tracker (the book) and reaches nodes on their streams; the accounts whose
// links it covers get a strike, and one that reaches the repeat-infringer
// threshold is disabled. Every step is in the audit log.
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { HoardError } from '../../common/protocol/errors.js';
import { LINK_ID_RE, SHA256_RE } from '../../common/protocol/ids.js';
import type { StrikeInfo, TakedownInfo, TakedownRequest } from '../../common/protocol/takedowns.js';
import type { Accounts } from '../accounts/accounts.js';
import { appendAudit, TRACKER_ACTOR } from '../meta/audit.js';
import { isInForce } from '../meta/rules.js';
import { MAX_TAKEDOWN_UPLOADERS } from '../meta/records.js';
import type { LinkRecord, MetaStore, TakedownRecord } from '../meta/store.js';
import type { TakedownBook } from './book.js';
import { purgeAfter, reachesThreshold } from './rules.js';

export interface TakedownDeskDeps {
  store: MetaStore;
  book: TakedownBook;
  accounts: Pick<Accounts, 'revoke'>;
  /** Notices in force naming an account that disable it (0: never). */
  strikeThreshold: number;
  /** Seconds after a notice before its links are purged (unless kept). */
  holdS: number;
  log: Logger;
  now: () => number;
}

/** What a notice stops, resolved from the operator's target. */
interface Resolved {
  target: string;
  uploaders: string[];
}

export class TakedownDesk {
  constructor(private readonly deps: TakedownDeskDeps) {}

  info(n: TakedownRecord): TakedownInfo {
    const out: TakedownInfo = {
      id: n.id,
      scope: n.scope,
      target: n.target,
      reason: n.reason,
      by: n.by,
      created: n.created,
      keep: n.keep === true,
      uploaders: n.uploaders,
      inForce: isInForce(n),
    };
    if (n.ref !== undefined) out.ref = n.ref;
    if (n.disabledAccount) out.disabledAccount = true;
    if (n.purged !== undefined) out.purged = n.purged;
    const after = purgeAfter(n, this.deps.holdS);
    if (after !== undefined) out.purgeAfter = after;
    if (n.lifted !== undefined) out.lifted = n.lifted;
    if (n.liftedBy !== undefined) out.liftedBy = n.liftedBy;
    return out;
  }

  async get(id: string): Promise<TakedownRecord> {
    const n = await this.deps.store.takedowns.get(id);
    if (!n) throw new HoardError('TAKEDOWN_NOT_FOUND');
    return n;
  }

  async issue(req: TakedownRequest, actor: string): Promise<TakedownInfo> {
    const { store, book, now } = this.deps;
    const { target, uploaders } = await this.resolve(req);
    const n: TakedownRecord = {
      id: randomBytes(8).toString('hex'),
      scope: req.scope,
      target,
      reason: req.reason,
      by: actor,
      created: new Date(now()).toISOString(),
      uploaders,
    };
    if (req.ref !== undefined) n.ref = req.ref;
    if (req.keep) n.keep = true;
    if (req.disableAccount) n.disabledAccount = true;
    await store.takedowns.create(n);
    await book.put(n);
    await appendAudit(store, now(), { actor, action: `takedown.${req.scope}`, target, detail: `notice ${n.id}${n.ref ? ` (${n.ref})` : ''}: ${n.reason}` });
    this.deps.log.info({ notice: n.id, scope: n.scope, target, ref: n.ref, by: actor, uploaders: uploaders.length }, 'takedown issued');
    if (req.disableAccount) await this.disable(target, actor, `user takedown ${n.id}`);
    const strikes: StrikeInfo[] = [];
    for (const user of uploaders) strikes.push(await this.strike(user));
    return { ...this.info(n), strikes };
  }

  async lift(id: string, actor: string): Promise<TakedownInfo> {
    const { store, book, now } = this.deps;
    const before = await this.get(id);
    if (!isInForce(before)) throw new HoardError('TAKEDOWN_LIFTED');
    const at = new Date(now()).toISOString();
    const after = await store.takedowns.update(id, (n) => (isInForce(n) ? { ...n, lifted: at, liftedBy: actor } : n));
    if (!after) throw new HoardError('TAKEDOWN_NOT_FOUND');
    if (after.liftedBy !== actor || after.lifted !== at) throw new HoardError('TAKEDOWN_LIFTED');
    await book.put(after);
    await appendAudit(store, now(), { actor, action: 'takedown.lift', target: id, detail: `${after.scope} ${after.target}` });
    this.deps.log.info({ notice: id, scope: after.scope, target: after.target, by: actor }, 'takedown lifted');
    return this.info(after);
  }

  /** The notice's target as stored and the accounts whose links it covers. */
  private async resolve(req: TakedownRequest): Promise<Resolved> {
    const { store } = this.deps;
    const linkOf = async (id: string): Promise<LinkRecord | undefined> => (LINK_ID_RE.test(id) ? store.links.get(id) : undefined);
    if (req.scope === 'link') {
      const link = await linkOf(req.target);
      if (!link) throw new HoardError('LINK_NOT_FOUND');
      return { target: link.id, uploaders: link.uploader === undefined ? [] : [link.uploader] };
    }
    if (req.scope === 'content') {
      // A SHA-256 need not be stored: its upload is refused from now on all the same.
      const blobId = SHA256_RE.test(req.target) ? req.target : (await linkOf(req.target))?.blobId;
      if (blobId === undefined) throw new HoardError('LINK_NOT_FOUND', 'Give a link id of the content or its SHA-256 (lower-case hex)');
      const uploaders = new Set<string>();
      for await (const page of pagesOfIds(store, blobId)) {
        for (const l of await Promise.all(page.map((id) => store.links.get(id)))) if (l?.uploader !== undefined) uploaders.add(l.uploader);
        if (uploaders.size >= MAX_TAKEDOWN_UPLOADERS) break;
      }
      return { target: blobId, uploaders: [...uploaders].slice(0, MAX_TAKEDOWN_UPLOADERS) };
    }
    const user = (await store.accounts.userByName(req.target)) ?? (await this.uploaderOf(await linkOf(req.target)));
    if (!user) throw new HoardError('USER_NOT_FOUND', `No account named ${JSON.stringify(req.target)}, nor a link of one`);
    return { target: user.id, uploaders: [user.id] };
  }

  private async uploaderOf(link: LinkRecord | undefined) {
    if (!link) return undefined;
    if (link.uploader === undefined) throw new HoardError('BAD_REQUEST', `link ${link.id} was uploaded without an account`);
    return this.deps.store.accounts.user(link.uploader);
  }

  /** The account's strikes after a notice; at the threshold it is disabled. */
  private async strike(userId: string): Promise<StrikeInfo> {
    const { store, strikeThreshold } = this.deps;
    const [strikes, user] = await Promise.all([store.takedowns.strikes(userId), store.accounts.user(userId)]);
    const info: StrikeInfo = { user: userId, strikes };
    if (user) info.name = user.name;
    if (user && !user.disabled && reachesThreshold(strikes, strikeThreshold)) {
      await this.disable(userId, TRACKER_ACTOR, `repeat infringer: ${strikes} takedown notices in force (threshold ${strikeThreshold})`);
      info.disabledNow = true;
    }
    return info;
  }

  private async disable(userId: string, actor: string, why: string): Promise<void> {
    const { store, accounts, now, log } = this.deps;
    const after = await store.accounts.updateUser(userId, (u) => ({ ...u, disabled: true }));
    if (!after) return;
    for (const c of await store.accounts.credentialsOf(userId)) await accounts.revoke(c.id);
    await appendAudit(store, now(), { actor, action: 'user.disable', target: after.name, detail: why });
    log.warn({ user: userId, name: after.name, why }, 'account disabled');
  }
}

/** The link ids of a blob, a page at a time. */
async function* pagesOfIds(store: MetaStore, blobId: string): AsyncGenerator<string[]> {
  let after: string | undefined;
  for (;;) {
    const page = await store.links.ofBlob(blobId, after === undefined ? { limit: 1000 } : { limit: 1000, after });
    if (page.length === 0) return;
    yield page;
    if (page.length < 1000) return;
    after = page[page.length - 1];
  }
}

