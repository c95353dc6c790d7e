// LIVE only: the rules of the real services that the emulator was made to enforce, checked against
// the real ones, so a wrong rule shows here and not in a user's pipeline (issue 11). Same LIVE_*
// settings as live.test.ts (test/README.md); each check skips when its optional settings are missing.
// The Batch checks add a task to a job of their own and delete the job afterwards.
import assert from 'node:assert/strict';
import { BatchServiceClient, BatchSharedKeyCredentials, type BatchServiceModels } from '@azure/batch';
import { ClientSecretCredential, ManagedIdentityCredential } from '@azure/identity';
import { batchScope, DEVOPS_SCOPE } from '../../tasks/common/src/azure-auth';
import { createRegistrationTokenSource, MIN_REGISTRATION_LIFE_MS } from '../../tasks/common/src/devops/token-source';
import { readAzureConnection } from '../../tasks/common/src/params/azure-connection';
import { systemClock } from '../../tasks/common/src/clock';
import { MemoryTaskIO } from '../unit/fakes/memory-task-io';

const env = (name: string): string | undefined => process.env[name] || undefined;
const live = Boolean(env('LIVE_ORG_URL') && env('LIVE_AZURE_TENANT_ID') && env('LIVE_AZURE_CLIENT_ID') && env('LIVE_AZURE_CLIENT_SECRET'));

function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as Record<string, unknown>;
}

