// Accounts as the tracker's routes use them: registration, sign-in (guarded
// against guessing), sessions and API tokens that resolve to an account and
// its tier, revocation, premium keys. Records live in the metadata store
// (store.accounts); only hashes of passwords and secrets are kept.
import { randomBytes } from 'node:crypto';
import { HoardError } from '../../common/protocol/errors.js';
import { StoreError, type CredentialRecord, type MetaStore, type PremiumKeyRecord, type UserRecord } from '../meta/store.js';
import type { LoginGuard } from './login-guard.js';
import { DUMMY_HASH, hashPassword, verifyPassword } from './password.js';
import { mintSecret, parseSecret, secretMatches } from './secrets.js';

const NAME_RE = /^[a-z0-9][a-z0-9_-]{1,31}$/;
const PASSWORD_MIN = 8;
const PASSWORD_MAX = 256;
const TOKEN_NAME_MAX = 64;
/** Premium keys read as keys to people: `hpk_<id>.<secret>`. */
export const PREMIUM_KEY_PREFIX = 'hpk_';
/** API tokens likewise, so that a leaked one is recognisable in logs and secret scanners. */
export const TOKEN_PREFIX = 'hoard_';

export interface AccountsOptions {
  store: MetaStore;
  guard: LoginGuard;
  /** Seconds a browser session lasts. */
  sessionTtl: number;
  /** Seconds an API token lasts unless its owner asks for less. */
  tokenTtl: number;
  now: () => number;
}

/** A credential as resolved for a request: the account, its record and how it signed in. */
export interface Authenticated {
  user: UserRecord;
  credential: CredentialRecord;
}

export interface Minted {
  credential: CredentialRecord;
  /** What the client holds (cookie value or bearer token); shown once, never stored. */
  value: string;
}

export function checkAccountFields(name: unknown, password: unknown): { name: string; password: string } {
  if (typeof name !== 'string' || !NAME_RE.test(name)) throw new HoardError('ACCOUNT_INVALID', 'Account name must be 2-32 of a-z 0-9 _ - starting with a letter or digit');
  if (typeof password !== 'string' || password.length < PASSWORD_MIN || password.length > PASSWORD_MAX) {
    throw new HoardError('ACCOUNT_INVALID', `Password must be ${PASSWORD_MIN}-${PASSWORD_MAX} characters`);
  }
  return { name, password };
}

export class Accounts {
  constructor(private readonly opts: AccountsOptions) {}

  private iso(offsetS = 0): string {
    return new Date(this.opts.now() + offsetS * 1000).toISOString();
  }

  /** A new account (free unless an admin says otherwise). NAME_TAKEN when the name exists. */
  async create(name: unknown, password: unknown, tier: UserRecord['tier'] = 'free'): Promise<UserRecord> {
    const f = checkAccountFields(name, password);
    const user: UserRecord = { id: randomBytes(12).toString('base64url'), name: f.name, passwordHash: await hashPassword(f.password), tier, created: this.iso() };
    try {
      await this.opts.store.accounts.createUser(user);
    } catch (err) {
      if (err instanceof StoreError && err.code === 'CONFLICT') throw new HoardError('NAME_TAKEN');
      throw err;
    }
    return user;
  }

  /**
   * Checks a name and password from `address` and mints a session or, with
   * `tokenName`, an API token. LOGIN_THROTTLED (with the wait) past the
   * guard's limits, LOGIN_FAILED on a wrong pair, ACCOUNT_DISABLED.
   */
  async login(name: unknown, password: unknown, address: string, tokenName?: string): Promise<Minted & { user: UserRecord }> {
    if (typeof name !== 'string' || typeof password !== 'string' || name.length > 64 || password.length > PASSWORD_MAX) throw new HoardError('LOGIN_FAILED');
    const wait = this.opts.guard.waitMs(address, name);
    if (wait > 0) throw new ThrottledError(wait);
    const user = await this.opts.store.accounts.userByName(name);
    // An unknown name costs the same scrypt as a known one.
    const ok = await verifyPassword(password, user?.passwordHash ?? DUMMY_HASH);
    if (!user || !ok) {
      this.opts.guard.failed(address, name);
      throw new HoardError('LOGIN_FAILED');
    }
    this.opts.guard.succeeded(name);
    if (user.disabled) throw new HoardError('ACCOUNT_DISABLED');
    const minted = tokenName === undefined ? await this.mint(user.id, 'session', this.opts.sessionTtl) : await this.createToken(user.id, tokenName);
    return { ...minted, user };
  }

