// pino loggers: JSON lines, one per event, for a log collector (npm start keeps them in files under data/logs).
//
// Lines go to stdout asynchronously: a line is written at once when no write
// is running, and lines that arrive meanwhile go out together in the next
// write. One write(2) per request log line was ~2 % of a storage node's CPU
// under small ranged reads. pino flushes what is pending, synchronously, when
// the process exits (process.exit included).
import { pino, type Logger } from 'pino';

export function createLogger(name: string, level = process.env.HOARD_LOG_LEVEL ?? 'info'): Logger {
  return pino({ name, level, base: { pid: process.pid, role: name } }, pino.destination({ dest: 1, sync: false }));
}

export type { Logger };
