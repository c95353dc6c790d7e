import assert from 'node:assert/strict';
import type { AccessToken } from '@azure/core-auth';
import { armClientOptions, batchScope, createIdentityCredential, credentialKind, isTransientTokenError, needsInstanceDiscoveryDisabled, RefreshingCredential, scopeFor, TOKEN_ATTEMPTS } from '../../tasks/common/src/azure-auth';
import { CloudError } from '../../tasks/common/src/errors';
import type { AzureConnection } from '../../tasks/common/src/params/azure-connection';
import { FakeClock } from './fakes/fake-clock';

const base: AzureConnection = {
  id: 'c1', input: 'azureSubscription', scheme: 'ServicePrincipal', tenantId: 't', clientId: 'c', armUrl: 'https://127.0.0.1:8443/',
  authorityHost: 'https://127.0.0.1:8444/', armResource: 'https://management.core.windows.net/', authenticationType: 'spnKey', clientSecret: 's',
};

/** A stand-in for @azure/identity that records which class was built with which arguments. */
function fakeIdentity() {
  const built: Array<{ kind: string; args: unknown[] }> = [];
  const make = (kind: string) => class {
    constructor(...args: unknown[]) { built.push({ kind, args }); }
    async getToken() { return null; }
  };
  const module = {
    ClientSecretCredential: make('ClientSecretCredential'),
    ClientCertificateCredential: make('ClientCertificateCredential'),
    ClientAssertionCredential: make('ClientAssertionCredential'),
    ManagedIdentityCredential: make('ManagedIdentityCredential'),
  } as unknown as typeof import('@azure/identity');
  return { built, module };
}

