// A daemon's log as the launcher reads it. The daemon writes to the file
// itself (the launcher never reads a pipe, so a busy daemon costs the
// launcher nothing); the launcher reads what was appended since it started
// the process, line by line, and the end of the file for messages.
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';

/** Reads a file from `start` as it grows: complete lines only, each once. */
export class LogReader {
  readonly lines: string[] = [];
  private pos: number;

  constructor(
    readonly file: string,
    start: number,
  ) {
    this.pos = start;
  }

  /** The lines appended since the last call (also added to `lines`). */
  poll(): string[] {
    const buf = readFrom(this.file, this.pos, Infinity);
    // Up to the last newline: a line being written comes whole with a later call.
    const end = buf.lastIndexOf(0x0a);
    if (end < 0) return [];
    this.pos += end + 1;
    const fresh = buf.toString('utf8', 0, end).split('\n');
    for (const l of fresh) this.lines.push(l);
    return fresh;
  }
}

const TAIL_WINDOW = 256 * 1024;

/** The last `n` lines of a file (from `start` on), reading no more than its last 256 KiB. */
export function tailLines(file: string, n: number, start = 0): string[] {
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    return [];
  }
  const from = Math.max(start, size - TAIL_WINDOW);
  const lines = readFrom(file, from, size - from).toString('utf8').trimEnd().split('\n');
  // A window that starts inside a line cuts it: drop that piece.
  if (from > start) lines.shift();
  return lines.length === 1 && lines[0] === '' ? [] : lines.slice(-n);
}

/** The last lines of a log file, indented for a message; "(no log)" when there is none. */
export function logTail(file: string, lines = 15): string {
  const got = tailLines(file, lines);
  if (got.length === 0) return '(no log)';
  return got.map((l) => '  | ' + l.slice(0, 400)).join('\n');
}

function readFrom(file: string, pos: number, max: number): Buffer {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return Buffer.alloc(0);
  }
  try {
    const len = Math.min(max, fstatSync(fd).size - pos);
    if (len <= 0) return Buffer.alloc(0);
    const buf = Buffer.allocUnsafe(len);
    let got = 0;
    while (got < len) {
      const n = readSync(fd, buf, got, len - got, pos + got);
      if (n === 0) break;
      got += n;
    }
    return buf.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}
