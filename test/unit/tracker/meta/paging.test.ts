// The one page-by-page walk.
import t from 'tap';
import { each, pages } from '../../../../tracker/meta/paging.js';
import type { Page } from '../../../../tracker/meta/store.js';

const ids = Array.from({ length: 25 }, (_, i) => `k${String(i).padStart(2, '0')}`);

function lister(items: string[]) {
  const asked: Page[] = [];
  const list = async (p: Page) => {
    asked.push(p);
    return items.filter((x) => p.after === undefined || x > p.after).slice(0, p.limit);
  };
  return { list, asked };
}

t.test('pages follow the last key and stop after a short page', async (t) => {
  const { list, asked } = lister(ids);
  const seen: string[][] = [];
  for await (const page of pages(list, (x) => x, 10)) seen.push(page);
  t.same(seen.map((p) => p.length), [10, 10, 5]);
  t.same(asked, [{ limit: 10 }, { limit: 10, after: 'k09' }, { limit: 10, after: 'k19' }]);
});

t.test('an exact multiple ends on an empty page; nothing yields nothing', async (t) => {
  const { list, asked } = lister(ids.slice(0, 20));
  const all: string[] = [];
  for await (const x of each(list, (x) => x, 10)) all.push(x);
  t.same(all, ids.slice(0, 20));
  t.equal(asked.length, 3);
  const empty = lister([]);
  for await (const _ of pages(empty.list, (x) => x)) t.fail('no page');
  t.same(empty.asked, [{ limit: 1000 }]);
});

t.test('records taken out while walking do not stop the walk', async (t) => {
  const items = [...ids];
  const { list } = lister(items);
  const seen: string[] = [];
  for await (const page of pages(list, (x) => x, 10)) {
    seen.push(...page);
    for (const x of page) items.splice(items.indexOf(x), 1);
  }
  t.same(seen, ids);
});