describe('Azure authentication', () => {
  it('picks the credential class from the connection scheme', () => {
    assert.equal(credentialKind(base), 'ClientSecretCredential');
    assert.equal(credentialKind({ ...base, authenticationType: 'spnCertificate' }), 'ClientCertificateCredential');
    assert.equal(credentialKind({ ...base, scheme: 'WorkloadIdentityFederation' }), 'ClientAssertionCredential');
    assert.equal(credentialKind({ ...base, scheme: 'ManagedServiceIdentity' }), 'ManagedIdentityCredential');
  });

  it('passes the authority and disables instance discovery for a custom authority', () => {
    const { built, module } = fakeIdentity();
    createIdentityCredential(base, {}, module);
    assert.equal(built[0].kind, 'ClientSecretCredential');
    assert.deepEqual(built[0].args.slice(0, 3), ['t', 'c', 's']);
    // retryOptions: RefreshingCredential is the one retry layer for token requests.
    assert.deepEqual(built[0].args[3], { authorityHost: 'https://127.0.0.1:8444/', disableInstanceDiscovery: true, retryOptions: { maxRetries: 0 }, proxyOptions: undefined });
    assert.equal(needsInstanceDiscoveryDisabled('https://login.microsoftonline.com/'), false);
  });

  it('hands the PEM to the certificate credential', () => {
    const { built, module } = fakeIdentity();
    createIdentityCredential({ ...base, authenticationType: 'spnCertificate', certificatePem: '-----BEGIN CERTIFICATE-----' }, {}, module);
    assert.deepEqual(built[0].args[2], { certificate: '-----BEGIN CERTIFICATE-----' });
  });

  it('fetches a fresh OIDC token for every assertion (workload identity)', async () => {
    const { built, module } = fakeIdentity();
    let fetched = 0;
    createIdentityCredential({ ...base, scheme: 'WorkloadIdentityFederation' }, { getOidcToken: async () => `oidc-${++fetched}` }, module);
    const callback = built[0].args[2] as () => Promise<string>;
    assert.equal(await callback(), 'oidc-1');
    assert.equal(await callback(), 'oidc-2');
    assert.throws(() => createIdentityCredential({ ...base, scheme: 'WorkloadIdentityFederation' }, {}, module), /OIDC token/);
  });

  it('asks for the Batch token of the account\'s cloud: by the account URL\'s domain, else the connection\'s environment', () => {
    assert.equal(batchScope('https://acct.westeurope.batch.azure.com'), 'https://batch.core.windows.net/.default');
    assert.equal(batchScope('https://acct.usgovvirginia.batch.usgovcloudapi.net'), 'https://batch.core.usgovcloudapi.net/.default');
    assert.equal(batchScope('https://acct.chinanorth2.batch.chinacloudapi.cn'), 'https://batch.chinacloudapi.cn/.default');
    // A private endpoint or a proxy name says nothing of the cloud: the connection's environment does.
    assert.equal(batchScope('https://batch.internal.example', 'AzureUSGovernment'), 'https://batch.core.usgovcloudapi.net/.default');
    assert.equal(batchScope('https://batch.internal.example', 'AzureChinaCloud'), 'https://batch.chinacloudapi.cn/.default');
    assert.equal(batchScope('https://batch.internal.example', 'AzureCloud'), 'https://batch.core.windows.net/.default');
    assert.equal(batchScope('https://batch.internal.example'), 'https://batch.core.windows.net/.default');
  });

  it('gives ARM clients the connection endpoint and audience', () => {
    // retryOptions: the provider's retryCloudCall is the one retry layer (a persistent 500 made 24 PUTs per agent with the SDK's on top).
    assert.deepEqual(armClientOptions(base), {
      endpoint: 'https://127.0.0.1:8443', credentialScopes: ['https://management.core.windows.net/.default'], retryOptions: { maxRetries: 0 }, proxyOptions: undefined,
    });
    assert.equal(scopeFor('499b84ac-1321-427f-aa17-267ca6975798'), '499b84ac-1321-427f-aa17-267ca6975798/.default');
    const withProxy = armClientOptions(base, { proxyUrl: 'http://proxy.local:3128', proxyUsername: 'u', proxyPassword: 'p' });
    assert.deepEqual(withProxy.proxyOptions, { host: 'http://proxy.local', port: 3128, username: 'u', password: 'p' });
  });

  it('reuses a token until less than 5 minutes remain, then renews it', async () => {
    const clock = new FakeClock();
    let issued = 0;
    const credential = new RefreshingCredential({
      getToken: async (): Promise<AccessToken> => ({ token: `t${++issued}`, expiresOnTimestamp: clock.now() + 60 * 60_000 }),
    }, clock);
    assert.equal((await credential.getToken('s/.default')).token, 't1');
    clock.time += 54 * 60_000;
    assert.equal((await credential.getToken('s/.default')).token, 't1');
    clock.time += 2 * 60_000;
    assert.equal((await credential.getToken('s/.default')).token, 't2');
    const [a, b] = await Promise.all([credential.getToken('other/.default'), credential.getToken('other/.default')]);
    assert.equal(a.token, b.token);
  });

  it('retries a token service outage (503 on the metadata document, a reset) within a bounded number of attempts', async () => {
    const clock = new FakeClock();
    let calls = 0;
    const outage = (n: number) => new RefreshingCredential({
      getToken: async (): Promise<AccessToken> => {
        if (++calls <= n) throw Object.assign(new Error('network_error: See https://aka.ms/msal.js.errors#network_error for details'), { name: 'AuthenticationError' });
        return { token: 'ok', expiresOnTimestamp: clock.now() + 3_600_000 };
      },
    }, clock);
    assert.equal((await outage(4).getToken('s/.default')).token, 'ok');
    assert.equal(calls, 5);
    calls = 0;
    const error = await outage(100).getToken('s/.default').catch((e: unknown) => e);
    assert.ok(error instanceof CloudError, 'after the attempts, one error the callers do not retry again');
    assert.equal(calls, TOKEN_ATTEMPTS);
  });

  it('does not retry a credential Entra refuses', async () => {
    let calls = 0;
    const refused = Object.assign(new Error('AADSTS7000215: Invalid client secret provided.'), { name: 'AuthenticationError', statusCode: 401, errorResponse: { error: 'invalid_client' } });
    assert.equal(isTransientTokenError(refused), false);
    const credential = new RefreshingCredential({ getToken: async () => { calls++; throw refused; } }, new FakeClock());
    await assert.rejects(credential.getToken('s/.default'), /AADSTS7000215/);
    assert.equal(calls, 1);
    assert.equal(isTransientTokenError(Object.assign(new Error('x'), { statusCode: 503 })), true);
    // How @azure/identity reports a metadata document it could not fetch.
    assert.equal(isTransientTokenError(Object.assign(new Error('endpoints_resolution_error: See https://aka.ms/msal.js.errors#endpoints_resolution_error'), { name: 'CredentialUnavailableError' })), true);
    assert.equal(isTransientTokenError(Object.assign(new Error('ManagedIdentityCredential: no endpoint'), { name: 'CredentialUnavailableError' })), false);
  });
});
