// The one page-by-page walk: any listing keyed like the store's (a page
// starts after the key of the previous page's last record), as pages or as
// single records. A short page is the last.
import type { Page } from './store.js';

export const PAGE_SIZE = 1000;

export type Lister<T> = (page: Page) => Promise<T[]>;

/** Pages of `list`, in order; stops after an empty or a short page. */
export async function* pages<T>(list: Lister<T>, keyOf: (last: T) => string, size = PAGE_SIZE): AsyncGenerator<T[]> {
  let after: string | undefined;
  for (;;) {
    const page = await list(after === undefined ? { limit: size } : { limit: size, after });
    if (page.length === 0) return;
    yield page;
    if (page.length < size) return;
    after = keyOf(page[page.length - 1]!);
  }
}

/** The records of every page, one at a time. */
export async function* each<T>(list: Lister<T>, keyOf: (last: T) => string, size = PAGE_SIZE): AsyncGenerator<T> {
  for await (const page of pages(list, keyOf, size)) yield* page;
}
