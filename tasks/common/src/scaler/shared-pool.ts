// One pool scaled by several scalers at once (standing controllers, ScaleAgentPool runs of any
// project, with one name prefix or several): the others' live agents count against maxAgents, and with
// one prefix a slot name another scaler's agent holds is not free, so with one prefix and one maxAgents
// they never exceed it together (resource names are unique). Each one's slots hold only what it owns
// (pool-view.ts, ownership.ts), so none removes another's agents.
import { factsOfResource, isOwnedBy, normaliseOrganization } from '../ownership';
import { type AgentResource, hasEnded } from '../providers/provider';
import { TEMPLATE_CAPABILITY } from './pool-spec';
import { agentNameOf, type PoolView } from './pool-view';

/** Live agents of the view's organization and pool made by another scaler (another prefix, project or controller). */
export function otherScalersAgents(view: PoolView): number {
  return othersLive(view).length;
}

/** Their agent names, lowercase: a slot name one of them holds is not free (with one prefix, slots are shared). */
export function othersAgentNames(view: PoolView): Set<string> {
  return new Set(othersLive(view).map((r) => agentNameOf(r).toLowerCase()));
}

function othersLive(view: PoolView): AgentResource[] {
  const owner = view.owner;
  if (!owner || !view.everyResource) return [];
  return view.everyResource.filter((r) => {
    const facts = factsOfResource(r);
    if (!facts.ours || facts.runKind !== 'scaler' || isOwnedBy(facts, owner)) return false;
    if (facts.organization === undefined || normaliseOrganization(facts.organization) !== owner.organization) return false;
    if (facts.pool?.toLowerCase() !== owner.pool.toLowerCase()) return false;
    if (r.env?.[TEMPLATE_CAPABILITY] !== undefined || /^tpl-/i.test(agentNameOf(r))) return false;
    return !hasEnded(r.state);
  });
}
