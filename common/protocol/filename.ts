// File names as hoard accepts them, at the tracker and on every node: one
// check, so a name that passes one door passes them all.

import { HoardError } from './errors.js';

const MAX_NAME_BYTES = 255;
const encoder = new TextEncoder();

/** A file name: 1..255 UTF-8 bytes, not `.` or `..`, no NUL, no '/', no lone surrogate; FILENAME_INVALID otherwise. */
export function checkFilename(v: unknown): string {
  if (typeof v !== 'string') throw new HoardError('FILENAME_INVALID');
  const size = encoder.encode(v).length;
  if (v.length === 0 || size > MAX_NAME_BYTES) throw new HoardError('FILENAME_INVALID', `File name must be 1..${MAX_NAME_BYTES} UTF-8 bytes`);
  if (v.includes('\0') || v.includes('/')) throw new HoardError('FILENAME_INVALID', 'File name must not contain NUL or "/"');
  // A URL path resolves these segments away: the name would not survive the signed upload URL.
  if (v === '.' || v === '..') throw new HoardError('FILENAME_INVALID', 'File name must not be "." or ".."');
  // Lone surrogates (possible in JSON strings) would not survive a UTF-8 round trip.
  if (/\p{Cs}/u.test(v)) throw new HoardError('FILENAME_INVALID', 'File name is not valid Unicode');
  return v;
}

/** Decodes a percent-encoded file name from a path, then checks it. */
export function decodeFilename(raw: string): string {
  let name: string;
  try {
    name = decodeURIComponent(raw);
  } catch {
    throw new HoardError('FILENAME_INVALID', 'File name is not valid percent-encoded UTF-8');
  }
  return checkFilename(name);
}
