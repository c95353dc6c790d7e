// The adaptive bound on ARM writes: wide at first, halved on throttling (once per burst), holding new
// calls for the Retry-After the service asked, widened again by successes. Time is a FakeClock.
import assert from 'node:assert/strict';
import { AdaptiveLimit } from '../../tasks/common/src/adaptive-limit';
import { armThrottling } from '../../tasks/common/src/providers/arm-throttling';
import { FakeClock } from './fakes/fake-clock';

const throttled = (retryAfter?: string) => Object.assign(new Error('Too Many Requests'), { statusCode: 429, responseHeaders: retryAfter ? { 'retry-after': retryAfter } : {} });

/** A call that waits until released, recording how many were in flight at once. */
function gate() {
  let inFlight = 0;
  let max = 0;
  const releases: Array<(outcome?: Error) => void> = [];
  const call = () => new Promise<void>((resolve, reject) => {
    inFlight++;
    max = Math.max(max, inFlight);
    releases.push((error) => {
      inFlight--;
      if (error) reject(error);
      else resolve();
    });
  });
  return { call, releases, get max() { return max; } };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('adaptive limit (AIMD) on calls in flight', () => {
  it('lets `initial` calls go at once and the next one only when a slot frees', async () => {
    const limit = new AdaptiveLimit({ initial: 3, max: 3, clock: new FakeClock() });
    const g = gate();
    const runs = Array.from({ length: 5 }, () => limit.run(g.call, armThrottling));
    await settle();
    assert.equal(g.releases.length, 3);
    g.releases[0]();
    await settle();
    assert.equal(g.releases.length, 4);
    for (const release of g.releases.slice(1)) release();
    await settle();
    g.releases[4]();
    await Promise.all(runs);
    assert.equal(g.max, 3);
  });

  it('halves on a 429, once for a burst of them, and holds new calls until the Retry-After has passed', async () => {
    const clock = new FakeClock();
    const started = clock.now();
    const limit = new AdaptiveLimit({ initial: 8, max: 8, clock });
    const g = gate();
    const burst = Array.from({ length: 8 }, () => limit.run(g.call, armThrottling).catch((e: unknown) => e));
    await settle();
    for (const release of g.releases) release(throttled('3'));
    await Promise.all(burst);
    assert.equal(limit.limit, 4, 'eight 429s of one burst halve the bound once');
    assert.equal(limit.holdUntil, started + 3000);

    let ranAt = 0;
    await limit.run(async () => { ranAt = clock.now(); }, armThrottling);
    assert.ok(ranAt >= started + 3000, `the next call waited for Retry-After (ran at +${ranAt - started} ms)`);
    assert.deepEqual(clock.sleeps, [3000]);

    await limit.run(() => Promise.reject(throttled()), armThrottling).catch(() => undefined);
    assert.equal(limit.limit, 2, 'a later 429 halves again');
  });

  it('widens again with successes, up to its maximum, and never below its minimum', async () => {
    const clock = new FakeClock();
    const limit = new AdaptiveLimit({ initial: 4, min: 2, max: 6, clock });
    for (let i = 0; i < 3; i++) await limit.run(() => Promise.reject(throttled()), armThrottling).catch(() => undefined);
    assert.equal(limit.limit, 2, 'floored at the minimum');
    let successes = 0;
    while (limit.limit < 4) {
      await limit.run(async () => undefined, armThrottling);
      successes++;
    }
    assert.ok(successes >= 4 && successes <= 8, `back to 4 after ${successes} successes (about one per round of calls)`);
    for (let i = 0; i < 50; i++) await limit.run(async () => undefined, armThrottling);
    assert.equal(limit.limit, 6, 'capped at the maximum');
  });

  it('counts other failures as successes for the bound, and reports throttling seen elsewhere', async () => {
    const clock = new FakeClock();
    const limit = new AdaptiveLimit({ initial: 4, max: 4, clock });
    await assert.rejects(limit.run(() => Promise.reject(Object.assign(new Error('bad'), { statusCode: 400 })), armThrottling), /bad/);
    assert.equal(limit.limit, 4);
    limit.reportThrottling({ retryAfterMs: 1500 });
    assert.equal(limit.limit, 2);
    assert.equal(limit.holdUntil, clock.now() + 1500);
  });
});
