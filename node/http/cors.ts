// Cross-origin access to the node's public routes (uploads, tus, downloads),
// so a web page of another origin can upload and read: the headers a page
// may read and send. Which origins is the node's --cors-origins setting.
import type { CorsPolicy } from '../../common/router.js';
import { TUS_EXPOSE, TUS_REQUEST_HEADERS } from '../../common/protocol/tus.js';

/** Response headers beyond the CORS-safelisted ones a page reads: tus and Hoard-* (TUS_EXPOSE), and a download's. */
const EXPOSE = [...TUS_EXPOSE.split(', '), 'Content-Range', 'Content-Disposition', 'Accept-Ranges', 'ETag'];

/** Request headers a page sends: tus (hoard's proof included) and ranged reads. */
const ALLOW_HEADERS = [...TUS_REQUEST_HEADERS, 'Range', 'If-Range'];

export function nodeCors(origins: '*' | readonly string[]): CorsPolicy {
  return { origins, expose: EXPOSE, allowHeaders: ALLOW_HEADERS, maxAgeS: 600 };
}
