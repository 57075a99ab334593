// Upload file names as the node accepts them, and the same names made safe
// for a Content-Disposition header.
import { create as contentDisposition } from 'content-disposition';
import { HoardError } from '../../common/protocol/errors.js';

const MAX_NAME_BYTES = 255;

/** Decodes the percent-encoded tail of an upload path; 400 FILENAME_INVALID when it is not a valid name. */
export function decodeFilename(raw: string): string {
  let name: string;
  try {
    name = decodeURIComponent(raw);
  } catch {
    throw new HoardError('FILENAME_INVALID', 'File name is not valid percent-encoded UTF-8');
  }
  checkFilename(name);
  return name;
}

export function checkFilename(name: string): void {
  const size = Buffer.byteLength(name, 'utf8');
  if (size < 1 || size > MAX_NAME_BYTES) throw new HoardError('FILENAME_INVALID', `File name must be 1..${MAX_NAME_BYTES} UTF-8 bytes`);
  if (name.includes('\0') || name.includes('/')) throw new HoardError('FILENAME_INVALID', 'File name must not contain NUL or "/"');
}

/**
 * `attachment` with the given name; control characters are dropped first
 * (Node refuses CR/LF in headers), and non-ASCII names get `filename*`
 * with an ASCII fallback.
 */
export function attachmentHeader(name: string | null | undefined, fallbackName: string): string {
  const clean = (name ?? '').replace(/[\u0000-\u001f\u007f-\u009f]/g, '');
  return contentDisposition(clean || fallbackName, { type: 'attachment' });
}
