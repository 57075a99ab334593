// Reads of the LevelDB store made together, fetched together.
import type { Level } from 'level';

/**
 * Gets asked for before the next microtask checkpoint go to the database as
 * one getMany: a native call per read is most of a small read's cost.
 */
export class ReadBatcher {
  private keys: string[] = [];
  private waiters: Array<{ resolve: (v: unknown) => void; reject: (err: unknown) => void }> = [];

  constructor(private readonly db: Level<string, unknown>) {}

  get<T>(key: string): Promise<T | undefined> {
    return new Promise<unknown>((resolve, reject) => {
      if (this.keys.length === 0) queueMicrotask(() => this.flush());
      this.keys.push(key);
      this.waiters.push({ resolve, reject });
    }) as Promise<T | undefined>;
  }

  private flush(): void {
    const { keys, waiters } = this;
    this.keys = [];
    this.waiters = [];
    this.db.getMany(keys).then(
      (values) => waiters.forEach((w, i) => w.resolve(values[i])),
      (err: unknown) => waiters.forEach((w) => w.reject(err)),
    );
  }
}
