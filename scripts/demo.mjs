// The local end-to-end demo (npm start): starts the emulator and runs the bundled tasks the way the
// pipeline in DESIGN.md does — provision two agents on Container Instances and one on Batch, wait
// for them, run one job on each, release everything — then prints a timeline and checks that nothing
// is left behind and no job saw a registration secret. Exits non-zero if any of that fails.
import { createRequire } from 'node:module';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const require = createRequire(import.meta.url);
const { startEmulator } = require(path.join(root, 'build/emulator/src/index.js'));
const { PipelineRun, CONNECTION_IDS } = require(path.join(root, 'build/emulator/src/pipeline-run.js'));
const { callControl } = require(path.join(root, 'build/emulator/src/control-client.js'));

const started = Date.now();
const stamp = () => `${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s`;
const say = (text) => console.log(`${stamp()}  ${text}`);

const control = (world, method, route, body) => callControl(world.control, method, route, body, world.caCertPath);

function expectSucceeded(step, outcome) {
  const issues = outcome.issues.map((i) => `    ${i.type}: ${i.message}`).join('\n');
  say(`${step}: ${outcome.result}: ${outcome.message}${issues ? `\n${issues}` : ''}`);
  if (outcome.result !== 'Succeeded') {
    console.error(outcome.log);
    throw new Error(`${step} did not succeed`);
  }
}

async function main() {
  say('starting the emulator (Entra ID, ARM Container Instances, Batch, Azure DevOps on 127.0.0.1)');
  const emulator = await startEmulator({ log: () => {} });
  const world = emulator.readyInfo();
  // Child processes (the tasks) trust the emulator's certificate authority the way they would a real one.
  process.env.NODE_EXTRA_CA_CERTS = world.caCertPath;
  const { seed } = world;
  const run = new PipelineRun(world);
  let failed = false;
  try {
    say(`pipeline run ${run.buildId}: organization ${world.devops}, pool '${seed.agentPool}'`);
    const common = { azureSubscription: CONNECTION_IDS.workloadIdentity, agentPool: seed.agentPool, image: seed.image };

    const provisionAci = run.job('provision_aci');
    const provisionBatch = run.job('provision_batch');
    say('jobs provision_aci and provision_batch start (RequestEphemeralAgent@1 then WaitForAgent@1 each)');
    await Promise.all([
      (async () => {
        expectSucceeded('provision_aci / RequestEphemeralAgent', await provisionAci.step('RequestEphemeralAgent',
          { ...common, provider: 'aci', resourceGroup: seed.resourceGroup, count: '2' }, { name: 'eph' }));
        expectSucceeded('provision_aci / WaitForAgent', await provisionAci.step('WaitForAgent', { agentPool: seed.agentPool, timeoutMinutes: '5' }));
      })(),
      (async () => {
        expectSucceeded('provision_batch / RequestEphemeralAgent', await provisionBatch.step('RequestEphemeralAgent', {
          ...common, provider: 'batch', batchAccountUrl: world.batch, batchPoolId: seed.batchPoolId,
          batchAuthentication: 'sharedKey', batchAccountName: seed.batchAccountName, batchAccountKey: seed.batchAccountKey,
        }, { name: 'eph' }));
        expectSucceeded('provision_batch / WaitForAgent', await provisionBatch.step('WaitForAgent', { agentPool: seed.agentPool, timeoutMinutes: '5' }));
      })(),
    ]);

    const demand = `EPHEMERAL_RUN -equals ${run.buildId}`;
    say(`job build (x3, matrix) is queued to pool '${seed.agentPool}' with demand '${demand}'`);
    const queued = await Promise.all([1, 2, 3].map(() => control(world, 'POST', 'jobs', { pool: seed.agentPool, demands: [demand], durationMs: 1500 })));
    const ids = queued.map((q) => q.requestId);
    for (;;) {
      const state = await control(world, 'GET', 'state');
      const requests = state.jobRequests.filter((r) => ids.includes(r.requestId));
      if (requests.every((r) => r.result)) {
        for (const r of requests) say(`build job request ${r.requestId} ran on ${r.agentName}: ${r.result}`);
        if (requests.some((r) => r.result !== 'succeeded')) throw new Error('a build job did not succeed');
        if (new Set(requests.map((r) => r.agentName)).size !== requests.length) throw new Error('an agent took more than one job');
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }

    const release = run.job('release');
    say('job release starts (condition: always())');
    expectSucceeded('release / ReleaseEphemeralAgent (aci)', await release.step('ReleaseEphemeralAgent',
      { azureSubscription: CONNECTION_IDS.workloadIdentity, agentPool: seed.agentPool, provider: 'aci', resourceGroup: seed.resourceGroup }));
    expectSucceeded('release / ReleaseEphemeralAgent (batch)', await release.step('ReleaseEphemeralAgent', {
      azureSubscription: CONNECTION_IDS.workloadIdentity, agentPool: seed.agentPool, provider: 'batch', batchAccountUrl: world.batch,
      batchPoolId: seed.batchPoolId, batchAuthentication: 'sharedKey', batchAccountName: seed.batchAccountName, batchAccountKey: seed.batchAccountKey,
    }));

    const state = await control(world, 'GET', 'state');
    const left = [
      ...state.containerGroups.map((g) => `container group ${g.name}`),
      ...state.batchTasks.map((t) => `Batch task ${t.id}`),
      ...state.agents.map((a) => `agent ${a.name}`),
    ];
    say(left.length ? `left behind: ${left.join(', ')}` : 'left behind: nothing (no container group, Batch task or agent registration)');
    say(state.secretsSeen.length ? `secrets seen by jobs: ${JSON.stringify(state.secretsSeen)}` : 'secrets seen by jobs: none');
    if (left.length || state.secretsSeen.length) failed = true;
  } catch (error) {
    console.error(`demo failed: ${error instanceof Error ? error.message : error}`);
    failed = true;
  } finally {
    await emulator.stop();
  }
  say(failed ? 'demo FAILED' : 'demo done');
  process.exit(failed ? 1 : 0);
}

await main();
