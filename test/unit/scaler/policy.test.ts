// Queue-mode policy of ScaleAgentPool: the target, what to create and which idle agents to remove.
import assert from 'node:assert/strict';
import { InputError } from '../../../tasks/common/src/errors';
import { decideQueueScale, formatPassLine, QueueSample, QueueSettings, validateQueueSettings } from '../../../tasks/common/src/scaler/policy';

const NOW = Date.parse('2025-06-01T12:00:00Z');
const MIN = 60_000;

const settings = (overrides: Partial<QueueSettings> = {}): QueueSettings => ({
  minAgents: 0,
  maxAgents: 10,
  minIdle: 0,
  scaleInDelayMinutes: 15,
  ...overrides,
});

/** `idle` as minutes each agent has been idle. */
const sample = (s: Partial<Omit<QueueSample, 'idle'>> & { idle?: number[] } = {}): QueueSample => ({
  waiting: s.waiting ?? 0,
  busy: s.busy ?? 0,
  starting: s.starting ?? 0,
  freeParallelJobs: 'freeParallelJobs' in s ? s.freeParallelJobs : 100,
  now: NOW,
  idle: (s.idle ?? []).map((minutes, i) => ({ name: `q-${i}`, idleSince: NOW - minutes * MIN })),
  ...(s.waitingLowerBound ? { waitingLowerBound: true } : {}),
});

