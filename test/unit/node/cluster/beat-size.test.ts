// fitBeat: a heartbeat over the tracker's body limit loses its oldest served
// reports, never its leases or its figures, and one that fits is sent whole.
import t from 'tap';
import { fitBeat } from '../../../../node/cluster/beat-size.js';
import type { Heartbeat, ServedReport } from '../../../../common/protocol/types.js';

const blob = 'ab'.repeat(32);
const report = (i: number, ranges = 1): ServedReport => ({
  id: String(i).padStart(22, '0'),
  blob,
  ranges: Array.from({ length: ranges }, (_, k): [number, number] => [k * 10, k * 10 + 4]),
});
const beat = (served: ServedReport[]): Heartbeat => ({
  id: 'n1',
  freeBytes: 1e12,
  totalBytes: 2e12,
  load: 3,
  blobCount: 7,
  leases: { active: ['a'.repeat(22)], ended: ['b'.repeat(22)] },
  served,
});
const size = (b: Heartbeat) => Buffer.byteLength(JSON.stringify(b));

const cases: Array<{ name: string; served: ServedReport[]; max: number }> = [
  { name: 'a beat that fits', served: [report(1), report(2)], max: 16 * 1024 },
  { name: '5,000 one-range reports under 1 MiB', served: Array.from({ length: 5_000 }, (_, i) => report(i)), max: 1024 * 1024 },
  { name: '5,000 one-range reports under 16 KiB', served: Array.from({ length: 5_000 }, (_, i) => report(i)), max: 16 * 1024 },
  { name: 'reports of 256 ranges under 64 KiB', served: Array.from({ length: 100 }, (_, i) => report(i, 256)), max: 64 * 1024 },
  { name: 'no report fits', served: [report(1, 256)], max: 1024 },
];

for (const c of cases) {
  t.test(c.name, async (t) => {
    const whole = beat(c.served);
    const { beat: sent, dropped } = fitBeat(whole, c.max);
    const fits = size(whole) <= c.max;
    if (fits) {
      t.equal(sent, whole, 'sent as it is');
      t.equal(dropped, 0);
      return;
    }
    t.ok(size(sent) <= c.max, `the beat fits: ${size(sent)} <= ${c.max}`);
    const kept = sent.served ?? [];
    t.equal(kept.length + dropped, c.served.length, 'every report is either kept or counted as dropped');
    t.same(kept, c.served.slice(c.served.length - kept.length), 'the freshest (last) reports are the ones kept');
    t.same({ ...sent, served: undefined }, { ...whole, served: undefined }, 'leases and figures untouched');
    // As many as fit: one more of the dropped would not.
    if (dropped > 0) {
      const more = { ...whole, served: c.served.slice(c.served.length - kept.length - 1) };
      t.ok(size(more) > c.max, 'one more report would not fit');
    }
    if (kept.length === 0) t.notOk('served' in sent, 'an empty list is left out');
  });
}
