// File names made safe for a Content-Disposition header.
import { create as contentDisposition } from 'content-disposition';

/**
 * `attachment` with the given name; control characters are dropped first
 * (Node refuses CR/LF in headers), and non-ASCII names get `filename*`
 * with an ASCII fallback.
 */
export function attachmentHeader(name: string | null | undefined, fallbackName: string): string {
  const clean = (name ?? '').replace(/[\u0000-\u001f\u007f-\u009f]/g, '');
  return contentDisposition(clean || fallbackName, { type: 'attachment' });
}
