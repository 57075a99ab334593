// File names made safe for a Content-Disposition header.
import { create as contentDisposition } from 'content-disposition';

/**
 * `attachment` with the given name; control characters are dropped first
 * (Node refuses CR/LF in headers). Always both `filename` (ASCII, for old
 * clients) and `filename*` (UTF-8, RFC 8187, which clients that know it
 * prefer), so every name reads the same in every client.
 */
export function attachmentHeader(name: string | null | undefined, fallbackName: string): string {
  const clean = (name ?? '').replace(/[\u0000-\u001f\u007f-\u009f]/g, '') || fallbackName;
  const h = contentDisposition(clean, { type: 'attachment' });
  // The package adds filename* only for names that need it.
  return /;\s*filename\*=/.test(h) ? h : `${h}; filename*=UTF-8''${extValue(clean)}`;
}

/** RFC 8187 value chars: percent-encode all but attr-char. */
function extValue(s: string): string {
  return encodeURIComponent(s).replace(/['()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}
