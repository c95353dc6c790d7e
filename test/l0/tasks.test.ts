// L0 tests: each task's unbundled build run by task-lib's MockTestRunner, cloud SDKs mocked.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { MockTestRunner } from 'azure-pipelines-task-lib/mock-test';

async function run(runner: string): Promise<MockTestRunner> {
  const tr = new MockTestRunner(path.join(__dirname, 'runners', `${runner}.js`));
  // Without it MockTestRunner downloads a Node build (and hangs offline).
  tr.nodePath = process.execPath;
  await tr.runAsync();
  return tr;
}

function cloudCalls(tr: MockTestRunner): string[] {
  return tr.stdout.split(/\r?\n/).filter((l) => l.startsWith('CLOUD ')).map((l) => l.slice('CLOUD '.length));
}

function outputVariable(tr: MockTestRunner, name: string): { value: string; isOutput: boolean } | undefined {
  const match = new RegExp(`##vso\\[task\\.setvariable variable=${name.replace('.', '\\.')};([^\\]]*)\\](.*)`).exec(tr.stdout);
  return match ? { value: match[2].trim(), isOutput: /isOutput=true/i.test(match[1]) } : undefined;
}

describe('L0 RequestEphemeralAgent', function () {
  this.timeout(20_000);

  it('fails on a bad input before any cloud call, naming the input', async () => {
    const tr = await run('request-bad-input');
    assert.ok(tr.failed, tr.stdout);
    assert.ok(tr.errorIssues.some((e) => e.includes("Input 'cpu' must be a number between 0.1 and 4 (ACI limit); got 'abc'")), tr.errorIssues.join('\n'));
    assert.deepEqual(cloudCalls(tr), []);
  });

  it('creates the agents and sets the outputs', async () => {
    const tr = await run('request-happy');
    assert.ok(tr.succeeded, `${tr.stdout}\n${tr.stderr}`);
    const calls = cloudCalls(tr);
    assert.ok(calls.includes('getAgentPools Ephemeral'));
    assert.ok(calls.includes('getToken 499b84ac-1321-427f-aa17-267ca6975798/.default'), calls.join('\n'));
    assert.ok(calls.some((c) => c.startsWith(`ContainerInstanceManagementClient 00000000-0000-4000-8000-0000000005b1 https://management.azure.com https://management.core.windows.net/.default`)), calls.join('\n'));
    const creates = calls.filter((c) => c.startsWith('containerGroups.create'));
    assert.equal(creates.length, 2);
    for (const create of creates) assert.match(create, /^containerGroups\.create build-agents eph-4711-[0-9a-f]{6}-[01] secure=AZP_TOKEN plainToken=false run=4711$/);
    const names = outputVariable(tr, 'agentNames');
    assert.ok(names?.isOutput);
    assert.match(names?.value ?? '', /^eph-4711-[0-9a-f]{6}-0,eph-4711-[0-9a-f]{6}-1$/);
    assert.deepEqual(outputVariable(tr, 'demand'), { value: 'EPHEMERAL_RUN -equals 4711', isOutput: true });
    assert.equal(outputVariable(tr, 'resourceIds')?.isOutput, true);
    const plain = outputVariable(tr, 'EphemeralAgents.Names');
    assert.deepEqual(plain, { value: names?.value, isOutput: false });
    assert.ok(tr.stdout.includes('##vso[task.setsecret]'), 'the registration token is masked');
    const leaks = tr.stdout.split(/\r?\n/).filter((l) => /spn-secret-value|job-access-token-value/.test(l) && !l.startsWith('##vso[task.setsecret]'));
    assert.deepEqual(leaks, [], 'secrets appear only in setsecret commands');
    assert.match(tr.stdout, /##vso\[task\.uploadsummary\]/);
  });
});

describe('L0 WaitForAgent', function () {
  this.timeout(20_000);

  it('succeeds when the agents named by EphemeralAgents.Names are online', async () => {
    const tr = await run('wait-happy');
    assert.ok(tr.succeeded, `${tr.stdout}\n${tr.stderr}`);
    const lists = cloudCalls(tr).filter((c) => c.startsWith('getAgents'));
    assert.deepEqual(lists, ['getAgents 10']);
    // task-lib's mock prints loc keys with their arguments.
    assert.match(tr.stdout, /loc_mock_AgentOnline eph-4711-abcdef-0 \d/);
  });

  it('names the pool it cannot find', async () => {
    const tr = await run('wait-unknown-pool');
    assert.ok(tr.failed);
    assert.ok(tr.errorIssues.some((e) => e.includes("Agent pool 'NoSuchPool' was not found")), tr.errorIssues.join('\n'));
  });
});

describe('L0 ReleaseEphemeralAgent', function () {
  this.timeout(20_000);

  it('disables and deletes the run\'s agent, then its container group, and nothing else', async () => {
    const tr = await run('release-happy');
    assert.ok(tr.succeeded, `${tr.stdout}\n${tr.stderr}`);
    const calls = cloudCalls(tr).filter((c) => /^(updateAgent|deleteAgent|containerGroups\.delete)/.test(c));
    assert.deepEqual(calls, ['updateAgent 1 enabled=false', 'deleteAgent 1', 'containerGroups.delete rg eph-4711-abcdef-0']);
  });
});

describe('L0 ScaleAgentPool', function () {
  this.timeout(20_000);

  it('fails on a queue range that cannot hold before any cloud call, naming the input', async () => {
    const tr = await run('scale-bad-input');
    assert.ok(tr.failed, tr.stdout);
    assert.ok(tr.errorIssues.some((e) => e.includes("Input 'minAgents' (5) must not exceed 'maxAgents' (2)")), tr.errorIssues.join('\n'));
    assert.deepEqual(cloudCalls(tr), []);
  });

  it('fixed mode brings an empty pool to its size in one pass and sets the outputs', async () => {
    const tr = await run('scale-fixed');
    assert.match(tr.stdout, /##vso\[task\.complete result=Succeeded;/, `${tr.stdout}\n${tr.stderr}`);
    assert.deepEqual(tr.warningIssues, []);
    const calls = cloudCalls(tr);
    assert.ok(calls.includes('getAgentPools Standby'), calls.join('\n'));
    const creates = calls.filter((c) => c.startsWith('containerGroups.create')).map((c) => c.split(' ').slice(1, 4).join(' '));
    assert.deepEqual(creates.sort(), ['build-agents lx-0 secure=AZP_TOKEN', 'build-agents lx-1 secure=AZP_TOKEN']);
    assert.deepEqual(outputVariable(tr, 'provisioned'), { value: '2', isOutput: true });
    assert.deepEqual(outputVariable(tr, 'removed'), { value: '0', isOutput: true });
    assert.deepEqual(outputVariable(tr, 'desired'), { value: '2', isOutput: true });
    const leaks = tr.stdout.split(/\r?\n/).filter((l) => /spn-secret-value|job-access-token-value/.test(l) && !l.startsWith('##vso[task.setsecret]'));
    assert.deepEqual(leaks, [], 'secrets appear only in setsecret commands');
    assert.match(tr.stdout, /##vso\[task\.uploadsummary\]/);
  });
});