  private async mint(userId: string, kind: CredentialRecord['kind'], ttlS: number, name?: string): Promise<Minted> {
    const s = mintSecret(kind === 'token' ? TOKEN_PREFIX : '');
    const credential: CredentialRecord = { id: s.id, userId, kind, secretHash: s.secretHash, created: this.iso(), expires: this.iso(ttlS) };
    if (name !== undefined) credential.name = name;
    await this.opts.store.accounts.putCredential(credential);
    return { credential, value: s.value };
  }

  /** An API token for the account, for `ttlS` seconds (at most the configured token lifetime). */
  createToken(userId: string, name: unknown, ttlS?: number): Promise<Minted> {
    if (typeof name !== 'string' || name.length === 0 || name.length > TOKEN_NAME_MAX) throw new HoardError('BAD_REQUEST', `A token needs a name of 1-${TOKEN_NAME_MAX} characters`);
    if (ttlS !== undefined && (!Number.isSafeInteger(ttlS) || ttlS < 1)) throw new HoardError('BAD_REQUEST', 'A token lifetime is a whole number of seconds');
    return this.mint(userId, 'token', Math.min(ttlS ?? this.opts.tokenTtl, this.opts.tokenTtl), name);
  }

  /**
   * The account behind a session cookie or bearer token, when it is one of
   * that kind, known, unexpired, and its account exists and is not disabled.
   */
  async authenticate(value: string, kind: CredentialRecord['kind']): Promise<Authenticated | undefined> {
    const p = parseSecret(value, kind === 'token' ? TOKEN_PREFIX : '');
    if (!p) return undefined;
    const credential = await this.opts.store.accounts.credential(p.id);
    if (!credential || credential.kind !== kind || !secretMatches(p.secret, credential.secretHash)) return undefined;
    if (Date.parse(credential.expires) <= this.opts.now()) {
      await this.opts.store.accounts.deleteCredential(credential.id);
      return undefined;
    }
    const user = await this.opts.store.accounts.user(credential.userId);
    if (!user || user.disabled) return undefined;
    return { user, credential };
  }

  /** Ends a session or revokes a token (its id). */
  async revoke(credentialId: string): Promise<boolean> {
    return this.opts.store.accounts.deleteCredential(credentialId);
  }

  /** The account's API tokens (not its sessions), newest last. */
  async tokens(userId: string): Promise<CredentialRecord[]> {
    return (await this.opts.store.accounts.credentialsOf(userId)).filter((c) => c.kind === 'token').sort((a, b) => a.created.localeCompare(b.created));
  }

  /** Revokes one of the account's tokens; TOKEN_NOT_FOUND when it is not one of them. */
  async revokeToken(userId: string, tokenId: string): Promise<void> {
    const c = await this.opts.store.accounts.credential(tokenId);
    if (!c || c.userId !== userId || c.kind !== 'token') throw new HoardError('TOKEN_NOT_FOUND');
    await this.opts.store.accounts.deleteCredential(tokenId);
  }

  /** Premium keys worth `days` each, as their holders type them (only their hashes are kept). */
  async createKeys(count: number, days: number): Promise<string[]> {
    const out: string[] = [];
    for (let i = 0; i < count; i++) {
      const s = mintSecret(PREMIUM_KEY_PREFIX);
      const key: PremiumKeyRecord = { id: s.id, secretHash: s.secretHash, days, created: this.iso() };
      await this.opts.store.accounts.createKey(key);
      out.push(s.value);
    }
    return out;
  }

  /** Redeems a key for the account: its premium is extended by the key's days. */
  async redeem(userId: string, value: unknown): Promise<UserRecord> {
    const p = typeof value === 'string' ? parseSecret(value.trim(), PREMIUM_KEY_PREFIX) : undefined;
    if (!p) throw new HoardError('PREMIUM_KEY_INVALID');
    const key = await this.opts.store.accounts.key(p.id);
    if (!key || !secretMatches(p.secret, key.secretHash)) throw new HoardError('PREMIUM_KEY_INVALID');
    if (key.redeemedBy !== undefined) throw new HoardError('PREMIUM_KEY_USED');
    try {
      return (await this.opts.store.accounts.redeemKey(key.id, userId, this.iso())).user;
    } catch (err) {
      if (err instanceof StoreError && err.code === 'CONFLICT') throw new HoardError('PREMIUM_KEY_USED');
      if (err instanceof StoreError && err.code === 'NOT_FOUND') throw new HoardError('USER_NOT_FOUND');
      throw err;
    }
  }
}

/** LOGIN_THROTTLED with the wait, for the route's Retry-After. */
export class ThrottledError extends HoardError {
  constructor(readonly waitMs: number) {
    super('LOGIN_THROTTLED');
  }
}
