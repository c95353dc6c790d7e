// The whole emulated world with real processes: a container group created with the SDK runs our
// entrypoint over the fake agent, the agent comes online, a job queued through the control API
// runs on it, the container terminates with 0, and no secret was found by the job.
import assert from 'node:assert/strict';
import { ClientSecretCredential } from '@azure/identity';
import { ContainerInstanceManagementClient } from '@azure/arm-containerinstance';
import { startEmulator, type Emulator } from '../../emulator/src/emulator';
import { eventually } from './core-harness';

type Json = Record<string, unknown>;

describe('emulator: full flow through ACI, the agent and the control API', function () {
  this.timeout(30_000);
  let emu: Emulator;

  before(async () => {
    emu = await startEmulator({ log: () => undefined });
  });
  after(async () => {
    await emu.stop();
  });

  async function state(): Promise<Json> {
    return (await (await fetch(`${emu.urls.control}/state`)).json()) as Json;
  }

  async function queue(demands: string[]): Promise<Json> {
    const res = await fetch(`${emu.urls.control}/jobs`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ pool: emu.seed.agentPool, demands, durationMs: 100 }),
    });
    assert.equal(res.status, 200);
    return (await res.json()) as Json;
  }

  it('runs a queued job on an ACI agent that then terminates with 0', async () => {
    const credential = new ClientSecretCredential(emu.seed.tenantId, emu.seed.clientId, emu.seed.clientSecret,
      { authorityHost: emu.urls.entra, disableInstanceDiscovery: true });
    const client = new ContainerInstanceManagementClient(credential, emu.seed.subscriptionId,
      { endpoint: emu.urls.arm, credentialScopes: ['https://management.azure.com/.default'] });
    await client.containerGroups.beginCreateOrUpdateAndWait(emu.seed.resourceGroup, 'flow-agent-1', {
      location: emu.seed.location,
      osType: 'Linux',
      restartPolicy: 'Never',
      containers: [{
        name: 'agent',
        image: emu.seed.image,
        resources: { requests: { cpu: 1, memoryInGB: 2 } },
        environmentVariables: [
          { name: 'AZP_URL', value: emu.urls.devops },
          { name: 'AZP_POOL', value: emu.seed.agentPool },
          { name: 'AZP_AGENT_NAME', value: 'flow-agent-1' },
          { name: 'AZP_TOKEN', secureValue: emu.seed.pat },
          { name: 'EPHEMERAL_RUN', value: '4711' },
        ],
      }],
    }, { updateIntervalInMs: 50 });

    const agent = await eventually(async () => {
      const agents = (await state()).agents as Json[];
      return agents.find((a) => a.name === 'flow-agent-1' && a.status === 'online');
    }, 15_000, 'the agent to come online');
    assert.equal((agent.capabilities as Json).EPHEMERAL_RUN, '4711');

    const missing = await queue(['EPHEMERAL_RUN -equals 1234']);
    assert.equal(missing.result, 'failed');

    const { requestId } = await queue(['EPHEMERAL_RUN -equals 4711']);
    const done = await eventually(async () => {
      const requests = (await state()).jobRequests as Json[];
      return requests.find((r) => r.requestId === requestId && r.result !== null);
    }, 15_000, 'the job to finish');
    assert.equal(done.result, 'succeeded');
    assert.equal(done.agentName, 'flow-agent-1');

    const container = await eventually(async () => {
      const groups = (await state()).containerGroups as Json[];
      const c = (groups[0].containers as Json[])[0];
      return c.state === 'Terminated' ? c : undefined;
    }, 15_000, 'the container to terminate');
    assert.equal(container.exitCode, 0);
    const logs = await client.containers.listLogs(emu.seed.resourceGroup, 'flow-agent-1', 'agent');
    assert.match(logs.content ?? '', /Running job: /);
    assert.deepEqual((await state()).secretsSeen, []);
  });
});