describe('scale policy (queue mode)', () => {
  const cases: Array<{ name: string; sample: QueueSample; settings: QueueSettings; desired: number; toCreate: number; toRemove: string[] }> = [
    { name: 'cold start from zero: one agent per waiting job', sample: sample({ waiting: 3 }), settings: settings(), desired: 3, toCreate: 3, toRemove: [] },
    { name: 'nothing waiting, nothing running: stays at zero', sample: sample(), settings: settings(), desired: 0, toCreate: 0, toRemove: [] },
    { name: 'busy agents keep their place and waiting jobs add to them', sample: sample({ waiting: 2, busy: 3 }), settings: settings(), desired: 5, toCreate: 2, toRemove: [] },
    { name: 'idle agents serve waiting jobs before new ones are made', sample: sample({ waiting: 3, idle: [1, 1] }), settings: settings(), desired: 3, toCreate: 1, toRemove: [] },
    { name: 'starting agents count as supply', sample: sample({ waiting: 4, starting: 3 }), settings: settings(), desired: 4, toCreate: 1, toRemove: [] },
    { name: 'starting agents already cover every waiting job', sample: sample({ waiting: 3, starting: 3 }), settings: settings(), desired: 3, toCreate: 0, toRemove: [] },
    { name: 'minAgents is a floor with an empty queue', sample: sample(), settings: settings({ minAgents: 2 }), desired: 2, toCreate: 2, toRemove: [] },
    { name: 'maxAgents caps a long queue', sample: sample({ waiting: 50 }), settings: settings({ maxAgents: 5 }), desired: 5, toCreate: 5, toRemove: [] },
    { name: 'maxAgents counts busy agents too', sample: sample({ waiting: 10, busy: 4 }), settings: settings({ maxAgents: 5 }), desired: 5, toCreate: 1, toRemove: [] },
    { name: 'minIdle keeps spare agents beside busy ones', sample: sample({ busy: 2 }), settings: settings({ minIdle: 2 }), desired: 4, toCreate: 2, toRemove: [] },
    { name: 'minIdle does not add to waiting jobs, it is a floor for them', sample: sample({ waiting: 3 }), settings: settings({ minIdle: 2 }), desired: 3, toCreate: 3, toRemove: [] },
    { name: 'free parallel jobs cap what waiting jobs justify', sample: sample({ waiting: 10, busy: 1, freeParallelJobs: 3 }), settings: settings(), desired: 4, toCreate: 3, toRemove: [] },
    { name: 'no free parallel job: only busy agents stay', sample: sample({ waiting: 5, busy: 2, freeParallelJobs: 0 }), settings: settings(), desired: 2, toCreate: 0, toRemove: [] },
    { name: 'negative free parallel jobs read as none', sample: sample({ waiting: 5, freeParallelJobs: -2 }), settings: settings(), desired: 0, toCreate: 0, toRemove: [] },
    { name: 'parallel-job limit never pushes below minAgents', sample: sample({ waiting: 5, freeParallelJobs: 0 }), settings: settings({ minAgents: 2 }), desired: 2, toCreate: 2, toRemove: [] },
    { name: 'unknown parallel usage falls back to maxParallelJobs', sample: sample({ waiting: 10, freeParallelJobs: undefined }), settings: settings({ maxParallelJobs: 4 }), desired: 4, toCreate: 4, toRemove: [] },
    { name: 'unknown parallel usage without fallback: maxAgents only', sample: sample({ waiting: 8, freeParallelJobs: undefined }), settings: settings({ maxAgents: 6 }), desired: 6, toCreate: 6, toRemove: [] },
    { name: 'idle agents within the delay are kept', sample: sample({ idle: [5, 10] }), settings: settings(), desired: 0, toCreate: 0, toRemove: [] },
    { name: 'idle agents past the delay are removed, oldest first', sample: sample({ idle: [16, 40, 5] }), settings: settings(), desired: 0, toCreate: 0, toRemove: ['q-1', 'q-0'] },
    { name: 'an agent idle exactly the delay is removable', sample: sample({ idle: [15] }), settings: settings(), desired: 0, toCreate: 0, toRemove: ['q-0'] },
    { name: 'scale-in stops at the target', sample: sample({ idle: [30, 20, 60] }), settings: settings({ minAgents: 1 }), desired: 1, toCreate: 0, toRemove: ['q-2', 'q-0'] },
    { name: 'minIdle keeps idle agents past the delay', sample: sample({ idle: [30, 30] }), settings: settings({ minIdle: 1 }), desired: 1, toCreate: 0, toRemove: ['q-0'] },
    { name: 'busy agents are never removed, even above maxAgents', sample: sample({ busy: 6 }), settings: settings({ maxAgents: 3 }), desired: 3, toCreate: 0, toRemove: [] },
    { name: 'above maxAgents with busy and idle: only the old idle one goes', sample: sample({ busy: 3, idle: [20] }), settings: settings({ maxAgents: 3 }), desired: 3, toCreate: 0, toRemove: ['q-0'] },
    { name: 'starting agents above target are not removed', sample: sample({ starting: 3 }), settings: settings(), desired: 0, toCreate: 0, toRemove: [] },
    { name: 'scale-in delay of zero removes idle agents at once', sample: sample({ idle: [0, 0] }), settings: settings({ scaleInDelayMinutes: 0 }), desired: 0, toCreate: 0, toRemove: ['q-0', 'q-1'] },
    { name: 'min = max fixes the size', sample: sample({ waiting: 9 }), settings: settings({ minAgents: 3, maxAgents: 3 }), desired: 3, toCreate: 3, toRemove: [] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const decision = decideQueueScale(c.sample, c.settings);
      assert.deepEqual({ desired: decision.desired, toCreate: decision.toCreate, toRemove: decision.toRemove }, { desired: c.desired, toCreate: c.toCreate, toRemove: c.toRemove });
      assert.ok(decision.reason.length > 0 && !decision.reason.includes('\n'), 'reason is one line');
    });
  }

  it('scale-out follows the latest sample: a burst is served at once, without a delay', () => {
    const quiet = decideQueueScale(sample({ idle: [1] }), settings());
    assert.equal(quiet.toCreate, 0);
    const burst = decideQueueScale(sample({ waiting: 30, idle: [1] }), settings({ maxAgents: 50 }));
    assert.equal(burst.desired, 30);
    assert.equal(burst.toCreate, 29);
  });

  it('two passes in a row do not provision twice for the same waiting jobs', () => {
    const first = decideQueueScale(sample({ waiting: 5 }), settings());
    assert.equal(first.toCreate, 5);
    // The second pass sees the agents the first created as starting; the jobs still wait.
    const second = decideQueueScale(sample({ waiting: 5, starting: first.toCreate }), settings());
    assert.equal(second.toCreate, 0);
  });

  it('two concurrent passes do not exceed the target when the second counts the first one\'s agents as starting', () => {
    // Pass A creates and re-reads; pass B reads after A's creates: the total stays at the target.
    const a = decideQueueScale(sample({ waiting: 4, busy: 1 }), settings({ maxAgents: 4 }));
    const b = decideQueueScale(sample({ waiting: 4, busy: 1, starting: a.toCreate }), settings({ maxAgents: 4 }));
    assert.equal(1 + a.toCreate + b.toCreate, 4);
  });

  it('the reason says why the target was capped', () => {
    assert.match(decideQueueScale(sample({ waiting: 10, freeParallelJobs: 2 }), settings()).reason, /parallel-job limit/);
    assert.match(decideQueueScale(sample({ waiting: 10 }), settings({ maxAgents: 3 })).reason, /maxAgents 3/);
    assert.match(decideQueueScale(sample({ idle: [2] }), settings()).reason, /no idle agent has been idle for 15 min/);
  });

  describe('settings validation', () => {
    const bad: Array<[string, Partial<QueueSettings>, RegExp]> = [
      ['minAgents', { minAgents: -1 }, /'minAgents' must be a whole number/],
      ['maxAgents', { maxAgents: 2.5 }, /'maxAgents' must be a whole number/],
      ['minIdle', { minIdle: -3 }, /'minIdle'/],
      ['scaleInDelayMinutes', { scaleInDelayMinutes: -1 }, /'scaleInDelayMinutes'/],
      ['maxParallelJobs', { maxParallelJobs: -1 }, /'maxParallelJobs'/],
      ['minAgents', { minAgents: 5, maxAgents: 3 }, /'minAgents' \(5\) must not exceed 'maxAgents' \(3\)/],
    ];
    for (const [input, overrides, message] of bad) {
      it(`rejects ${JSON.stringify(overrides)} naming ${input}`, () => {
        assert.throws(
          () => validateQueueSettings(settings(overrides)),
          (error: unknown) => error instanceof InputError && error.input === input && message.test(error.message),
        );
      });
    }
    it('the decision validates too', () => {
      assert.throws(() => decideQueueScale(sample(), settings({ minAgents: 4, maxAgents: 1 })), InputError);
    });
  });

  describe('pass log line', () => {
    it('shows every figure and the action', () => {
      const s = sample({ waiting: 4, busy: 2, starting: 1, idle: [3], freeParallelJobs: 7 });
      const line = formatPassLine(s, decideQueueScale(s, settings()));
      assert.match(line, /^waiting=4 busy=2 idle=1 starting=1 freeParallel=7 target=6 action=create 2: /);
    });
    it('names the agents it removes and marks an unknown parallel count and a lower bound', () => {
      const s = sample({ waiting: 200, waitingLowerBound: true, freeParallelJobs: undefined, idle: [] });
      assert.match(formatPassLine(s, decideQueueScale(s, settings({ maxAgents: 3 }))), /waiting=200\+ \(at least\) .*freeParallel=unknown target=3 action=create 3/);
      const idle = sample({ idle: [20] });
      assert.match(formatPassLine(idle, decideQueueScale(idle, settings())), /target=0 action=remove 1 \(q-0\)/);
      const steady = sample({ busy: 1 });
      assert.match(formatPassLine(steady, decideQueueScale(steady, settings())), /action=none/);
    });
  });
});
