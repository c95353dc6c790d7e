// The agent's certificate settings (Agent.CAInfo, Agent.ClientCert...) as the SDK clients get them.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { rootCertificates } from 'node:tls';
import { loadAgentTls } from '../../tasks/common/src/agent-tls';
import { coreNetworkOptions } from '../../tasks/common/src/azure-auth';
import { InputError } from '../../tasks/common/src/errors';
import { agentWithTls, createBatchHttpClient } from '../../tasks/common/src/providers/batch-http-client';

describe('agent TLS settings', () => {
  let dir: string;
  const companyCa = rootCertificates[0];
  const extraCa = rootCertificates[1];
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'agent-tls-'));
    writeFileSync(path.join(dir, 'ca.pem'), companyCa);
    writeFileSync(path.join(dir, 'extra.pem'), extraCa);
    writeFileSync(path.join(dir, 'client.pem'), '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    writeFileSync(path.join(dir, 'client.key'), '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n');
    writeFileSync(path.join(dir, 'not-pem.der'), Buffer.from([0x30, 0x82, 0x01]));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('is absent when the agent has no CA and no client certificate', () => {
    assert.equal(loadAgentTls(undefined, dir, {}), undefined);
    assert.equal(loadAgentTls({}, dir, {}), undefined);
  });

  it('trusts the agent CA in addition to Node roots and NODE_EXTRA_CA_CERTS, and gives node-api the same set as a file', () => {
    const tls = loadAgentTls({ caFile: path.join(dir, 'ca.pem') }, dir, { NODE_EXTRA_CA_CERTS: path.join(dir, 'extra.pem') });
    assert.ok(tls);
    assert.equal(tls.settings.ca?.length, rootCertificates.length + 2);
    assert.equal(tls.settings.ca?.at(-1), companyCa);
    assert.ok(tls.settings.ca?.includes(extraCa));
    assert.ok(tls.nodeApi.caFile && tls.nodeApi.caFile.startsWith(dir), 'the bundle is written under the given temporary directory');
    const bundle = readFileSync(tls.nodeApi.caFile, 'utf8');
    assert.ok(bundle.includes(companyCa.trim()) && bundle.includes(rootCertificates.at(-1)!.trim()));
  });

  it('hands over the client certificate, its key and passphrase', () => {
    const tls = loadAgentTls({ certFile: path.join(dir, 'client.pem'), keyFile: path.join(dir, 'client.key'), passphrase: 'p4ss' }, dir, {});
    assert.ok(tls);
    assert.match(tls.settings.cert ?? '', /BEGIN CERTIFICATE/);
    assert.match(tls.settings.key ?? '', /BEGIN PRIVATE KEY/);
    assert.equal(tls.settings.passphrase, 'p4ss');
    assert.deepEqual(tls.nodeApi, { certFile: path.join(dir, 'client.pem'), keyFile: path.join(dir, 'client.key'), passphrase: 'p4ss' });
    assert.equal(tls.settings.ca, undefined, 'no CA set: Node roots apply unchanged');
  });

  it('names the agent variable and the fix when the CA file is missing or not PEM', () => {
    assert.throws(() => loadAgentTls({ caFile: path.join(dir, 'nope.pem') }, dir, {}),
      (e: unknown) => e instanceof InputError && /Agent\.CAInfo/.test(e.message) && /cannot be read/.test(e.message) && /--sslcacert/.test(e.message));
    assert.throws(() => loadAgentTls({ caFile: path.join(dir, 'not-pem.der') }, dir, {}),
      (e: unknown) => e instanceof InputError && /Agent\.CAInfo/.test(e.message) && /PEM/.test(e.message));
  });
});

describe('network options of the Entra and ARM clients', () => {
  const proxy = { proxyUrl: 'http://proxy.corp:8080', proxyUsername: 'me', proxyPassword: 'secret' };
  const tls = { ca: ['-----BEGIN CERTIFICATE-----'] };

  it('use the pipeline proxy options, or the TLS options, when only one is set', () => {
    assert.deepEqual(coreNetworkOptions(proxy, undefined), { proxyOptions: { host: 'http://proxy.corp', port: 8080, username: 'me', password: 'secret' } });
    assert.deepEqual(coreNetworkOptions(undefined, tls), { proxyOptions: undefined, tlsOptions: tls });
  });

  it('with both, send HTTPS through a proxy agent that carries the CA (the pipeline would drop it)', async () => {
    const options = coreNetworkOptions(proxy, tls);
    assert.equal(options.proxyOptions, undefined);
    assert.equal(options.additionalPolicies?.length, 1);
    const policy = options.additionalPolicies![0].policy;
    const request = { url: 'https://login.example/tenant/v2.0/.well-known/openid-configuration', agent: undefined as unknown };
    await policy.sendRequest(request as never, async (r) => r as never);
    const agent = request.agent as { proxy: URL; connectOpts: Record<string, unknown> };
    assert.equal(agent.proxy.host, 'proxy.corp:8080');
    assert.equal(agent.proxy.username, 'me');
    assert.deepEqual(agent.connectOpts.ca, tls.ca);
    const plain = { url: 'http://x.example/', agent: undefined as unknown };
    await policy.sendRequest(plain as never, async (r) => r as never);
    assert.equal(plain.agent, undefined, 'plain HTTP is left to the pipeline');
  });
});

describe('Batch HTTP client with the agent certificates', () => {
  it('adds them to a proxy tunnel, or uses one keep-alive HTTPS agent of its own', () => {
    const tls = { ca: ['pem'] };
    const tunnel = { proxyOptions: { host: 'proxy' }, options: { proxy: { host: 'proxy' } } };
    assert.equal(agentWithTls(tunnel, tls, () => assert.fail('no own agent behind a proxy')), tunnel);
    assert.deepEqual(tunnel.options, { proxy: { host: 'proxy' }, ca: ['pem'] });
    const own = new https.Agent();
    assert.equal(agentWithTls(new https.Agent(), tls, () => own), own);
    assert.equal(agentWithTls(undefined, tls, () => own), own);
  });

  it('passes the TLS agent to node-fetch for HTTPS only', async () => {
    const seen: Array<Record<string, unknown>> = [];
    class FakeDefault {
      async fetch(_input: unknown, init: Record<string, unknown>) {
        seen.push(init);
        return 'response';
      }
    }
    const client = createBatchHttpClient({ DefaultHttpClient: FakeDefault } as never, { ca: ['pem'] }) as unknown as { fetch(i: unknown, init: unknown): Promise<unknown> };
    await client.fetch('https://account.batch.example/jobs', {});
    await client.fetch('https://account.batch.example/pools', {});
    await client.fetch('http://plain.example/', {});
    const [first, second, plain] = seen;
    assert.ok(first.agent instanceof https.Agent);
    assert.deepEqual((first.agent as https.Agent & { options: { ca?: string[] } }).options.ca, ['pem']);
    assert.equal(second.agent, first.agent, 'one agent, kept alive across requests');
    assert.equal(plain.agent, undefined);
  });
});
