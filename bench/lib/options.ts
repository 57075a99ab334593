// Command-line flags of `npm run bench -- ...`. --quick shrinks every default
// so the whole run is a smoke test of a minute or two; explicit flags win.
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { bytes } from '../../common/config.js';

export const SCENARIOS = ['upload', 'download', 'ranged', 'small', 'dedup', 'index', 'memory', 'index-pg', 'quorum'] as const;
export type ScenarioId = (typeof SCENARIOS)[number];

export interface BenchOptions {
  quick: boolean;
  /** Bytes of the large file (uploads, downloads, ranges, duplicates). */
  size: number;
  /** Seconds of each fixed-duration run (wrk, small files, memory). */
  duration: number;
  repeats: number;
  /** Connections for the ranged-read run. */
  connections: number;
  rangeSize: number;
  smallSize: number;
  smallConcurrency: number;
  /** Blobs in the tracker-index scenario. */
  blobs: number;
  /** The last blobs of the tracker index, committed one by one and timed (the rest are written in bulk). */
  commits: number;
  /** Random lookups per repeat in the tracker-index scenario. */
  lookups: number;
  memDownloads: number;
  memUploads: number;
  memUploadSize: number;
  only: ScenarioId[];
  nginx: string | false;
  nginxWorkers: number;
  wrk: string;
  tmp?: string;
  keep: boolean;
  out?: string;
  updateDocs: boolean;
}

const MAX = Number.MAX_SAFE_INTEGER;
const parseBytes = (key: string, min: number) => (raw: unknown) => bytes('', undefined, min, MAX).parse(raw, key);

/** "1M", "10M", "20k", "1000000". */
function count(raw: unknown): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kKmM]?)\s*$/.exec(String(raw));
  if (!m) throw new Error(`not a count: ${String(raw)}`);
  const mult = { '': 1, k: 1e3, K: 1e3, m: 1e6, M: 1e6 }[m[2]!]!;
  return Math.round(Number(m[1]) * mult);
}

export async function parseOptions(argv = hideBin(process.argv)): Promise<BenchOptions> {
  const a = await yargs(argv)
    .scriptName('npm run bench --')
    .usage('$0 [flags]\n\nRaces hoard against in-memory MD5, plain Node servers and nginx on 127.0.0.1.')
    .option('quick', { type: 'boolean', default: false, describe: 'Smoke run (~1–2 min): 64 MiB files, 3 s runs, 1 repeat, 20k index blobs (10k of them committed)' })
    .option('size', { type: 'string', describe: 'Large file size (default 1GiB, quick 64MiB)' })
    .option('duration', { type: 'number', describe: 'Seconds per fixed-duration run (default 10, quick 3)' })
    .option('repeats', { type: 'number', describe: 'Repeats per measurement (default 3, quick 1)' })
    .option('connections', { type: 'number', default: 64, describe: 'Connections for ranged reads' })
    .option('range-size', { type: 'string', default: '64KiB', describe: 'Bytes per random range' })
    .option('small-size', { type: 'string', default: '4KiB', describe: 'Small-file size' })
    .option('small-concurrency', { type: 'number', default: 16, describe: 'Requests in flight in the small-file runs' })
    .option('blobs', { type: 'string', describe: 'Blobs in the tracker index (default 1M, quick 20k; e.g. 10M)' })
    .option('commits', { type: 'string', describe: 'Index blobs committed one by one and timed, the last of --blobs; the rest are written in bulk (default 100k, quick 10k)' })
    .option('lookups', { type: 'string', describe: 'Random index lookups per repeat (default min(blobs, 200k))' })
    .option('mem-downloads', { type: 'number', default: 100, describe: 'Concurrent downloads in the memory scenario' })
    .option('mem-uploads', { type: 'number', default: 10, describe: 'Concurrent uploads in the memory scenario' })
    .option('mem-upload-size', { type: 'string', describe: 'Bytes per upload in the memory scenario (default size/4, quick size/2)' })
    .option('only', { type: 'string', describe: `Comma-separated scenarios: ${SCENARIOS.join(',')}` })
    .option('skip', { type: 'string', describe: 'Comma-separated scenarios to leave out' })
    .option('nginx', { type: 'string', default: '/usr/sbin/nginx', describe: 'nginx binary (--no-nginx to leave nginx out)' })
    .option('nginx-workers', { type: 'number', default: 1, describe: 'nginx worker processes (1 races one hoard node process)' })
    .option('wrk', { type: 'string', default: '/usr/bin/wrk', describe: 'wrk binary' })
    .option('tmp', { type: 'string', describe: 'Parent folder of the run\'s temp folder (default the OS temp dir)' })
    .option('keep', { type: 'boolean', default: false, describe: 'Keep the temp folder (data and daemon logs)' })
    .option('out', { type: 'string', describe: 'Folder for the JSON results (default bench/results)' })
    .option('update-docs', { type: 'boolean', default: false, describe: 'Write the table into docs/benchmarks.md' })
    .strict()
    .help()
    .parse();

  const quick = a.quick;
  const size = parseBytes('size', 1024 * 1024)(a.size ?? (quick ? '64MiB' : '1GiB'));
  const pick = (list: string | undefined): ScenarioId[] => {
    if (!list) return [];
    const ids = list.split(',').map((s) => s.trim()).filter(Boolean);
    for (const id of ids) if (!(SCENARIOS as readonly string[]).includes(id)) throw new Error(`unknown scenario ${id}; known: ${SCENARIOS.join(', ')}`);
    return ids as ScenarioId[];
  };
  const skip = new Set(pick(a.skip));
  const only = (a.only ? pick(a.only) : [...SCENARIOS]).filter((s) => !skip.has(s));
  const blobs = count(a.blobs ?? (quick ? '20k' : '1M'));
  const nginxFlag = a.nginx as unknown;
  return {
    quick,
    size,
    duration: a.duration ?? (quick ? 3 : 10),
    repeats: Math.max(1, a.repeats ?? (quick ? 1 : 3)),
    connections: a.connections,
    rangeSize: parseBytes('range-size', 1)(a['range-size']),
    smallSize: parseBytes('small-size', 1)(a['small-size']),
    smallConcurrency: a['small-concurrency'],
    blobs,
    commits: Math.min(blobs, count(a.commits ?? (quick ? '10k' : '100k'))),
    lookups: a.lookups ? count(a.lookups) : Math.min(blobs, quick ? 20_000 : 200_000),
    memDownloads: a['mem-downloads'],
    memUploads: a['mem-uploads'],
    memUploadSize: parseBytes('mem-upload-size', 1)(a['mem-upload-size'] ?? String(Math.floor(size / (quick ? 2 : 4)))),
    only,
    nginx: nginxFlag === false || nginxFlag === 'false' ? false : String(nginxFlag),
    nginxWorkers: a['nginx-workers'],
    wrk: a.wrk,
    tmp: a.tmp,
    keep: a.keep,
    out: a.out,
    updateDocs: a['update-docs'],
  };
}
