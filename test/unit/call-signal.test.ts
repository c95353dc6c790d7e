// Many cloud calls in flight on the task's one cancellation signal: each call listens on a signal of
// its own, so Node never warns of a "Possible EventTarget memory leak" (MaxListenersExceededWarning),
// and cancelling the task still aborts every call.
import assert from 'node:assert/strict';
import type { ContainerGroup } from '@azure/arm-containerinstance';
import { buildAgentSpecs } from '../../tasks/common/src/agent-spec';
import { systemClock } from '../../tasks/common/src/clock';
import { CancelledError } from '../../tasks/common/src/errors';
import { AciProvider, type AciClient } from '../../tasks/common/src/providers/aci';
import { FakeClock } from './fakes/fake-clock';

const CALLS = 50;

/** Collects the process warnings emitted while `fn` runs (and the ticks after it). */
async function warningsDuring(fn: () => Promise<void>): Promise<Error[]> {
  const warnings: Error[] = [];
  const listener = (warning: Error) => warnings.push(warning);
  process.on('warning', listener);
  try {
    await fn();
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off('warning', listener);
  }
  return warnings;
}

/** Waits until `signal` aborts, listening on it as the SDKs' HTTP clients and pollers do. */
function untilAborted(signal: AbortSignal | undefined): Promise<never> {
  return new Promise((_resolve, reject) => {
    signal?.addEventListener('abort', () => reject(Object.assign(new Error('The operation was aborted.'), { name: 'AbortError' })), { once: true });
  });
}

describe('one abort signal per cloud call', () => {
  it(`${CALLS} container group creates in flight on one cancellation signal: no MaxListenersExceededWarning, and cancelling aborts them all`, async () => {
    const task = new AbortController();
    let aborted = 0;
    const client = {
      containerGroups: {
        // The PUT listens on its signal while it is sent; the operation's poller listens until it is done.
        beginCreateOrUpdate: async (_rg: string, _name: string, _group: ContainerGroup, options: { abortSignal?: AbortSignal }) => {
          void untilAborted(options.abortSignal).catch(() => aborted++);
          return { pollUntilDone: ({ abortSignal }: { abortSignal?: AbortSignal }) => untilAborted(abortSignal) };
        },
      },
      containers: {},
    } as unknown as AciClient;
    const provider = new AciProvider({ kind: 'aci', subscriptionId: 's', resourceGroup: 'rg', location: 'westeurope', priority: 'Regular' } as never, client,
      { identity: 'the service principal', resourceGroupLocation: async () => 'westeurope', clock: new FakeClock(), signal: task.signal });
    const specs = buildAgentSpecs({
      names: Array.from({ length: CALLS }, (_, i) => `agent-${i}`), pool: 'Ephemeral', organizationUrl: 'https://dev.azure.com/contoso/', image: 'img:1', osType: 'Linux',
      cpu: 1, memoryGB: 1, runId: '1', idleTimeoutMinutes: 15, keepFailedMinutes: 0, capabilities: [], tags: [], now: 0,
    });
    let settled: PromiseSettledResult<unknown>[] = [];
    const warnings = await warningsDuring(async () => {
      const creates = specs.map((spec) => provider.create(spec, 'secret'));
      await new Promise((resolve) => setImmediate(resolve));
      task.abort(new Error('cancelled'));
      settled = await Promise.allSettled(creates);
    });
    assert.deepEqual(warnings.map((w) => `${w.name}: ${w.message}`), []);
    assert.equal(settled.filter((r) => r.status === 'rejected').length, CALLS, 'every create ends when the task is cancelled');
    assert.equal(aborted, CALLS, 'every PUT saw the abort');
  });

  it(`${CALLS} concurrent sleeps on one signal: no warning, and an abort ends them all at once`, async () => {
    const task = new AbortController();
    let results: PromiseSettledResult<void>[] = [];
    const warnings = await warningsDuring(async () => {
      const sleeps = Array.from({ length: CALLS }, () => systemClock.sleep(60_000, task.signal));
      await new Promise((resolve) => setImmediate(resolve));
      task.abort(new Error('cancelled'));
      results = await Promise.allSettled(sleeps);
    });
    assert.deepEqual(warnings.map((w) => `${w.name}: ${w.message}`), []);
    assert.ok(results.every((r) => r.status === 'rejected' && r.reason instanceof CancelledError));
  });
});
