// A config field for worker schedules: a node-cron expression (seconds field
// allowed, UTC), checked at start so a typo fails the process, not the job.
import { validate } from 'node-cron';
import { ConfigError, type Field } from './config.js';

export const cronExpr = (doc: string, def: string): Field<string> => ({
  doc,
  default: def,
  parse(raw, key) {
    const v = String(raw).trim();
    if (!validate(v)) throw new ConfigError(`${key} ${JSON.stringify(v)} is not a cron expression (e.g. "0 3 * * *" or "*/30 * * * * *")`);
    return v;
  },
});
