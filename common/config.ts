// One typed, validated, frozen config per process. Each role declares its
// keys with a parser and a default; values come from flags, then the
// environment (HOARD_<KEY>), then a JSON config file, then the default.
import { readFileSync } from 'node:fs';
import { readSecretFile, SecretError } from './secret.js';

export interface Field<T> {
  doc: string;
  default?: T;
  parse(raw: unknown, key: string): T;
}

export type Spec = Record<string, Field<unknown>>;
export type ConfigOf<S extends Spec> = { readonly [K in keyof S]: S[K] extends Field<infer T> ? T : never };

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export const str = (doc: string, def?: string, re?: RegExp): Field<string> => ({
  doc,
  default: def,
  parse(raw, key) {
    if (typeof raw !== 'string' && typeof raw !== 'number') throw new ConfigError(`${key} must be a string`);
    const v = String(raw);
    if (re && !re.test(v)) throw new ConfigError(`${key} ${JSON.stringify(v)} does not match ${re}`);
    return v;
  },
});

export const int = (doc: string, def: number | undefined, min: number, max: number): Field<number> => ({
  doc,
  default: def,
  parse(raw, key) {
    const v = typeof raw === 'number' ? raw : Number(raw);
    if (!Number.isSafeInteger(v) || v < min || v > max) throw new ConfigError(`${key} must be an integer in [${min}, ${max}]`);
    return v;
  },
});

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, kib: 1024, m: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gib: 1024 ** 3, t: 1024 ** 4, tib: 1024 ** 4 };

/** Byte sizes as a number or "8MiB", "1g", "512k". */
export const bytes = (doc: string, def: number | undefined, min: number, max: number): Field<number> => ({
  doc,
  default: def,
  parse(raw, key) {
    const m = /^\s*(\d+)\s*([a-z]*)\s*$/i.exec(String(raw));
    const unit = m ? UNITS[m[2]!.toLowerCase()] : undefined;
    const v = m && unit ? Number(m[1]) * unit : NaN;
    if (!Number.isSafeInteger(v) || v < min || v > max) throw new ConfigError(`${key} must be a byte size in [${min}, ${max}] (e.g. 8MiB)`);
    return v;
  },
});

export const url = (doc: string, def?: string): Field<string> => ({
  doc,
  default: def,
  parse(raw, key) {
    try {
      const u = new URL(String(raw));
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('scheme');
      return u.toString().replace(/\/$/, '');
    } catch {
      throw new ConfigError(`${key} must be an http(s) URL`);
    }
  },
});

/**
 * One or more http(s) base URLs, comma-separated (a JSON array in a config
 * file): the trackers of a cluster, each tried in turn when one cannot be
 * reached. At least one; no duplicates.
 */
export const urls = (doc: string): Field<readonly string[]> => ({
  doc,
  parse(raw, key) {
    const list = Array.isArray(raw) ? raw : String(raw).split(',').map((s) => s.trim()).filter((s) => s !== '');
    if (list.length === 0) throw new ConfigError(`${key} needs at least one http(s) URL`);
    const one = url(doc);
    const out = list.map((u: unknown, i) => one.parse(u, list.length > 1 ? `${key}[${i}]` : key));
    if (new Set(out).size !== out.length) throw new ConfigError(`${key} names a URL twice`);
    return Object.freeze(out);
  },
});

/**
 * Web origins allowed to call a daemon from a browser page: `*` for any, or
 * a comma-separated list (a JSON array in a config file) of
 * `scheme://host[:port]`; empty for none.
 */
export const origins = (doc: string, def = '*'): Field<'*' | readonly string[]> => ({
  doc,
  default: def as '*',
  parse(raw, key) {
    if (raw === '*') return '*';
    const list = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(',').map((s) => s.trim()).filter((s) => s !== '') : undefined;
    if (!list) throw new ConfigError(`${key} must be * or a list of origins`);
    return Object.freeze(
      list.map((o: unknown): string => {
        const text = typeof o === 'string' ? o : '';
        if (!URL.canParse(text) || !/^https?:$/.test(new URL(text).protocol) || new URL(text).origin !== text) {
          throw new ConfigError(`${key}: ${JSON.stringify(o)} is not an origin (scheme://host[:port], nothing after)`);
        }
        return text;
      }),
    );
  },
});

export const secret = (doc: string): Field<string> => ({
  doc,
  parse(raw, key) {
    const v = String(raw);
    if (v.length < 16) throw new ConfigError(`${key} must be at least 16 characters`);
    return v;
  },
});

/**
 * A file holding a token on its first line (≥ 16 characters), read once at
 * start: the value is the token, '' when no file is named.
 */
export const tokenFile = (doc: string): Field<string> => ({
  doc,
  default: '',
  parse(raw, key) {
    const path = String(raw);
    if (path === '') return '';
    try {
      return readSecretFile(path);
    } catch (err) {
      if (err instanceof SecretError) throw new ConfigError(`${key}: ${err.message}`);
      throw err;
    }
  },
});

const envName = (key: string) => 'HOARD_' + key.replace(/[A-Z]/g, (c) => '_' + c).toUpperCase();

/**
 * Resolves every key of `spec`. `flags` are command-line values (undefined
 * when absent); `configFile` is an optional JSON file path. Unknown keys in
 * the file are an error, so a typo never silently falls back to a default.
 */
export function loadConfig<S extends Spec>(spec: S, flags: Record<string, unknown>, configFile?: string, env = process.env): ConfigOf<S> {
  let file: Record<string, unknown> = {};
  if (configFile) {
    try {
      file = JSON.parse(readFileSync(configFile, 'utf8')) as Record<string, unknown>;
    } catch (err) {
      throw new ConfigError(`cannot read config file ${configFile}: ${(err as Error).message}`);
    }
    for (const k of Object.keys(file)) if (!(k in spec)) throw new ConfigError(`unknown key ${k} in ${configFile}`);
  }
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(spec)) {
    const raw = flags[key] ?? env[envName(key)] ?? file[key] ?? field.default;
    if (raw === undefined) throw new ConfigError(`${key} is required (flag ${flagName(key)}, env ${envName(key)} or config file)`);
    out[key] = field.parse(raw, key);
  }
  return Object.freeze(out) as ConfigOf<S>;
}

const flagName = (key: string) => '--' + key.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());

function showDefault(v: unknown): string {
  if (v === undefined) return '(required)';
  if (v === '') return '(empty)';
  return '`' + String(v) + '`';
}

/** Markdown rows (flag, environment, default, meaning) for docs/config.md. */
export function describeConfig(spec: Spec): string {
  return Object.entries(spec)
    .map(([k, f]) => `| \`${flagName(k)}\` | \`${envName(k)}\` | ${showDefault(f.default)} | ${f.doc} |`)
    .join('\n');
}
