// The whole emulated world at once: a container group created with @azure/arm-containerinstance runs
// the real entrypoint (images/linux/start.sh) over the fake agent, which comes online, runs a job
// queued through the control API and exits; the container terminates with 0 and no job saw the
// registration secret. A job whose demands match no registration fails at once.
import assert from 'node:assert/strict';
import { ClientSecretCredential } from '@azure/identity';
import { ContainerInstanceManagementClient } from '@azure/arm-containerinstance';
import { startEmulator, type Emulator } from '../../emulator/src/emulator';
import { eventually } from './core-harness';

interface State {
  agents: { name: string; status: string; capabilities: Record<string, string> }[];
  jobRequests: { requestId: number; result?: string; agentName?: string; finishTime?: string }[];
  secretsSeen: { agentName: string; where: string }[];
  containerGroups: { name: string; containers: { name: string; state: string; exitCode?: number }[] }[];
}

describe('emulator: full flow (ACI container -> entrypoint -> fake agent -> job)', () => {
  let emu: Emulator;
  let aci: ContainerInstanceManagementClient;

  async function control<T>(method: string, route: string, body?: unknown): Promise<{ status: number; body: T }> {
    const res = await fetch(`${emu.urls.control.replace(/\/$/, '')}/${route}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as T };
  }

  before(async () => {
    emu = await startEmulator({ log: () => undefined, options: { devopsLongPollMs: 500 } });
    const credential = new ClientSecretCredential(emu.seed.tenantId, emu.seed.clientId, emu.seed.clientSecret, {
      authorityHost: emu.urls.entra,
      disableInstanceDiscovery: true,
    });
    aci = new ContainerInstanceManagementClient(credential, emu.seed.subscriptionId, {
      endpoint: emu.urls.arm,
      credentialScopes: ['https://management.azure.com/.default'],
    });
  });
  after(async () => emu?.stop());

  it('runs a queued job on an ACI agent and terminates the container with 0, the secret unseen', async () => {
    const seed = emu.seed;
    await aci.containerGroups.beginCreateOrUpdateAndWait(seed.resourceGroup, 'agent-run-77', {
      location: seed.location,
      osType: 'Linux',
      restartPolicy: 'Never',
      containers: [{
        name: 'agent',
        image: seed.image,
        resources: { requests: { cpu: 1, memoryInGB: 2 } },
        environmentVariables: [
          { name: 'AZP_URL', value: emu.urls.devops },
          { name: 'AZP_POOL', value: seed.agentPool },
          { name: 'AZP_AGENT_NAME', value: 'agent-run-77' },
          { name: 'AZP_TOKEN', secureValue: seed.pat },
          { name: 'EPHEMERAL_RUN', value: '77' },
        ],
      }],
    }, { updateIntervalInMs: 50 });

    const online = await eventually(async () => {
      const { body } = await control<State>('GET', 'state');
      return body.agents.find((a) => a.name === 'agent-run-77' && a.status === 'online');
    }, 15_000, 'the agent online');
    assert.equal(online.capabilities.EPHEMERAL_RUN, '77');
    assert.equal(JSON.stringify(online.capabilities).includes(seed.pat), false);

    const queued = await control<{ requestId: number; result?: string }>('POST', 'jobs', { pool: seed.agentPool, demands: ['EPHEMERAL_RUN -equals 77'], durationMs: 300 });
    assert.equal(queued.status, 200);
    assert.equal(queued.body.result, undefined);

    const container = await eventually(async () => {
      const group = await aci.containerGroups.get(seed.resourceGroup, 'agent-run-77');
      const state = group.containers[0].instanceView?.currentState;
      return state?.state === 'Terminated' ? state : undefined;
    }, 15_000, 'the container terminated');
    assert.equal(container.exitCode, 0);

    const { body: state } = await control<State>('GET', 'state');
    const request = state.jobRequests.find((r) => r.requestId === queued.body.requestId);
    assert.equal(request?.result, 'succeeded');
    assert.equal(request?.agentName, 'agent-run-77');
    assert.deepEqual(state.secretsSeen, []);
    const logs = await aci.containers.listLogs(seed.resourceGroup, 'agent-run-77', 'agent');
    assert.match(logs.content ?? '', /Running job: /);
  });

  it('fails a job whose demands match no registration at once', async () => {
    const { status, body } = await control<{ requestId: number; result?: string; message?: string }>('POST', 'jobs', {
      pool: emu.seed.agentPool,
      demands: ['EPHEMERAL_RUN -equals nothing-matches'],
    });
    assert.equal(status, 200);
    assert.equal(body.result, 'failed');
    assert.equal(body.message, `No agent found in pool ${emu.seed.agentPool} which satisfies the specified demands`);
  });
});
