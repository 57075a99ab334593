// A LINK argument is either a full share URL (<tracker>/f/<id>) or a bare id.
import { basename } from 'node:path';
import { CliError } from '../common/cli.js';
import { LINK_ID_RE } from '../common/protocol/ids.js';
import { TRACKER } from '../common/protocol/routes.js';

export interface LinkRef {
  tracker: string;
  id: string;
}

export function parseLink(link: string, defaultTracker: string): LinkRef {
  if (LINK_ID_RE.test(link)) return { tracker: defaultTracker, id: link };
  let u: URL;
  try {
    u = new URL(link);
  } catch {
    throw new CliError('BAD_LINK', `${JSON.stringify(link)} is neither a link URL nor a link id`);
  }
  // The tracker may live under a path prefix: everything before the last /f/ is its base.
  const at = u.pathname.lastIndexOf(TRACKER.link);
  const id = at >= 0 ? decodeOr(u.pathname.slice(at + TRACKER.link.length), '') : '';
  if ((u.protocol !== 'http:' && u.protocol !== 'https:') || !LINK_ID_RE.test(id)) {
    throw new CliError('BAD_LINK', `${JSON.stringify(link)} is not a hoard link (expected http://HOST/f/ID)`);
  }
  return { tracker: u.origin + u.pathname.slice(0, at), id };
}

/** A name safe to create in the current directory, from an uploader-chosen file name. */
export function safeFileName(name: string, fallback: string): string {
  const cleaned = basename(name.replace(/\\/g, '/')).replace(/[\u0000-\u001f\u007f]/g, '').trim();
  return cleaned === '' || cleaned === '.' || cleaned === '..' ? fallback : cleaned;
}

function decodeOr(s: string, fallback: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return fallback;
  }
}
