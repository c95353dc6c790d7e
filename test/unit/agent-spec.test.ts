import assert from 'node:assert/strict';
import { buildAgentSpecs } from '../../tasks/common/src/agent-spec';

describe('agent spec', () => {
  const base = {
    names: ['eph-1-abcdef-0'], pool: 'Ephemeral', organizationUrl: 'https://dev.azure.com/contoso/', image: 'img', osType: 'Linux' as const,
    cpu: 1, memoryGB: 2, runId: '1', idleTimeoutMinutes: 15, keepFailedMinutes: 0, capabilities: [], tags: [], now: Date.UTC(2025, 0, 1),
  };

  it('carries the entrypoint settings and the run markers, never a secret', () => {
    const [spec] = buildAgentSpecs({ ...base, capabilities: [['java', '17'], ['EPHEMERAL_GPU', 'none']] });
    assert.deepEqual(spec.env, {
      AZP_URL: 'https://dev.azure.com/contoso', AZP_POOL: 'Ephemeral', AZP_AGENT_NAME: 'eph-1-abcdef-0', AZP_IDLE_TIMEOUT_SECONDS: '900',
      EPHEMERAL_RUN: '1', EPHEMERAL_AGENT: '1', AZP_ENV_KEEP: 'java', java: '17', EPHEMERAL_GPU: 'none',
      // Whose the agent is (ownership.ts): organization, project, pool and kind of run.
      EPHEMERAL_ORG: 'https://dev.azure.com/contoso', EPHEMERAL_PROJECT: '', EPHEMERAL_POOL: 'Ephemeral', EPHEMERAL_RUN_KIND: 'build',
    });
    assert.ok(!('AZP_TOKEN' in spec.env));
  });

  it('tags run, pool, creator and an expiry for sweepers', () => {
    const [spec] = buildAgentSpecs({ ...base, tags: [['costCenter', '42']], keepFailedMinutes: 30 });
    assert.equal(spec.tags.run, '1');
    assert.equal(spec.tags.pool, 'Ephemeral');
    assert.equal(spec.tags.creator, 'ephemeral-agents');
    assert.equal(spec.tags.costCenter, '42');
    assert.equal(spec.tags.keepFailedMinutes, '30');
    assert.equal(spec.tags.expiresAt, new Date(base.now + (15 + 360) * 60_000).toISOString());
  });
});
