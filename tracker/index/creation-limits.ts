// How many resumable uploads one client may create, and hold open at once.
// Each creation makes a node keep state and promise disk space for up to a
// day, so a client creating thousands in seconds could fill every node's
// promises and memory. Per client (its address): a token bucket on
// creations and a cap on uploads created and not yet finished; past either,
// 429 with the seconds to wait. The state is bounded: the least recently
// seen clients are forgotten past `maxClients`, and an open upload is
// forgotten when it finishes or its first expiry passes. An IPv6 client is
// its /64: one host is handed a whole /64 and can pick any address in it.
import { isIPv6 } from 'node:net';
import { LRUCache } from 'lru-cache';
import { HoardError } from '../../common/protocol/errors.js';

/** How long a creation in progress counts before the node's answer. */
const PENDING_MS = 60_000;

export interface CreationLimitsConfig {
  /** Creations per minute a client earns (0 = no rate limit). */
  perMinute: number;
  /** Creations a client may make at once after a quiet spell. */
  burst: number;
  /** Uploads created and not finished a client may hold (0 = no cap). */
  maxOpen: number;
  /** Clients remembered at once. */
  maxClients: number;
}

interface ClientState {
  tokens: number;
  at: number;
  /** Open uploads: id → when the tracker stops counting it (its Upload-Expires at creation). */
  open: Map<string, number>;
}

/** A refusal with the seconds after which the client may try again (the Retry-After header). */
export class CreationRefused extends HoardError {
  constructor(
    message: string,
    readonly retryAfterS: number,
  ) {
    super('TOO_MANY_UPLOADS', message);
  }
}

/**
 * The key a client's limits are kept under: an IPv4 address as is (an
 * IPv4-mapped IPv6 one as its IPv4), an IPv6 address as its /64 prefix.
 */
export function clientGroup(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1]!;
  if (!isIPv6(ip)) return ip;
  const [head = '', tail = ''] = ip.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = ip.includes('::') ? (tail === '' ? [] : tail.split(':')) : [];
  // An embedded IPv4 tail (…:1.2.3.4) takes two groups; it is past the /64 anyway.
  const width = (parts: string[]) => parts.reduce((n, p) => n + (p.includes('.') ? 2 : 1), 0);
  const groups = ip.includes('::') ? [...left, ...Array<string>(8 - width(left) - width(right)).fill('0'), ...right] : left;
  return `${groups.slice(0, 4).map((g) => parseInt(g, 16).toString(16)).join(':')}::/64`;
}

export class CreationLimits {
  private readonly clients: LRUCache<string, ClientState>;
  /** Open upload id → its client, to forget it when it finishes. */
  private readonly owner = new Map<string, string>();

  constructor(
    private readonly cfg: CreationLimitsConfig,
    private readonly now: () => number,
  ) {
    this.clients = new LRUCache<string, ClientState>({
      max: cfg.maxClients,
      dispose: (state) => {
        for (const id of state.open.keys()) this.owner.delete(id);
      },
    });
  }

  /**
   * Throws CreationRefused when `client` may not create an upload now; else
   * takes one creation from its allowance and counts `uploadId` as open at
   * once (concurrent creations cannot all slip under the cap) until opened,
   * finished or a minute passes.
   */
  admit(ip: string, uploadId: string): void {
    const client = clientGroup(ip);
    const now = this.now();
    const s = this.clients.get(client) ?? { tokens: this.cfg.burst, at: now, open: new Map<string, number>() };
    this.clients.set(client, s);
    this.forgetExpired(s, now);
    if (this.cfg.maxOpen > 0 && s.open.size >= this.cfg.maxOpen) {
      const soonest = Math.min(...s.open.values());
      throw new CreationRefused(`This client has ${s.open.size} unfinished uploads (the limit): finish or wait for some`, Math.max(1, Math.ceil((soonest - now) / 1000)));
    }
    if (this.cfg.perMinute > 0) {
      const perMs = this.cfg.perMinute / 60_000;
      s.tokens = Math.min(this.cfg.burst, s.tokens + (now - s.at) * perMs);
      s.at = now;
      if (s.tokens < 1) {
        throw new CreationRefused('Too many uploads created by this client: slow down', Math.max(1, Math.ceil((1 - s.tokens) / perMs / 1000)));
      }
      s.tokens -= 1;
    }
    s.open.set(uploadId, now + PENDING_MS);
    this.owner.set(uploadId, client);
  }

  /** The upload was created: counted as open until it finishes or `expiresMs` passes. */
  opened(ip: string, uploadId: string, expiresMs: number): void {
    const client = clientGroup(ip);
    const s = this.clients.get(client);
    if (!s) return;
    s.open.set(uploadId, expiresMs);
    this.owner.set(uploadId, client);
  }

  /** The upload finished (committed), or its creation failed: no longer counted. */
  finished(uploadId: string): void {
    const client = this.owner.get(uploadId);
    if (client === undefined) return;
    this.owner.delete(uploadId);
    this.clients.peek(client)?.open.delete(uploadId);
  }

  /**
   * The uploads counted open for `client` when it is at its cap, else none:
   * with several trackers, one created through this tracker may have been
   * committed through another, which cannot tell this one (the caller asks
   * the store and calls finished() for those).
   */
  openAtCap(ip: string): string[] {
    const client = clientGroup(ip);
    const s = this.clients.peek(client);
    if (!s || this.cfg.maxOpen === 0) return [];
    this.forgetExpired(s, this.now());
    return s.open.size >= this.cfg.maxOpen ? [...s.open.keys()] : [];
  }

  /** Open uploads counted for `client`. */
  openOf(ip: string): number {
    const client = clientGroup(ip);
    const s = this.clients.peek(client);
    if (!s) return 0;
    this.forgetExpired(s, this.now());
    return s.open.size;
  }

  private forgetExpired(s: ClientState, now: number): void {
    for (const [id, until] of s.open) {
      if (until > now) continue;
      s.open.delete(id);
      this.owner.delete(id);
    }
  }
}
