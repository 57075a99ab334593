// Directory fsyncs shared between concurrent uploads. An fsync of a
// directory makes durable every entry change made in it before the fsync
// started, so callers that arrive while one is running all wait for the next
// one, and that single fsync answers them all. Each call still resolves only
// after an fsync that began after the call was made.
import { constants as fsc } from 'node:fs';
import { open } from 'node:fs/promises';

interface PathState {
  running?: Promise<void>;
  /** The fsync queued behind `running`, shared by everyone who asked meanwhile. */
  next?: Promise<void>;
}

export class DirSync {
  private readonly paths = new Map<string, PathState>();

  constructor(private readonly fsync: (path: string) => Promise<void> = fsyncDir) {}

  /** Resolves once an fsync of `path` that started after this call has finished. */
  sync(path: string): Promise<void> {
    let st = this.paths.get(path);
    if (!st) {
      st = {};
      this.paths.set(path, st);
    }
    const running = st.running;
    if (!running) return this.start(path, st);
    if (st.next) return st.next;
    const s = st;
    const again = () => this.start(path, s);
    s.next = running.then(again, again);
    return s.next;
  }

  private start(path: string, st: PathState): Promise<void> {
    st.next = undefined;
    const run = this.fsync(path).finally(() => {
      if (st.running === run) st.running = undefined;
      if (!st.running && !st.next) this.paths.delete(path);
    });
    st.running = run;
    return run;
  }
}

async function fsyncDir(path: string): Promise<void> {
  const fh = await open(path, fsc.O_RDONLY | fsc.O_DIRECTORY);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
