import assert from 'node:assert/strict';
import { backoffDelay, isTransient, parseRetryAfter, retryAfterMs, withRetry } from '../../tasks/common/src/retry';
import { FakeClock } from './fakes/fake-clock';

function httpError(statusCode: number, headers: Record<string, string> = {}): Error {
  return Object.assign(new Error(`status ${statusCode}`), { statusCode, responseHeaders: headers });
}

describe('retry', () => {
  it('waits what Retry-After or X-RateLimit-Delay asks, then succeeds', async () => {
    const clock = new FakeClock();
    let calls = 0;
    const result = await withRetry(async () => {
      calls++;
      if (calls === 1) throw httpError(429, { 'retry-after': '7' });
      if (calls === 2) throw httpError(503, { 'x-ratelimit-delay': '2.5' });
      return 'ok';
    }, { clock });
    assert.equal(result, 'ok');
    assert.deepEqual(clock.sleeps, [7000, 2500]);
  });

  it('reads the Retry-After of SDK errors (headers.get) and of node-api rateLimit', () => {
    const sdkError = Object.assign(new Error('x'), { statusCode: 429, response: { headers: { get: (n: string) => (n === 'retry-after' ? '3' : undefined) } } });
    assert.equal(retryAfterMs(sdkError), 3000);
    assert.equal(retryAfterMs(Object.assign(new Error('x'), { rateLimit: { retryAfter: 4 } })), 4000);
    assert.equal(parseRetryAfter(new Date(Date.UTC(2025, 0, 1, 0, 0, 10)).toUTCString(), Date.UTC(2025, 0, 1)), 10_000);
  });

  it('does not retry permanent errors', async () => {
    let calls = 0;
    await assert.rejects(withRetry(async () => {
      calls++;
      throw httpError(403);
    }, { clock: new FakeClock() }), /status 403/);
    assert.equal(calls, 1);
  });

  it('retries connection resets with growing backoff', async () => {
    const clock = new FakeClock();
    let calls = 0;
    await withRetry(async () => {
      if (++calls < 4) throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    }, { clock, random: () => 0.5 });
    assert.deepEqual(clock.sleeps, [375, 750, 1500]);
    assert.ok(isTransient(Object.assign(new Error('x'), { code: 'ETIMEDOUT' })));
  });

  it('gives up with the last error when the wait would pass the deadline', async () => {
    const clock = new FakeClock();
    await assert.rejects(withRetry(async () => {
      throw httpError(429, { 'retry-after': '120' });
    }, { clock, deadline: clock.now() + 60_000 }), /status 429/);
    assert.deepEqual(clock.sleeps, []);
  });

  it('caps exponential backoff', () => {
    assert.ok(backoffDelay(new Error('x'), 20, { maxDelayMs: 30_000, random: () => 0.99 }, 0) <= 30_000);
  });
});
