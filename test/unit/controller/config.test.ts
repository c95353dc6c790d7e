// The controller's configuration: the JSON Schema (ajv) with one readable line per mistake, and each
// pool read by ScaleAgentPool's own input readers, so the task's rules hold unchanged.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, DEFAULT_INTERVAL_SECONDS, DEFAULT_RESOURCE_MANAGER, loadConfig, parseConfig } from '../../../controller/src/config';
import { identityFromEnvironment } from '../../../controller/src/identity';
import { JsonLog } from '../../../controller/src/log';
import { PoolRunner } from '../../../controller/src/pool-runner';
import schema from '../../../controller/config.schema.json';
import taskJson from '../../../tasks/ScaleAgentPoolV1/task.json';
import { onTermination } from '../../../tasks/common/src/cancellation';

const SUBSCRIPTION = '00000000-0000-4000-8000-0000000005b1';
const pool = (extra: Record<string, unknown> = {}) => ({
  agentPool: 'Ephemeral', namePrefix: 'eph', image: 'myregistry.azurecr.io/azp-agent:ubuntu-24.04', subscriptionId: SUBSCRIPTION, resourceGroup: 'agents', ...extra,
});
const config = (pools: unknown[], extra: Record<string, unknown> = {}) => ({ organizationUrl: 'https://dev.azure.com/contoso', pools, ...extra });

function configError(action: () => unknown): ConfigError {
  try {
    action();
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    assert.ok(!error.message.includes('\n'), 'one line');
    return error;
  }
  assert.fail('no ConfigError');
}

function runner(pools: unknown[], env: NodeJS.ProcessEnv = { AZURE_TENANT_ID: 't', AZURE_CLIENT_ID: 'c', AZURE_CLIENT_SECRET: 'secret-value' }): PoolRunner {
  const parsed = parseConfig(config(pools));
  const identity = identityFromEnvironment(env, parsed.resourceManagerEndpoint);
  const stop = onTermination({ on: () => process, off: () => process } as unknown as NodeJS.Process);
  return new PoolRunner(0, parsed.pools[0], parsed, identity, new JsonLog(() => undefined), stop, env);
}

