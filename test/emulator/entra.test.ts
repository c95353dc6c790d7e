// Entra ID as @azure/identity sees it: the three client-credential flows, the real error codes, and
// the audiences the other emulated services accept.
import assert from 'node:assert/strict';
import { createHash, createPrivateKey, randomUUID, sign, X509Certificate } from 'node:crypto';
import { ClientAssertionCredential, ClientCertificateCredential, ClientSecretCredential } from '@azure/identity';
import { audienceAllowed, decodeJwt, devopsOidcIssuer, FEDERATION_AUDIENCE, issueDevOpsOidcToken } from '../../emulator/src/tokens';
import { startTestEmulator, type TestEmulator } from './core-harness';

const ARM_SCOPE = 'https://management.azure.com/.default';
const DEVOPS_SCOPE = '499b84ac-1321-427f-aa17-267ca6975798/.default';

describe('emulator: Entra ID', () => {
  let emu: TestEmulator;
  const options = () => ({ authorityHost: emu.urls.entra, disableInstanceDiscovery: true });

  before(async () => {
    emu = await startTestEmulator();
  });
  after(async () => {
    await emu.stop();
  });

  async function tokenRequest(form: Record<string, string>, tenant = emu.seed.tenantId): Promise<{ status: number; body: Record<string, unknown> }> {
    const res = await fetch(`${emu.urls.entra}/${tenant}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  it('serves the OpenID configuration MSAL resolves the authority with', async () => {
    const res = await fetch(`${emu.urls.entra}/${emu.seed.tenantId}/v2.0/.well-known/openid-configuration`);
    assert.equal(res.status, 200);
    const config = (await res.json()) as Record<string, string>;
    assert.equal(config.token_endpoint, `${emu.urls.entra}/${emu.seed.tenantId}/oauth2/v2.0/token`);
    assert.equal(config.issuer, `${emu.urls.entra}/${emu.seed.tenantId}/v2.0`);
    const keys = (await (await fetch(config.jwks_uri)).json()) as { keys: { kid: string; kty: string }[] };
    assert.equal(keys.keys[0].kty, 'RSA');
  });

  it('issues a token for a client secret whose aud is the scope without /.default', async () => {
    const credential = new ClientSecretCredential(emu.seed.tenantId, emu.seed.clientId, emu.seed.clientSecret, options());
    const token = await credential.getToken(ARM_SCOPE);
    const claims = emu.ctx.tokens.verify(token.token);
    assert.ok(claims, 'the token is signed by the emulator');
    assert.equal(claims.aud, 'https://management.azure.com');
    assert.equal(claims.tid, emu.seed.tenantId);
    assert.equal(claims.appid, emu.seed.clientId);
    assert.ok(token.expiresOnTimestamp > Date.now() + 3000_000);
  });

  it('issues a token for the seeded certificate (MSAL sends x5t#S256 and PS256)', async () => {
    const credential = new ClientCertificateCredential(emu.seed.tenantId, emu.seed.clientId, { certificate: emu.seed.clientCertificatePem }, options());
    const token = await credential.getToken('https://batch.core.windows.net//.default');
    assert.equal(emu.ctx.tokens.verify(token.token)?.aud, 'https://batch.core.windows.net/');
  });

  it('accepts a certificate assertion identified by its SHA-1 thumbprint (x5t, RS256)', async () => {
    const pem = emu.seed.clientCertificatePem;
    const cert = new X509Certificate(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem)![0]);
    const key = createPrivateKey(/-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----/.exec(pem)![0]);
    const now = Math.floor(Date.now() / 1000);
    const header = { alg: 'RS256', typ: 'JWT', x5t: createHash('sha1').update(cert.raw).digest('base64url') };
    const claims = {
      aud: `${emu.urls.entra}/${emu.seed.tenantId}/oauth2/v2.0/token`, iss: emu.seed.clientId, sub: emu.seed.clientId,
      jti: randomUUID(), nbf: now, exp: now + 600,
    };
    const input = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
    const assertion = `${input}.${sign('sha256', Buffer.from(input), key).toString('base64url')}`;
    const form = {
      grant_type: 'client_credentials', client_id: emu.seed.clientId, scope: ARM_SCOPE,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion,
    };
    const ok = await tokenRequest(form);
    assert.equal(ok.status, 200);
    assert.equal(ok.body.token_type, 'Bearer');

    const wrongThumbprint = { ...header, x5t: Buffer.alloc(20, 7).toString('base64url') };
    const input2 = `${Buffer.from(JSON.stringify(wrongThumbprint)).toString('base64url')}.${input.split('.')[1]}`;
    const rejected = await tokenRequest({ ...form, client_assertion: `${input2}.${sign('sha256', Buffer.from(input2), key).toString('base64url')}` });
    assert.equal(rejected.status, 401);
    assert.deepEqual(rejected.body.error_codes, [700027]);
  });

  it('exchanges a federated assertion from the emulated Azure DevOps OIDC issuer', async () => {
    const credential = new ClientAssertionCredential(emu.seed.tenantId, emu.seed.clientId,
      async () => issueDevOpsOidcToken(emu.ctx.tokens, emu.seed, 'build-agents-arm'), options());
    const token = await credential.getToken(DEVOPS_SCOPE);
    const claims = emu.ctx.tokens.verify(token.token);
    assert.equal(claims?.aud, '499b84ac-1321-427f-aa17-267ca6975798');
    assert.ok(audienceAllowed(claims!, 'devops'));
  });

  it('gives access tokens the life Entra gives: 60 to 90 minutes by default, or the configured one', async () => {
    const form = { grant_type: 'client_credentials', client_id: emu.seed.clientId, client_secret: emu.seed.clientSecret, scope: DEVOPS_SCOPE };
    for (let i = 0; i < 5; i++) {
      const { body } = await tokenRequest(form);
      const claims = decodeJwt(String(body.access_token))!.claims;
      assert.ok(Number(body.expires_in) >= 3600 && Number(body.expires_in) <= 5400, String(body.expires_in));
      assert.equal(Number(claims.exp) - Number(claims.iat), Number(body.expires_in));
    }
    emu.ctx.options.entraTokenLifetimeSeconds = 120;
    try {
      const { body } = await tokenRequest(form);
      assert.equal(body.expires_in, 120);
    } finally {
      emu.ctx.options.entraTokenLifetimeSeconds = 0;
    }
  });

  it('rejects a federated assertion from another issuer or for another audience', async () => {
    const base = { grant_type: 'client_credentials', client_id: emu.seed.clientId, scope: ARM_SCOPE,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer' };
    const foreign = emu.ctx.tokens.issue({ iss: 'https://token.actions.githubusercontent.com', aud: FEDERATION_AUDIENCE, sub: 'repo:x' });
    const byIssuer = await tokenRequest({ ...base, client_assertion: foreign });
    assert.equal(byIssuer.status, 400);
    assert.deepEqual(byIssuer.body.error_codes, [700211]);
    const wrongAudience = emu.ctx.tokens.issue({ iss: devopsOidcIssuer(emu.seed), aud: 'api://other', sub: 'sc://x' });
    const byAudience = await tokenRequest({ ...base, client_assertion: wrongAudience });
    assert.deepEqual(byAudience.body.error_codes, [700212]);
  });

  it('answers a wrong secret with invalid_client AADSTS7000215, in the real error shape', async () => {
    const credential = new ClientSecretCredential(emu.seed.tenantId, emu.seed.clientId, 'not-the-secret', options());
    await assert.rejects(credential.getToken(ARM_SCOPE), /AADSTS7000215/);
    const raw = await tokenRequest({ grant_type: 'client_credentials', client_id: emu.seed.clientId, client_secret: 'nope', scope: ARM_SCOPE });
    assert.equal(raw.status, 401);
    assert.equal(raw.body.error, 'invalid_client');
    assert.match(String(raw.body.error_description), /^AADSTS7000215: Invalid client secret provided\./);
    assert.deepEqual(raw.body.error_codes, [7000215]);
    assert.match(String(raw.body.timestamp), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/);
    assert.match(String(raw.body.trace_id), /^[0-9a-f-]{36}$/);
    assert.match(String(raw.body.correlation_id), /^[0-9a-f-]{36}$/);
  });

  it('answers an unknown client with AADSTS700016 and a scope without /.default with invalid_scope', async () => {
    const credential = new ClientSecretCredential(emu.seed.tenantId, randomUUID(), emu.seed.clientSecret, options());
    await assert.rejects(credential.getToken(ARM_SCOPE), /AADSTS700016/);
    const scope = await tokenRequest({ grant_type: 'client_credentials', client_id: emu.seed.clientId, client_secret: emu.seed.clientSecret, scope: 'https://management.azure.com/user_impersonation' });
    assert.equal(scope.status, 400);
    assert.equal(scope.body.error, 'invalid_scope');
    const tenant = await tokenRequest({ grant_type: 'client_credentials', client_id: emu.seed.clientId, client_secret: emu.seed.clientSecret, scope: ARM_SCOPE }, randomUUID());
    assert.deepEqual(tenant.body.error_codes, [90002]);
  });

  it('knows which audiences ARM, Batch and Azure DevOps accept (one trailing slash ignored)', () => {
    assert.ok(audienceAllowed({ aud: 'https://management.core.windows.net/' }, 'arm'));
    assert.ok(audienceAllowed({ aud: 'https://management.azure.com' }, 'arm'));
    assert.ok(!audienceAllowed({ aud: 'https://batch.core.windows.net/' }, 'arm'));
    assert.ok(audienceAllowed({ aud: 'https://batch.core.windows.net/' }, 'batch'));
    assert.ok(!audienceAllowed({ aud: 'https://management.azure.com' }, 'batch'));
    assert.ok(audienceAllowed({ aud: '499b84ac-1321-427f-aa17-267ca6975798' }, 'devops'));
    assert.ok(!audienceAllowed({ aud: 'https://storage.azure.com' }, 'devops'));
  });

  it('makes ARM answer 401 to another audience and to a bad signature', async () => {
    const credential = new ClientSecretCredential(emu.seed.tenantId, emu.seed.clientId, emu.seed.clientSecret, options());
    const url = `${emu.urls.arm}/subscriptions/${emu.seed.subscriptionId}/resourcegroups/${emu.seed.resourceGroup}?api-version=2021-04-01`;
    const get = (token: string) => fetch(url, { headers: { Authorization: `Bearer ${token}` } });

    const good = await credential.getToken('https://management.core.windows.net//.default');
    assert.equal((await get(good.token)).status, 200);

    const batchToken = await credential.getToken('https://batch.core.windows.net//.default');
    const wrongAudience = await get(batchToken.token);
    assert.equal(wrongAudience.status, 401);
    assert.equal(((await wrongAudience.json()) as { error: { code: string } }).error.code, 'InvalidAuthenticationTokenAudience');

    const [header, payload] = good.token.split('.');
    const forged = `${header}.${payload}.${Buffer.alloc(256, 1).toString('base64url')}`;
    const badSignature = await get(forged);
    assert.equal(badSignature.status, 401);
    assert.equal(((await badSignature.json()) as { error: { code: string } }).error.code, 'InvalidAuthenticationToken');
    assert.ok(decodeJwt(forged), 'the forged token is well-formed, only its signature is wrong');
  });

  it('makes Azure DevOps answer 401 to an ARM token', async () => {
    const credential = new ClientSecretCredential(emu.seed.tenantId, emu.seed.clientId, emu.seed.clientSecret, options());
    const arm = await credential.getToken(ARM_SCOPE);
    const res = await fetch(`${emu.urls.devops}_apis/distributedtask/pools?api-version=7.1`, { headers: { Authorization: `Bearer ${arm.token}` } });
    assert.equal(res.status, 401);
    const devops = await credential.getToken(DEVOPS_SCOPE);
    const ok = await fetch(`${emu.urls.devops}_apis/distributedtask/pools?api-version=7.1`, { headers: { Authorization: `Bearer ${devops.token}` } });
    assert.equal(ok.status, 200);
  });
});
