// The emulated managed identity endpoints as @azure/identity's ManagedIdentityCredential calls them:
// the App Service / Container Apps form (IDENTITY_ENDPOINT + IDENTITY_HEADER) and IMDS (whose host
// AZURE_POD_IDENTITY_AUTHORITY_HOST overrides), system- and user-assigned; and the product reading a
// user-assigned identity's client id from the connection's `msiclientId`.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ManagedIdentityCredential } from '@azure/identity';
import { principalIdOf, userIdentityResourceId } from '../../emulator/src/managed-identity';
import { decodeJwt } from '../../emulator/src/tokens';
import { createIdentityCredential } from '../../tasks/common/src/azure-auth';
import { readAzureConnection } from '../../tasks/common/src/params/azure-connection';
import { MemoryTaskIO } from '../unit/fakes/memory-task-io';
import { startTestEmulator, type TestEmulator } from './core-harness';

const DEVOPS_SCOPE = '499b84ac-1321-427f-aa17-267ca6975798/.default';
const MI_VARIABLES = ['IDENTITY_ENDPOINT', 'IDENTITY_HEADER', 'AZURE_POD_IDENTITY_AUTHORITY_HOST', 'MSI_ENDPOINT', 'MSI_SECRET'] as const;

describe('emulator: managed identity endpoints', () => {
  let emu: TestEmulator;
  const saved: Record<string, string | undefined> = {};

  before(async () => {
    emu = await startTestEmulator();
    for (const name of MI_VARIABLES) saved[name] = process.env[name];
  });
  afterEach(() => {
    for (const name of MI_VARIABLES) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
  });
  after(async () => emu?.stop());

  function useAppService(header = emu.seed.identityHeader): void {
    for (const name of MI_VARIABLES) delete process.env[name];
    process.env.IDENTITY_ENDPOINT = emu.urls.managedIdentity;
    process.env.IDENTITY_HEADER = header;
  }

  function useImds(): void {
    for (const name of MI_VARIABLES) delete process.env[name];
    process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST = emu.urls.entra;
  }

  const appIdOf = (token: string) => decodeJwt(token)?.claims.appid;

  it('App Service form: a token per identity, system-assigned without client_id, user-assigned with it; the header is required', async () => {
    useAppService();
    const system = await new ManagedIdentityCredential().getToken(DEVOPS_SCOPE);
    assert.equal(appIdOf(system.token), emu.seed.systemIdentityClientId);
    assert.equal(decodeJwt(system.token)?.claims.aud, '499b84ac-1321-427f-aa17-267ca6975798');
    assert.ok(system.expiresOnTimestamp > Date.now() + 23 * 3600_000, 'managed identity tokens last 24 hours');
    const user = await new ManagedIdentityCredential({ clientId: emu.seed.userIdentityClientId }).getToken(DEVOPS_SCOPE);
    assert.equal(appIdOf(user.token), emu.seed.userIdentityClientId);
    await assert.rejects(new ManagedIdentityCredential({ clientId: 'ffffffff-0000-4000-8000-000000000000' }).getToken(DEVOPS_SCOPE),
      /No User Assigned or Delegated Managed Identity found/);

    const wrongHeader = await fetch(`${emu.urls.managedIdentity}?api-version=2019-08-01&resource=https://management.azure.com/`, { headers: { 'X-IDENTITY-HEADER': 'nope' } });
    assert.equal(wrongHeader.status, 401);
  });

  it('IMDS form: Metadata header required, tokens per client id', async () => {
    useImds();
    const system = await new ManagedIdentityCredential().getToken('https://management.azure.com/.default');
    assert.equal(appIdOf(system.token), emu.seed.systemIdentityClientId);
    const user = await new ManagedIdentityCredential({ clientId: emu.seed.userIdentityClientId }).getToken('https://management.azure.com/.default');
    assert.equal(appIdOf(user.token), emu.seed.userIdentityClientId);
    const noHeader = await fetch(`${emu.urls.entra}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/`);
    assert.equal(noHeader.status, 400);
    assert.equal(((await noHeader.json()) as { error_description: string }).error_description, 'Required metadata header not specified');
  });

  // msal-node keeps the managed identity source it found first for the whole process, so each form
  // runs the real ManagedIdentityCredential in a fresh Node process of its own.
  const CHILD = `
    const { ManagedIdentityCredential } = require('@azure/identity');
    const scope = 'https://management.azure.com/.default';
    const appid = (t) => JSON.parse(Buffer.from(t.split('.')[1], 'base64url')).appid;
    const attempt = (options) => new ManagedIdentityCredential(options).getToken(scope).then((t) => appid(t.token), (e) => 'error: ' + e.message);
    const ids = JSON.parse(process.argv[1]);
    Promise.all([attempt({ resourceId: ids.resourceId }), attempt({ objectId: ids.objectId }),
      attempt({ resourceId: ids.otherResourceId }), attempt({ objectId: ids.otherObjectId })])
      .then((r) => process.stdout.write(JSON.stringify(r)));`;

  async function tokensInChild(env: Record<string, string>): Promise<string[]> {
    const ids = {
      resourceId: userIdentityResourceId(emu.seed),
      objectId: principalIdOf(emu.seed.userIdentityClientId),
      otherResourceId: userIdentityResourceId(emu.seed).replace(/ephemeral-agents$/, 'someone-else'),
      otherObjectId: 'ffffffff-0000-4000-8000-000000000000',
    };
    const base = Object.fromEntries(Object.entries(process.env).filter(([name]) => !(MI_VARIABLES as readonly string[]).includes(name)));
    const { stdout } = await promisify(execFile)(process.execPath, ['-e', CHILD, JSON.stringify(ids)], { env: { ...base, ...env }, timeout: 60_000 });
    return JSON.parse(stdout) as string[];
  }

  it('App Service form: the user-assigned identity named by its resource id (mi_res_id) or object id gets its token; an unknown one gets 400', async () => {
    const [byResourceId, byObjectId, otherResourceId, otherObjectId] = await tokensInChild({ IDENTITY_ENDPOINT: emu.urls.managedIdentity, IDENTITY_HEADER: emu.seed.identityHeader });
    assert.equal(byResourceId, emu.seed.userIdentityClientId);
    assert.equal(byObjectId, emu.seed.userIdentityClientId);
    assert.match(otherResourceId, /No User Assigned or Delegated Managed Identity found/);
    assert.match(otherObjectId, /No User Assigned or Delegated Managed Identity found/);
  });

  it('IMDS form, with the real credential: the user-assigned identity named by its resource id (msi_res_id) or object id gets its token; an unknown one gets 400', async () => {
    const [byResourceId, byObjectId, otherResourceId, otherObjectId] = await tokensInChild({ AZURE_POD_IDENTITY_AUTHORITY_HOST: emu.urls.entra });
    assert.equal(byResourceId, emu.seed.userIdentityClientId);
    assert.equal(byObjectId, emu.seed.userIdentityClientId);
    assert.match(otherResourceId, /Identity not found/);
    assert.match(otherObjectId, /Identity not found/);
  });

  it('IMDS form: the user-assigned identity named by msi_res_id or object_id (as msal-node Imds.mjs sends them) gets its token; an unknown one gets 400', async () => {
    const tokenFor = async (query: string) => {
      const response = await fetch(`${emu.urls.entra}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/&${query}`,
        { headers: { Metadata: 'true' } });
      return { status: response.status, body: (await response.json()) as { access_token?: string; error_description?: string } };
    };
    const byResourceId = await tokenFor(`msi_res_id=${encodeURIComponent(userIdentityResourceId(emu.seed))}`);
    assert.equal(appIdOf(byResourceId.body.access_token ?? ''), emu.seed.userIdentityClientId);
    const byObjectId = await tokenFor(`object_id=${principalIdOf(emu.seed.userIdentityClientId)}`);
    assert.equal(appIdOf(byObjectId.body.access_token ?? ''), emu.seed.userIdentityClientId);
    const unknown = await tokenFor(`msi_res_id=${encodeURIComponent(userIdentityResourceId(emu.seed).replace(/ephemeral-agents$/, 'someone-else'))}`);
    assert.deepEqual([unknown.status, unknown.body.error_description], [400, 'Identity not found']);
    const unknownObject = await tokenFor('object_id=ffffffff-0000-4000-8000-000000000000');
    assert.equal(unknownObject.status, 400);
  });

  it('product: a managed identity connection uses the user-assigned identity named by msiclientId, or the system-assigned one', async () => {
    useAppService();
    const endpoint = (data: Record<string, string>) => ({
      url: 'https://management.azure.com/',
      scheme: 'ManagedServiceIdentity',
      // serviceprincipalid is not where the identity's client id lives; a connection may carry another value there.
      parameters: { tenantid: emu.seed.tenantId, serviceprincipalid: 'not-the-identity' },
      data: { subscriptionId: emu.seed.subscriptionId, environment: 'AzureCloud', ...data },
    });
    const connectionOf = (data: Record<string, string>) =>
      readAzureConnection(new MemoryTaskIO({}, {}, { arm: endpoint(data) }), 'azureSubscription', 'arm');

    const user = connectionOf({ msiclientId: emu.seed.userIdentityClientId });
    assert.equal(user.clientId, emu.seed.userIdentityClientId);
    const userToken = await createIdentityCredential(user, {}).getToken(DEVOPS_SCOPE);
    assert.equal(appIdOf(userToken?.token ?? ''), emu.seed.userIdentityClientId);

    const system = connectionOf({});
    assert.equal(system.clientId, undefined);
    const systemToken = await createIdentityCredential(system, {}).getToken(DEVOPS_SCOPE);
    assert.equal(appIdOf(systemToken?.token ?? ''), emu.seed.systemIdentityClientId);
  });
});
