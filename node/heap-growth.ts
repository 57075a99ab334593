// How far the V8 heap may grow between full collections. A node's heap is
// small (about 13 MB live) while every upload body arrives as 64 KiB socket
// buffers outside it but counted against its limit; with V8's own factor a
// node ran 12-20 full mark-compacts per 256 MiB received; at 200 % it ran a
// third as many and used about a fifth less CPU per upload. Set once at
// start, before any upload: V8 reads the flag when it sizes the next limit.
import v8 from 'node:v8';

/** Applies `percent` (0 leaves V8's own factor). */
export function setHeapGrowth(percent: number): void {
  if (percent > 0) v8.setFlagsFromString(`--heap-growing-percent=${percent}`);
}
