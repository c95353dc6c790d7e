// Several scalers on one pool: the live agents of the others (another prefix, another project, a
// controller) count against maxAgents; templates, ended containers and other pools' agents do not.
import assert from 'node:assert/strict';
import { makeOwner, ownerTags } from '../../../tasks/common/src/ownership';
import type { AgentResource } from '../../../tasks/common/src/providers/provider';
import type { PoolView } from '../../../tasks/common/src/scaler/pool-view';
import { queueCreates } from '../../../tasks/common/src/scaler/passes';
import { otherScalersAgents, othersAgentNames } from '../../../tasks/common/src/scaler/shared-pool';

const ORG = 'https://dev.azure.com/contoso';
const controller = makeOwner({ organization: ORG, project: '', pool: 'Ephemeral', runKind: 'scaler', run: 'ctl' });

function resource(name: string, owner: { project: string; pool: string; run: string }, state: AgentResource['state'] = 'running'): AgentResource {
  const tags = { ...ownerTags(makeOwner({ organization: ORG, runKind: 'scaler', ...owner })), scaler: owner.run };
  return { name, resourceId: name, where: 'ACI', state, detail: state, tags, env: { AZP_AGENT_NAME: name } };
}

function view(everyResource: AgentResource[]): PoolView {
  return { pool: { id: 10, name: 'Ephemeral' }, agents: [], resources: [], everyResource, owner: controller, slots: new Map(), takenAt: 0 };
}

describe('scalers sharing a pool', () => {
  it('counts the live agents of the pool\'s other scalers, whatever their project or prefix', () => {
    const others = [
      resource('ctl-0', { project: '', pool: 'Ephemeral', run: 'ctl' }), // its own
      resource('tk-0', { project: 'p1', pool: 'Ephemeral', run: 'tk' }), // a pipeline's ScaleAgentPool
      resource('ctl-1', { project: 'p1', pool: 'ephemeral', run: 'ctl' }), // same prefix, a project's run
      resource('b-0', { project: '', pool: 'Ephemeral', run: 'b' }), // another controller
      resource('tk-1', { project: 'p1', pool: 'Ephemeral', run: 'tk' }, 'succeeded'), // ended
      resource('tpl-tk', { project: 'p1', pool: 'Ephemeral', run: 'tk' }), // a template
      resource('x-0', { project: 'p1', pool: 'Other', run: 'x' }), // another pool
    ];
    assert.equal(otherScalersAgents(view(others)), 3);
  });

  it('counts nothing it cannot attribute (no owner, no listing)', () => {
    assert.equal(otherScalersAgents({ ...view([resource('tk-0', { project: 'p1', pool: 'Ephemeral', run: 'tk' })]), owner: undefined }), 0);
    assert.equal(otherScalersAgents({ ...view([]), everyResource: undefined }), 0);
  });

  it('with one prefix, a slot another scaler holds is not free: creates go to the next free names', () => {
    const v = view([resource('ctl-0', { project: 'p1', pool: 'Ephemeral', run: 'ctl' }), resource('ctl-2', { project: 'p1', pool: 'Ephemeral', run: 'ctl' })]);
    assert.deepEqual([...othersAgentNames(v)].sort(), ['ctl-0', 'ctl-2']);
    const items = queueCreates(v, 'ctl', 3, 4, (slot) => slot, 'test', new Set(), othersAgentNames(v));
    assert.deepEqual(items.map((i) => i.slot), ['ctl-1', 'ctl-3'], 'never past maxAgents 4, whoever holds the names');
  });
});
