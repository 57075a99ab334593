// Per-download work whose answer depends only on its input, remembered: the
// HMAC check of a signed URL and the Content-Disposition header. A client
// fetching many ranges of one blob sends the same signed URL each time.
//
// Only successful checks are remembered, with every signed field and the
// signature; the expiry is still compared with the clock on every call.
import { LRUCache } from 'lru-cache';
import { verifyClaims, type UrlClaims } from '../../common/sign.js';
import { claimsText } from '../../common/protocol/download-policy.js';
import { attachmentHeader } from './filename.js';

/** A URL that passed its check: every signed field, compared on a hit. */
interface Checked {
  secret: string;
  verb: string;
  resource: string;
  exp: number;
  extra: string;
  link: string;
  policy: string;
}

// Keyed by the signature alone (short, so the lookup hashes little); a hit
// counts only when every other field matches too.
const checkedUrls = new LRUCache<string, Checked>({ max: 4096 });
const dispositions = new LRUCache<string, string>({ max: 1024 });

/** verifyClaims (throws TOKEN_INVALID or TOKEN_EXPIRED), without the HMAC for a URL that passed before. */
export function verifyClaimsRemembered(secret: string, c: UrlClaims, sig: string | null, nowMs = Date.now()): void {
  if (sig === null || !Number.isSafeInteger(c.exp)) {
    verifyClaims(secret, c, sig, nowMs);
    return;
  }
  const extra = c.extra ?? '';
  const link = c.link ?? '';
  const policy = c.policy ? claimsText(c.policy) : '';
  const seen = checkedUrls.get(sig);
  if (seen && seen.exp === c.exp && seen.resource === c.resource && seen.extra === extra && seen.link === link && seen.policy === policy && seen.verb === c.verb && seen.secret === secret && c.exp * 1000 >= nowMs) return;
  verifyClaims(secret, c, sig, nowMs);
  checkedUrls.set(sig, { secret, verb: c.verb, resource: c.resource, exp: c.exp, extra, link, policy });
}

/** attachmentHeader(name, fallback), remembered per pair. */
export function attachmentHeaderRemembered(name: string, fallback: string): string {
  const key = fieldsKey(name, fallback);
  let v = dispositions.get(key);
  if (v === undefined) {
    v = attachmentHeader(name, fallback);
    dispositions.set(key, v);
  }
  return v;
}

/**
 * One key for several strings that keeps them apart whatever they hold (name
 * and sig come from the query): each is prefixed with its length. Cheaper
 * than JSON.stringify, which showed in ranged-read profiles.
 */
function fieldsKey(...fields: string[]): string {
  let key = '';
  for (const f of fields) key += f.length + ':' + f;
  return key;
}

/** Entries held (for tests). */
export function memoSizes(): { urls: number; dispositions: number } {
  return { urls: checkedUrls.size, dispositions: dispositions.size };
}
