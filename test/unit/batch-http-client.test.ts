import assert from 'node:assert/strict';
import { createBatchHttpClient, nativeSignalOf } from '../../tasks/common/src/providers/batch-http-client';
import { onTermination } from '../../tasks/common/src/cancellation';

describe('Batch HTTP client', () => {
  it('hands node-fetch a native AbortSignal that follows the SDK polyfill signal', () => {
    // The shape of ms-rest-js's inlined polyfill, whose class a minifier renames.
    const listeners: Array<() => void> = [];
    const polyfill = { aborted: false, addEventListener: (_type: 'abort', listener: () => void) => listeners.push(listener) };
    const native = nativeSignalOf(polyfill);
    assert.ok(native instanceof AbortSignal);
    assert.equal(Object.getPrototypeOf(native).constructor.name, 'AbortSignal', 'node-fetch checks the constructor name');
    assert.equal(native.aborted, false);
    listeners.forEach((l) => l());
    assert.equal(native.aborted, true);
    assert.equal(nativeSignalOf({ aborted: true, addEventListener: () => undefined })?.aborted, true);
  });

  it('replaces only the signal of what ms-rest-js passes to fetch', async () => {
    let seen: Record<string, unknown> | undefined;
    class FakeDefault {
      async fetch(_input: unknown, init: Record<string, unknown>) {
        seen = init;
        return 'response';
      }
    }
    const client = createBatchHttpClient({ DefaultHttpClient: FakeDefault } as never) as unknown as { fetch(i: unknown, init: unknown): Promise<unknown> };
    assert.equal(await client.fetch('https://x', { method: 'GET', signal: { aborted: false, addEventListener: () => undefined } }), 'response');
    assert.equal(seen?.method, 'GET');
    assert.ok(seen?.signal instanceof AbortSignal);
  });
});

describe('cancellation', () => {
  it('ends in-flight cloud calls once the task has finished, so the process can exit', () => {
    const handlers = new Map<string, () => void>();
    const cancellation = onTermination({ on: (e: string, h: () => void) => handlers.set(e, h), off: () => undefined } as never, 10_000);
    assert.equal(cancellation.hard.aborted, false);
    cancellation.dispose();
    assert.equal(cancellation.hard.aborted, true);
  });
});
