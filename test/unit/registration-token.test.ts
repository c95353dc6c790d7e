// The registration secret each create carries: an Entra token minted afresh for it (never one cached
// until shortly before it expires), with a warning when the token service gives less than 45 minutes.
import assert from 'node:assert/strict';
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { createRegistrationTokenSource, MIN_REGISTRATION_LIFE_MS } from '../../tasks/common/src/devops/token-source';
import type { AzureConnection } from '../../tasks/common/src/params/azure-connection';
import { FakeClock } from './fakes/fake-clock';

const connection = { input: 'azureSubscription' } as AzureConnection;

function credential(lifetimesMs: number[], clock: FakeClock): TokenCredential & { scopes: string[] } {
  const scopes: string[] = [];
  let n = 0;
  return {
    scopes,
    getToken: async (scope: string | string[]): Promise<AccessToken> => {
      scopes.push(String(scope));
      const lifetime = lifetimesMs[Math.min(n, lifetimesMs.length - 1)];
      return { token: `entra-${++n}`, expiresOnTimestamp: clock.now() + lifetime };
    },
  };
}

describe('registration token source', () => {
  it('asks the token service for a new Azure DevOps token on every create and masks each', async () => {
    const clock = new FakeClock();
    const fresh = credential([75 * 60_000], clock);
    const masked: string[] = [];
    const warnings: string[] = [];
    const mint = createRegistrationTokenSource({ mode: 'azureServiceConnection', connection }, fresh, (t) => masked.push(t), { clock, warn: (w) => warnings.push(w) });
    assert.equal(await mint(), 'entra-1');
    clock.time += 30 * 60_000;
    assert.equal(await mint(), 'entra-2', 'not the token minted 30 minutes ago');
    assert.deepEqual(fresh.scopes, ['499b84ac-1321-427f-aa17-267ca6975798/.default', '499b84ac-1321-427f-aa17-267ca6975798/.default']);
    assert.deepEqual(masked, ['entra-1', 'entra-2']);
    assert.deepEqual(warnings, []);
  });

  it('warns once when a token has less than 45 minutes left', async () => {
    const clock = new FakeClock();
    const warnings: string[] = [];
    const mint = createRegistrationTokenSource({ mode: 'azureServiceConnection', connection }, credential([MIN_REGISTRATION_LIFE_MS - 60_000], clock), () => undefined,
      { clock, warn: (w) => warnings.push(w) });
    await mint();
    await mint();
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /expires in 44 minutes \(less than 45\).*HTTP 401/);
  });

  it('hands out the job access token and a PAT as they are', async () => {
    const clock = new FakeClock();
    const options = { clock, warn: () => undefined };
    assert.equal(await createRegistrationTokenSource({ mode: 'systemAccessToken', token: 'job' }, undefined, () => undefined, options)(), 'job');
    assert.equal(await createRegistrationTokenSource({ mode: 'pat', token: 'pat' }, undefined, () => undefined, options)(), 'pat');
  });
});
