// One pool scaled by several scalers at once (standing controllers, ScaleAgentPool runs of any
// project, each with its own name prefix): together they stay within maxAgents. Each one's slots hold
// only what it owns (pool-view.ts, ownership.ts), so none removes another's agents; this counts the
// others' live agents, which the owner filter keeps out of the slots.
import { factsOfResource, isOwnedBy, normaliseOrganization } from '../ownership';
import { hasEnded } from '../providers/provider';
import { TEMPLATE_CAPABILITY } from './pool-spec';
import { agentNameOf, type PoolView } from './pool-view';

/** Live agents of the view's organization and pool made by another scaler (another prefix, project or controller). */
export function otherScalersAgents(view: PoolView): number {
  const owner = view.owner;
  if (!owner || !view.everyResource) return 0;
  return view.everyResource.filter((r) => {
    const facts = factsOfResource(r);
    if (!facts.ours || facts.runKind !== 'scaler' || isOwnedBy(facts, owner)) return false;
    if (facts.organization === undefined || normaliseOrganization(facts.organization) !== owner.organization) return false;
    if (facts.pool?.toLowerCase() !== owner.pool.toLowerCase()) return false;
    if (r.env?.[TEMPLATE_CAPABILITY] !== undefined || /^tpl-/i.test(agentNameOf(r))) return false;
    return !hasEnded(r.state);
  }).length;
}
