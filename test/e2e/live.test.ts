// e2e against a real Azure DevOps organization and Azure subscription: the same bundled tasks and
// the same pipeline as pipeline.test.ts, pointed at Azure by LIVE_* settings (see test/README.md).
// Skipped when they are not set. It creates real (billed) container groups and Batch tasks and
// always releases them.
import assert from 'node:assert/strict';
import type { ReadyInfo } from '../../emulator/src/index';
import type { TaskOutcome } from '../../emulator/src/pipeline-agent';
import { CONNECTION_IDS, PipelineRun } from '../../emulator/src/pipeline-run';
import { assertNoSecretIn, assertSucceeded, requireBundles, TASKS_DIR } from './harness';

const REQUIRED = ['LIVE_ORG_URL', 'LIVE_PAT', 'LIVE_PROJECT_ID', 'LIVE_POOL', 'LIVE_IMAGE', 'LIVE_AZURE_TENANT_ID', 'LIVE_AZURE_CLIENT_ID',
  'LIVE_AZURE_CLIENT_SECRET', 'LIVE_AZURE_SUBSCRIPTION_ID', 'LIVE_RESOURCE_GROUP'] as const;

function liveSettings(): Record<(typeof REQUIRED)[number], string> | undefined {
  const missing = REQUIRED.filter((name) => !process.env[name]);
  if (missing.length === REQUIRED.length) return undefined;
  if (missing.length > 0) throw new Error(`LIVE mode needs ${missing.join(', ')} as well (see test/README.md)`);
  return Object.fromEntries(REQUIRED.map((name) => [name, process.env[name] as string])) as Record<(typeof REQUIRED)[number], string>;
}

/** The real organization and subscription in the shape PipelineRun takes (no emulator, no control API). */
function liveWorld(live: NonNullable<ReturnType<typeof liveSettings>>): ReadyInfo {
  const org = live.LIVE_ORG_URL.endsWith('/') ? live.LIVE_ORG_URL : `${live.LIVE_ORG_URL}/`;
  return {
    entra: process.env.LIVE_AZURE_AUTHORITY ?? 'https://login.microsoftonline.com/',
    arm: process.env.LIVE_ARM_URL ?? 'https://management.azure.com/',
    batch: process.env.LIVE_BATCH_ACCOUNT_URL ?? '',
    devops: org,
    control: '',
    caCertPath: '',
    seed: {
      tenantId: live.LIVE_AZURE_TENANT_ID, clientId: live.LIVE_AZURE_CLIENT_ID, clientSecret: live.LIVE_AZURE_CLIENT_SECRET,
      subscriptionId: live.LIVE_AZURE_SUBSCRIPTION_ID, projectId: live.LIVE_PROJECT_ID, resourceGroup: live.LIVE_RESOURCE_GROUP,
      agentPool: live.LIVE_POOL, image: live.LIVE_IMAGE, pat: live.LIVE_PAT, systemAccessToken: live.LIVE_PAT,
      batchPoolId: process.env.LIVE_BATCH_POOL_ID ?? '', batchAccountName: process.env.LIVE_BATCH_ACCOUNT_NAME ?? '', batchAccountKey: process.env.LIVE_BATCH_ACCOUNT_KEY ?? '',
      clientCertificatePem: '',
    },
  } as unknown as ReadyInfo;
}

describe('e2e LIVE: the bundled tasks against a real organization and subscription', function () {
  this.timeout(30 * 60_000);
  const live = liveSettings();

  before(function () {
    if (!live) this.skip();
    requireBundles();
  });

  async function pipeline(providerInputs: Record<string, string>, secretVariables: Record<string, string>): Promise<TaskOutcome[]> {
    const world = liveWorld(live as NonNullable<typeof live>);
    const run = new PipelineRun(world, { tasksDir: TASKS_DIR, buildId: Number(process.env.LIVE_RUN_ID ?? Date.now() % 1_000_000_000) });
    delete run.env.NODE_EXTRA_CA_CERTS; // real services: the system's CAs
    const common = { ...providerInputs, azureSubscription: CONNECTION_IDS.secret, agentPool: world.seed.agentPool };
    // No job token outside a pipeline: the PAT registers the agents and talks to Azure DevOps.
    const auth = { registration: 'pat', registrationToken: world.seed.pat, devopsAuthentication: 'pat' };
    const secrets = { ...secretVariables, AgentPoolPat: world.seed.pat };
    const provision = run.job('provision');
    const outcomes: TaskOutcome[] = [];
    try {
      outcomes.push(await provision.step('RequestEphemeralAgent', { ...common, ...auth, image: world.seed.image }, { name: 'eph', secretVariables: secrets }));
      assertSucceeded(outcomes[0], 'RequestEphemeralAgent');
      outcomes.push(await provision.step('WaitForAgent', { ...common, devopsAuthentication: 'pat', registrationToken: world.seed.pat, timeoutMinutes: '15' }, { secretVariables: secrets }));
      assertSucceeded(outcomes[1], 'WaitForAgent');
    } finally {
      const released = await run.job('release').step('ReleaseEphemeralAgent', { ...common, devopsAuthentication: 'pat', registrationToken: world.seed.pat }, { secretVariables: secrets });
      outcomes.push(released);
      assertSucceeded(released, 'ReleaseEphemeralAgent');
      for (const o of outcomes) assertNoSecretIn(o, [world.seed.clientSecret, world.seed.pat, world.seed.batchAccountKey], 'live');
    }
    return outcomes;
  }

  it('Container Instances: request, wait until online, release', async () => {
    const world = liveWorld(live as NonNullable<typeof live>);
    const outcomes = await pipeline({ provider: 'aci', resourceGroup: world.seed.resourceGroup }, {});
    assert.match(outcomes[0].variables.demand.value, /^EPHEMERAL_RUN -equals \d+$/);
  });

  it('Batch: request, wait until online, release', async function () {
    const world = liveWorld(live as NonNullable<typeof live>);
    if (!world.batch || !world.seed.batchPoolId) this.skip();
    const key = world.seed.batchAccountKey;
    await pipeline({
      provider: 'batch', batchAccountUrl: world.batch, batchPoolId: world.seed.batchPoolId,
      ...(key ? { batchAuthentication: 'sharedKey', batchAccountName: world.seed.batchAccountName, batchAccountKey: key } : {}),
    }, key ? { BatchAccountKey: key } : {});
  });
});