describe('e2e LIVE: the real services confirm the rules the emulator enforces', function () {
  this.timeout(20 * 60_000);

  before(function () {
    if (!live) this.skip();
  });

  const authority = () => env('LIVE_AZURE_AUTHORITY') ?? 'https://login.microsoftonline.com/';
  const servicePrincipal = () => new ClientSecretCredential(env('LIVE_AZURE_TENANT_ID') as string, env('LIVE_AZURE_CLIENT_ID') as string,
    env('LIVE_AZURE_CLIENT_SECRET') as string, { authorityHost: authority() });

  it('Entra gives a fresh Azure DevOps token at least 45 minutes of life, and the registration source mints one per create', async () => {
    const credential = servicePrincipal();
    const first = await credential.getToken(DEVOPS_SCOPE);
    assert.ok(first.expiresOnTimestamp - Date.now() >= MIN_REGISTRATION_LIFE_MS, `only ${Math.round((first.expiresOnTimestamp - Date.now()) / 60_000)} minutes`);
    const lifetime = Number(claimsOf(first.token).exp) - Number(claimsOf(first.token).iat);
    assert.ok(lifetime >= 60 * 60 && lifetime <= 90 * 60 + 300, `exp - iat = ${lifetime} s, not the 60-90 minutes the emulator gives`);

    const warnings: string[] = [];
    const fresh = { getToken: (scopes: string | string[]) => servicePrincipal().getToken(scopes) };
    const mint = createRegistrationTokenSource({ mode: 'azureServiceConnection', connection: { input: 'azureSubscription' } as never }, fresh, () => undefined,
      { clock: systemClock, warn: (w) => warnings.push(w) });
    const [a, b] = [await mint(), await mint()];
    assert.notEqual(a, b, 'each create gets a token of its own');
    assert.deepEqual(warnings, []);
  });

  it('a managed identity connection with msiclientId gets tokens for that user-assigned identity (LIVE_MI_CLIENT_ID, on an Azure host)', async function () {
    const clientId = env('LIVE_MI_CLIENT_ID');
    if (!clientId) this.skip();
    const io = new MemoryTaskIO({}, {}, {
      mi: { url: 'https://management.azure.com/', scheme: 'ManagedServiceIdentity', parameters: { tenantid: env('LIVE_AZURE_TENANT_ID') as string },
        data: { msiclientId: clientId as string } },
    });
    const connection = readAzureConnection(io, 'azureSubscription', 'mi');
    assert.equal(connection.clientId, clientId);
    const token = await new ManagedIdentityCredential({ clientId: connection.clientId as string }).getToken(DEVOPS_SCOPE);
    assert.equal(claimsOf(token.token).appid, clientId);
  });

  it('the open job requests listing: completedRequestCount=0 alone answers unfinished requests without a continuation header', async () => {
    const org = (env('LIVE_ORG_URL') as string).replace(/\/?$/, '/');
    const pools = await fetch(`${org}_apis/distributedtask/pools?poolName=${encodeURIComponent(env('LIVE_POOL') ?? '')}&api-version=7.1`, {
      headers: { Authorization: `Basic ${Buffer.from(`:${env('LIVE_PAT') ?? ''}`).toString('base64')}` },
    });
    assert.equal(pools.status, 200);
    const pool = ((await pools.json()) as { value: Array<{ id: number }> }).value[0];
    assert.ok(pool, 'LIVE_POOL exists');
    const res = await fetch(`${org}_apis/distributedtask/pools/${pool.id}/jobrequests?completedRequestCount=0&api-version=7.1`, {
      headers: { Authorization: `Basic ${Buffer.from(`:${env('LIVE_PAT') ?? ''}`).toString('base64')}` },
    });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { value: Array<{ finishTime?: string }> };
    assert.ok(body.value.every((r) => !r.finishTime), 'no finished request');
    assert.equal(res.headers.get('x-ms-continuationtoken'), null, 'the answer is not paged');
  });

  it('Batch: a pool-scope admin auto-user is root in the container, a task-scope nonadmin one is not; the token scope follows the account URL', async function () {
    const accountUrl = env('LIVE_BATCH_ACCOUNT_URL');
    const poolId = env('LIVE_BATCH_POOL_ID');
    if (!accountUrl || !poolId) this.skip();
    const key = env('LIVE_BATCH_ACCOUNT_KEY');
    const scope = batchScope(accountUrl as string);
    const credentials = key
      ? new BatchSharedKeyCredentials(env('LIVE_BATCH_ACCOUNT_NAME') as string, key)
      : { signRequest: async <T extends { headers: { set(n: string, v: string): void } }>(r: T) => {
        r.headers.set('authorization', `Bearer ${(await servicePrincipal().getToken(scope)).token}`);
        return r;
      } };
    const client = new BatchServiceClient(credentials as never, accountUrl as string);
    const jobId = `live-rules-${Date.now()}`;
    await client.job.add({ id: jobId, poolInfo: { poolId: poolId as string } });
    try {
      const task = (id: string, userIdentity: BatchServiceModels.UserIdentity): BatchServiceModels.TaskAddParameter => ({
        id, commandLine: '/bin/sh -c "id -u"', containerSettings: { imageName: env('LIVE_IMAGE') as string }, userIdentity,
      });
      await client.task.add(jobId, task('admin', { autoUser: { scope: 'pool', elevationLevel: 'admin' } }));
      await client.task.add(jobId, task('nonadmin', { autoUser: { scope: 'task', elevationLevel: 'nonadmin' } }));
      const done = async (id: string) => {
        for (;;) {
          const t = await client.task.get(jobId, id);
          if (t.state === 'completed') return t;
          await new Promise((resolve) => setTimeout(resolve, 10_000));
        }
      };
      const uid = async (id: string) => {
        await done(id);
        const file = await client.file.getFromTask(jobId, id, 'stdout.txt');
        let text = '';
        for await (const chunk of file.readableStreamBody as AsyncIterable<Buffer>) text += chunk.toString('utf8');
        return text.trim();
      };
      assert.equal(await uid('admin'), '0', 'the product\'s task user is root in the container');
      assert.notEqual(await uid('nonadmin'), '0', 'the emulator runs a nonadmin task unprivileged');
    } finally {
      await client.job.deleteMethod(jobId).catch(() => undefined);
    }
  });

  it('ACI refuses a Spot container group in a subnet (LIVE_SUBNET_ID): the error the emulator answers with', async function () {
    const subnetId = env('LIVE_SUBNET_ID');
    if (!subnetId) this.skip();
    const arm = (env('LIVE_ARM_URL') ?? 'https://management.azure.com/').replace(/\/?$/, '/');
    const token = await servicePrincipal().getToken(`${arm}.default`);
    const url = `${arm}subscriptions/${env('LIVE_AZURE_SUBSCRIPTION_ID')}/resourceGroups/${env('LIVE_RESOURCE_GROUP')}` +
      `/providers/Microsoft.ContainerInstance/containerGroups/live-spot-vnet-${Date.now()}?api-version=2023-05-01`;
    const res = await fetch(url, {
      method: 'PUT',
      headers: { Authorization: `Bearer ${token.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        location: env('LIVE_LOCATION') ?? 'westeurope',
        properties: {
          osType: 'Linux', restartPolicy: 'Never', priority: 'Spot', subnetIds: [{ id: subnetId }],
          containers: [{ name: 'c', properties: { image: 'mcr.microsoft.com/azuredocs/aci-helloworld', resources: { requests: { cpu: 1, memoryInGB: 1 } } } }],
        },
      }),
    });
    const body = (await res.json()) as { error?: { code?: string; message?: string } };
    if (res.status < 300) await fetch(url, { method: 'DELETE', headers: { Authorization: `Bearer ${token.token}` } });
    // The emulator's code is unverified: this line is what to copy into emulator/src/arm/validation.ts.
    console.log(`ACI answered ${res.status} ${body.error?.code}: ${body.error?.message}`);
    assert.equal(res.status, 400);
  });
});
