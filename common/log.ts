// pino loggers: JSON lines by default, pretty on a TTY when asked.
import { pino, type Logger } from 'pino';

export function createLogger(name: string, level = process.env.HOARD_LOG_LEVEL ?? 'info'): Logger {
  return pino({ name, level, base: { pid: process.pid, role: name } });
}

export type { Logger };
