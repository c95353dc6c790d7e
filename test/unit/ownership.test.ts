import assert from 'node:assert/strict';
import { factsFromCapabilities, factsFromTags, factsOfResource, isOwnedBy, type Owner, ownerEnv, ownerTags, runValue, whyNotOwned } from '../../tasks/common/src/ownership';

const owner: Owner = { organization: 'https://dev.azure.com/contoso', project: 'p1', pool: 'Ephemeral', runKind: 'build', run: '42' };

describe('ownership', () => {
  it('an agent and a container group of the owner are recognised from capabilities and from tags', () => {
    assert.ok(isOwnedBy(factsFromCapabilities(ownerEnv(owner)), owner));
    assert.ok(isOwnedBy(factsFromTags(ownerTags(owner)), owner));
    // Organization URLs compare without case and trailing slash; pool names without case, as Azure DevOps does.
    assert.ok(isOwnedBy(factsFromCapabilities(ownerEnv({ ...owner, organization: 'https://dev.azure.com/Contoso/', pool: 'EPHEMERAL' })), owner));
  });

  it('every one of the five facts must match', () => {
    const others: Array<Partial<Owner>> = [
      { organization: 'https://dev.azure.com/fabrikam' }, { project: 'p2' }, { pool: 'Other' }, { runKind: 'release', run: runValue('release', '42') }, { run: '43' },
    ];
    for (const change of others) {
      const facts = factsFromTags(ownerTags({ ...owner, ...change }));
      assert.equal(isOwnedBy(facts, owner), false, JSON.stringify(change));
      assert.match(whyNotOwned(facts, owner), /belongs to/);
    }
    // The sweep's scope: any run of the same organization, project and pool.
    assert.ok(isOwnedBy(factsFromTags(ownerTags({ ...owner, run: '43' })), owner, { anyRun: true }));
    assert.equal(isOwnedBy(factsFromTags(ownerTags({ ...owner, pool: 'Other' })), owner, { anyRun: true }), false);
  });

  it('what this extension did not create, or what says nothing of its organization, is never owned', () => {
    assert.equal(isOwnedBy(factsFromCapabilities({ EPHEMERAL_RUN: '42' }), owner), false);
    assert.match(whyNotOwned(factsFromCapabilities({ EPHEMERAL_RUN: '42' }), owner), /did not create it/);
    assert.equal(isOwnedBy(factsFromCapabilities({ EPHEMERAL_AGENT: '1', EPHEMERAL_RUN: '42' }), owner), false);
    assert.equal(isOwnedBy(factsFromTags({}), owner), false);
  });

  it('a classic release run value can never equal a build id', () => {
    assert.equal(runValue('build', '42'), '42');
    assert.equal(runValue('release', '42'), 'release-42');
  });

  it('Batch tasks: the facts come from the environment settings when there are no tags', () => {
    assert.ok(isOwnedBy(factsOfResource({ tags: {}, env: ownerEnv(owner) }), owner));
    const scaler: Owner = { ...owner, runKind: 'scaler', run: 'linux' };
    const env = { ...ownerEnv(scaler), EPHEMERAL_SCALER: 'linux' };
    delete (env as Record<string, string>).EPHEMERAL_RUN;
    assert.ok(isOwnedBy(factsFromCapabilities(env), scaler), 'a scaler agent is owned through EPHEMERAL_SCALER');
  });
});
