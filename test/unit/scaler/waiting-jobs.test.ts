// Counting the waiting jobs ScaleAgentPool provisions for: queued requests whose demands the
// template registration satisfies, leaving EPHEMERAL_RUN requests to RequestEphemeralAgent.
import assert from 'node:assert/strict';
import {
  countWaitingJobs,
  describeWaiting,
  isQueued,
  JobRequestLike,
} from '../../../tasks/common/src/scaler/waiting-jobs';

const template = {
  EPHEMERAL_AGENT: '1',
  EPHEMERAL_TEMPLATE: '1',
  'Agent.OS': 'Linux',
  docker: '/usr/bin/docker',
  NODE_VERSION: '20.19.0',
  GPU: 'none',
};

describe('waiting jobs', () => {
  describe('a request counts when the template satisfies its demands', () => {
    const counted = (capabilities: Map<string, string> | Record<string, string>, demands: JobRequestLike['demands']) =>
      countWaitingJobs([{ requestId: 1, demands }], capabilities).count === 1;
    const cases: Array<[string, string[], boolean]> = [
      ['no demands', [], true],
      ['an existing capability', ['docker'], true],
      ['a capability name in another case', ['DOCKER'], true],
      ['a missing capability', ['java'], false],
      ['-equals with the same value', ['Agent.OS -equals Linux'], true],
      ['-equals compares values case-insensitively', ['agent.os -equals linux'], true],
      ['-equals with another value', ['Agent.OS -equals Windows_NT'], false],
      ['-equals on a missing capability', ['ImageOverride -equals foo'], false],
      ['Agent.Version -gtVersion counts as satisfied', ['Agent.Version -gtVersion 2.x'], true],
      ['Agent.Version with any operator or case', ['agent.version -gtVersion 9.999.0', 'Agent.Version'], true],
      ['-gtVersion on another capability compares versions', ['NODE_VERSION -gtVersion 18.0'], true],
      ['-gtVersion that is not exceeded', ['NODE_VERSION -gtVersion 22.1'], false],
      ['an operator the server may add later is not assumed satisfied', ['docker -matches .*'], false],
      ['all demands must hold', ['docker', 'java'], false],
    ];
    for (const [name, demands, expected] of cases) {
      it(`${name}: ${JSON.stringify(demands)} -> ${expected}`, () => {
        assert.equal(counted(template, demands), expected);
      });
    }
    it('accepts demand objects (the node-api type) and a Map of capabilities', () => {
      const caps = new Map(Object.entries(template));
      assert.equal(counted(caps, [{ name: 'Agent.OS', value: 'Linux' }, { name: 'docker' }]), true);
      assert.equal(counted(caps, [{ name: 'Agent.OS', value: 'Darwin' }]), false);
      assert.equal(counted(caps, null), true);
    });
  });

  it('leaves requests demanding EPHEMERAL_RUN (any operator and case) to RequestEphemeralAgent', () => {
    const requests: JobRequestLike[] = [
      { requestId: 1, demands: ['EPHEMERAL_RUN -equals 42'] },
      { requestId: 2, demands: ['ephemeral_run'] },
      { requestId: 3, demands: [{ name: 'EPHEMERAL_RUN', value: '7' }] },
      { requestId: 4, demands: ['EPHEMERAL_RUNNER -equals 1', 'docker'] },
    ];
    const waiting = countWaitingJobs(requests, { ...template, EPHEMERAL_RUNNER: '1' });
    assert.deepEqual([waiting.ephemeralRun, waiting.count], [3, 1]);
  });

  it('treats only unassigned requests without a result as queued (result 0 means succeeded)', () => {
    assert.equal(isQueued({ requestId: 1 }), true);
    assert.equal(isQueued({ requestId: 1, assignTime: new Date() }), false);
    assert.equal(isQueued({ requestId: 1, reservedAgent: { id: 3 } }), false);
    assert.equal(isQueued({ requestId: 1, result: 0 }), false);
    assert.equal(isQueued({ requestId: 1, finishTime: '2025-01-01T00:00:00Z' }), false);
  });

  it('counts queued requests the template satisfies and says why the others were left out', () => {
    const requests: JobRequestLike[] = [
      { requestId: 1, demands: ['docker', 'Agent.Version -gtVersion 3.220.0'] },
      { requestId: 2, demands: ['Agent.OS -equals Linux'] },
      { requestId: 3, demands: null },
      { requestId: 4, demands: ['EPHEMERAL_RUN -equals 981'] },
      { requestId: 5, demands: ['docker', 'EPHEMERAL_RUN -equals 982'] },
      { requestId: 6, demands: ['java'] },
      { requestId: 7, demands: ['docker'], assignTime: '2025-01-01T00:00:00Z', reservedAgent: { id: 9 } },
      { requestId: 8, demands: ['docker'], result: 'succeeded' },
      { requestId: 2, demands: ['Agent.OS -equals Linux'] },
    ];
    assert.deepEqual(countWaitingJobs(requests, template), { count: 3, lowerBound: false, ephemeralRun: 2, unmatched: 1 });
  });

  it('passes the "at least" flag through and phrases it for the log', () => {
    const many: JobRequestLike[] = Array.from({ length: 200 }, (_, i) => ({ requestId: i, demands: ['docker'] }));
    const waiting = countWaitingJobs(many, template, { lowerBound: true });
    assert.deepEqual(waiting, { count: 200, lowerBound: true, ephemeralRun: 0, unmatched: 0 });
    assert.equal(describeWaiting(waiting), 'at least 200');
    assert.equal(describeWaiting(countWaitingJobs(many.slice(0, 12), template)), '12');
  });
});
