import assert from 'node:assert/strict';
import { mapSettled } from '../../tasks/common/src/concurrency';

describe('bounded parallel map', () => {
  it('never runs more than the limit at once and keeps the order', async () => {
    let inFlight = 0;
    let max = 0;
    const settled = await mapSettled([...Array(20).keys()], 4, async (n) => {
      inFlight++;
      max = Math.max(max, inFlight);
      await new Promise((r) => setTimeout(r, 1 + (n % 3)));
      inFlight--;
      return n * 2;
    });
    assert.equal(max, 4);
    assert.deepEqual(settled.map((s) => (s.status === 'fulfilled' ? s.value : s.reason)), [...Array(20).keys()].map((n) => n * 2));
  });

  it('settles every item even when some fail', async () => {
    const settled = await mapSettled([1, 2, 3], 2, async (n) => {
      if (n === 2) throw new Error('two');
      return n;
    });
    assert.deepEqual(settled.map((s) => s.status), ['fulfilled', 'rejected', 'fulfilled']);
    assert.match(String((settled[1] as PromiseRejectedResult).reason), /two/);
  });
});
