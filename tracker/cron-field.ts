// A config field holding a node-cron expression, checked at start so a typo
// stops the tracker instead of silently never running a worker.
import cron from 'node-cron';
import { ConfigError, type Field } from '../common/config.js';

export const cronExpr = (doc: string, def: string): Field<string> => ({
  doc,
  default: def,
  parse(raw, key) {
    const v = String(raw).trim();
    if (!cron.validate(v)) throw new ConfigError(`${key} ${JSON.stringify(v)} is not a cron expression`);
    return v;
  },
});