describe('controller configuration', () => {
  it('takes every ScaleAgentPool input except those the controller sets itself', () => {
    const inputs = (taskJson as { inputs: Array<{ name: string }> }).inputs.map((i) => i.name);
    const keys = Object.keys(schema.properties.pools.items.properties);
    const setByController = ['azureSubscription', 'registration', 'devopsAuthentication', 'registrationConnection', 'registrationToken', 'durationMinutes', 'intervalSeconds'];
    assert.deepEqual(inputs.filter((name) => !keys.includes(name) && !setByController.includes(name)), []);
    assert.deepEqual(keys.filter((key) => !inputs.includes(key)).sort(), ['idleTimeoutMinutes', 'schedules']);
  });

  it('fills the defaults', () => {
    const parsed = parseConfig(config([pool()]));
    assert.equal(parsed.resourceManagerEndpoint, DEFAULT_RESOURCE_MANAGER);
    assert.equal(parsed.intervalSeconds, DEFAULT_INTERVAL_SECONDS);
    assert.equal(parsed.organizationUrl, 'https://dev.azure.com/contoso/');
  });

  it('names the key and the fix for schema mistakes', () => {
    assert.match(configError(() => parseConfig({ pools: [pool()] })).message, /'organizationUrl' is required: the organization URL/);
    assert.match(configError(() => parseConfig(config([pool({ maxAgents: 'ten' })]))).message, /'pools\[0\]\.maxAgents' must be integer: the most agents/);
    const typo = configError(() => parseConfig(config([pool({ minIdel: 1 })])));
    assert.equal(typo.key, 'pools[0].minIdel');
    assert.match(typo.message, /not a known key: remove it or use one of .*minIdle/);
    assert.match(configError(() => parseConfig(config([pool({ provider: 'vm' })]))).message, /'pools\[0\]\.provider' must be equal to one of the allowed values \("aci", "batch"\)/);
    assert.match(configError(() => parseConfig(config([pool({ schedules: [{ days: ['Monday'], from: '07:00', to: '19:00', timeZone: 'UTC' }] })]))).message, /pools\[0\]\.schedules\[0\]\.days\[0\]/);
    assert.match(configError(() => parseConfig(config([]))).message, /'pools' must NOT have fewer than 1 items/);
    assert.equal(configError(() => parseConfig(config([pool(), pool()]))).key, 'pools[1].namePrefix');
  });

  it('reads a missing or broken file as a configuration error', () => {
    assert.equal(configError(() => loadConfig('/nonexistent/controller.json')).key, '--config');
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'cfg-')), 'c.json');
    writeFileSync(file, '{ "organizationUrl": ');
    assert.match(configError(() => loadConfig(file)).message, /not valid JSON/);
  });

  it('checks each pool with the task\'s own rules, naming the pool key', () => {
    assert.match(configError(() => runner([pool({ minAgents: 5, maxAgents: 2 })])).message, /'pools\[0\]\.minAgents' \(5\) must not exceed/);
    assert.match(configError(() => runner([pool({ image: 'Not An Image' })])).message, /'pools\[0\]\.image' must be an image reference/);
    assert.match(configError(() => runner([pool({ namePrefix: 'Upper_Case' })])).message, /pools\[0\]\.namePrefix/);
    assert.match(configError(() => runner([pool({ capabilities: { EPHEMERAL_SCALER: 'x' } })])).message, /'pools\[0\]\.capabilities' cannot set 'EPHEMERAL_SCALER'/);
    assert.equal(configError(() => runner([pool({ subscriptionId: undefined })])).key, 'pools[0].subscriptionId');
    const tz = configError(() => runner([pool({ schedules: [{ days: ['Mon'], from: '07:00', to: '19:00', timeZone: 'Mars/Olympus' }] })]));
    assert.equal(tz.key, 'pools[0].schedules[0].timeZone');
    assert.equal(configError(() => runner([pool({ maxAgents: 2, schedules: [{ days: ['Mon'], from: '07:00', to: '19:00', timeZone: 'UTC', minAgents: 3 }] })])).key, 'pools[0].schedules[0].minAgents');
  });

  it('maps the pool onto ScaleAgentPool\'s params: queue mode unless said, capabilities as pairs, the environment identity', () => {
    const r = runner([pool({ maxAgents: 4, minIdle: 1, capabilities: { TOOL: 'x', LEVEL: 2 }, tags: ['team=build'] })]);
    assert.equal(r.params.mode, 'queue');
    assert.deepEqual(r.params.queue, { minAgents: 0, maxAgents: 4, minIdle: 1, scaleInDelayMinutes: 15, maxParallelJobs: undefined });
    assert.deepEqual(r.params.capabilities, [['TOOL', 'x'], ['LEVEL', '2']]);
    assert.deepEqual(r.params.tags, [['team', 'build']]);
    assert.equal(r.params.registration.mode, 'azureServiceConnection');
    assert.equal(r.params.connection?.scheme, 'ServicePrincipal');
    assert.equal(r.params.connection?.armUrl, DEFAULT_RESOURCE_MANAGER);
    assert.equal(runner([pool({ mode: 'fixed', desiredCount: 3 })]).params.desiredCount, 3);
  });

  it('registers with a PAT from AZP_TOKEN_FILE when one is given, and uses a managed identity without a secret', () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'pat-')), 'token');
    writeFileSync(file, 'abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrst\n');
    const r = runner([pool()], { AZP_TOKEN_FILE: file, AZURE_CLIENT_ID: '11111111-2222-4333-8444-555555555555' });
    assert.equal(r.params.registration.mode, 'pat');
    assert.equal(r.params.connection?.scheme, 'ManagedServiceIdentity');
    assert.equal(r.params.connection?.clientId, '11111111-2222-4333-8444-555555555555');
    assert.equal(configError(() => runner([pool()], { AZP_TOKEN_FILE: '/nonexistent/token' })).key, 'AZP_TOKEN_FILE');
  });
});
