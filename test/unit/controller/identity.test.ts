// The controller's identity from the environment, in @azure/identity's order, and how pass rows and
// client retries become log events.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../../controller/src/config';
import { armAudienceOf, identityFromEnvironment } from '../../../controller/src/identity';
import { changeEvent, classifyLine, controllerOwner } from '../../../controller/src/pool-runner';

const ARM = 'https://management.azure.com/';
const base = { AZURE_TENANT_ID: 'tenant', AZURE_CLIENT_ID: 'client' };

describe('controller identity and log events', () => {
  it('picks the identity the way @azure/identity reads the environment', async () => {
    assert.equal(identityFromEnvironment({ ...base, AZURE_CLIENT_SECRET: 's3cret-value' }, ARM).endpoint.scheme, 'ServicePrincipal');
    const pem = path.join(mkdtempSync(path.join(tmpdir(), 'id-')), 'cert.pem');
    writeFileSync(pem, '-----BEGIN CERTIFICATE-----\n...\n');
    const cert = identityFromEnvironment({ ...base, AZURE_CLIENT_CERTIFICATE_PATH: pem }, ARM).endpoint;
    assert.equal(cert.authParameter('authenticationType'), 'spnCertificate');
    assert.match(String(cert.authParameter('servicePrincipalCertificate')), /BEGIN CERTIFICATE/);
    const tokenFile = path.join(path.dirname(pem), 'token');
    writeFileSync(tokenFile, 'eyJfederated\n');
    const federated = identityFromEnvironment({ ...base, AZURE_FEDERATED_TOKEN_FILE: tokenFile }, ARM);
    assert.equal(federated.endpoint.scheme, 'WorkloadIdentityFederation');
    assert.equal(await federated.getOidcToken?.(), 'eyJfederated');
    const managed = identityFromEnvironment({ AZURE_CLIENT_ID: 'client' }, ARM).endpoint;
    assert.equal(managed.scheme, 'ManagedServiceIdentity');
    assert.equal(managed.data('msiclientId'), 'client');
    assert.equal(identityFromEnvironment({}, ARM).endpoint.scheme, 'ManagedServiceIdentity');
    assert.equal(identityFromEnvironment({ ...base, AZURE_CLIENT_SECRET: 'x', AZURE_AUTHORITY_HOST: 'https://login.microsoftonline.us/' }, ARM).endpoint.data('activeDirectoryAuthority'), 'https://login.microsoftonline.us/');
  });

  it('refuses an incomplete or insecure identity before any call', () => {
    const fails = (env: NodeJS.ProcessEnv, key: string) => assert.throws(() => identityFromEnvironment(env, ARM), (e: unknown) => e instanceof ConfigError && e.key === key);
    fails({ AZURE_CLIENT_SECRET: 'x', AZURE_CLIENT_ID: 'c' }, 'AZURE_TENANT_ID');
    fails({ ...base, AZURE_CLIENT_SECRET: 'x', AZURE_AUTHORITY_HOST: 'http://login.example/' }, 'AZURE_AUTHORITY_HOST');
    fails({ ...base, AZURE_CLIENT_CERTIFICATE_PATH: '/nonexistent.pem' }, 'AZURE_CLIENT_CERTIFICATE_PATH');
  });

  it('asks each Azure cloud for its own Resource Manager audience', () => {
    assert.equal(armAudienceOf('https://management.azure.com/'), 'https://management.core.windows.net/');
    assert.equal(armAudienceOf('https://management.usgovcloudapi.net/'), 'https://management.core.usgovcloudapi.net/');
    assert.equal(armAudienceOf('https://management.chinacloudapi.cn'), 'https://management.core.chinacloudapi.cn/');
  });

  it('turns scaler rows and client retries into change and throttled events', () => {
    assert.equal(changeEvent('created'), 'created');
    assert.equal(changeEvent('recreated'), 'created');
    assert.equal(changeEvent('scaled in'), 'removed');
    assert.equal(changeEvent('cleaned up'), 'removed');
    assert.equal(changeEvent('swept'), 'swept');
    assert.equal(changeEvent('left to a concurrent run'), undefined);
    assert.deepEqual(classifyLine('Azure DevOps list agents: 429 Too Many Requests; retry 1 in 3000 ms'), { event: 'throttled' });
    assert.equal(classifyLine('Pass 1: waiting=0'), undefined);
  });

  it('owns a pool under one stable name across restarts and --once runs', () => {
    const a = controllerOwner('https://dev.azure.com/contoso/', 'Ephemeral', 'eph');
    assert.equal(a, controllerOwner('https://dev.azure.com/Contoso/', 'ephemeral', 'eph'));
    assert.notEqual(a, controllerOwner('https://dev.azure.com/contoso/', 'Ephemeral', 'other'));
    assert.match(a, /^controller-[0-9a-f]{12}$/);
  });
});
