// One pool scaled by several scalers at once (standing controllers, ScaleAgentPool runs, with one
// name prefix or several): together they stay within maxAgents, and none removes another's agents.
import { TAG_POOL } from '../agent-spec';
import { hasEnded } from '../providers/provider';
import { SCALER_CAPABILITY, TAG_SCALER, TEMPLATE_CAPABILITY } from './pool-spec';
import { agentNameOf, type PoolView } from './pool-view';

/** Owner tags of standing controllers start with this; a pipeline run's owner is `<runId>-<random>`. */
export const CONTROLLER_OWNER_PREFIX = 'controller-';

/**
 * Whether `owner` may remove a live agent whose resource says `theirs`: its own, or, between pipeline
 * runs (which hand a pool over from one run to the next), another run's. Unknown owners (Batch tasks
 * carry no tags) are removable, as before owners existed.
 */
export function mayRemove(theirs: string | undefined, owner: string): boolean {
  if (theirs === undefined || theirs === owner) return true;
  return !theirs.startsWith(CONTROLLER_OWNER_PREFIX) && !owner.startsWith(CONTROLLER_OWNER_PREFIX);
}

/** Live agents of the pool made by scalers with another name prefix (they count against maxAgents). */
export function otherScalersAgents(view: PoolView, namePrefix: string): number {
  const pool = view.pool.name.toLowerCase();
  return view.resources.filter((r) => {
    const scaler = r.env?.[SCALER_CAPABILITY] ?? r.tags[TAG_SCALER];
    const poolOf = r.env?.AZP_POOL ?? r.tags[TAG_POOL];
    if (!scaler || scaler === namePrefix || poolOf?.toLowerCase() !== pool) return false;
    if (r.env?.[TEMPLATE_CAPABILITY] !== undefined || /^tpl-/i.test(agentNameOf(r))) return false;
    return !hasEnded(r.state);
  }).length;
}
