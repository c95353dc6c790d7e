// The sweeper: what this extension left behind in the pool and its Azure home. Only agents and
// resources of the scaler's organization, project and pool (ownership.ts, any run) are candidates (never a name alone),
// never a template registration, never an agent running a job, and never this scaler's own slots
// (its passes manage them). Pure: it decides from one PoolView; agent-removal.ts carries it out.
import { TAG_EXPIRES_AT, TAG_KEEP_FAILED_MINUTES } from '../agent-spec';
import { capability, isBusy, type PoolAgent } from '../devops/agent-pool-client';
import { type AgentResource, hasEnded } from '../providers/provider';
import { slotIndex } from './fixed-slots';
import { SCALER_CAPABILITY } from './pool-spec';
import type { Removal } from './agent-removal';
import { agentNameOf, isExtensionAgent, isTemplateAgent, isThisScalers, type PoolView } from './pool-view';
import { factsFromCapabilities, isOwnedBy } from '../ownership';

/** An offline agent with no container in sight may be one that is restarting: give it this long. */
export const GONE_GRACE_MS = 2 * 60_000;
/** Past its idle timeout, a never-claimed agent gets this long before it is swept (its entrypoint should have ended it). */
export const IDLE_GRACE_MS = 60_000;

export interface SweepPlan {
  removals: Removal[];
  /** Registrations this extension did not create: never touched. */
  foreign: string[];
}

function time(date: Date | undefined): number | undefined {
  return date && !Number.isNaN(date.getTime()) ? date.getTime() : undefined;
}

function idleTimeoutMs(resource: AgentResource | undefined): number | undefined {
  const seconds = Number(resource?.env?.AZP_IDLE_TIMEOUT_SECONDS);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : undefined;
}

function keptForInvestigation(resource: AgentResource, now: number): boolean {
  const minutes = Number(resource.tags[TAG_KEEP_FAILED_MINUTES] ?? 0);
  const since = time(resource.finishedAt) ?? time(resource.createdAt);
  return minutes > 0 && resource.state === 'failed' && since !== undefined && now < since + minutes * 60_000;
}

function expired(resource: AgentResource | undefined, now: number): boolean {
  const at = resource?.tags[TAG_EXPIRES_AT];
  const when = at ? Date.parse(at) : NaN;
  return Number.isFinite(when) && when < now;
}

/** The reason to sweep an agent of this extension (and its resources), or undefined to leave it. */
function agentReason(agent: PoolAgent, resources: AgentResource[], now: number): string | undefined {
  const live = resources.find((r) => !hasEnded(r.state));
  const ended = resources.filter((r) => hasEnded(r.state));
  if (!agent.online && !live && ended.length > 0) return `offline, its ${ended[0].state} container/task ended`;
  const offlineSince = time(agent.statusChangedOn) ?? time(agent.createdOn) ?? 0;
  if (!agent.online && !live && now - offlineSince >= GONE_GRACE_MS) return 'offline, its container/task is gone';
  if (expired(live, now)) return `past its expiresAt (${live?.tags[TAG_EXPIRES_AT]})`;
  const idle = idleTimeoutMs(live ?? ended[0]);
  const created = time(agent.createdOn);
  if (idle !== undefined && created !== undefined && !agent.lastCompletedRequest && now - created >= idle + IDLE_GRACE_MS) {
    return `never claimed a job within its idle timeout of ${Math.round(idle / 60_000)} min`;
  }
  return undefined;
}

export function planSweep(view: PoolView, namePrefix: string, now: number): SweepPlan {
  const ownSlot = (name: string, caps?: Record<string, string>) =>
    slotIndex(namePrefix, name) !== undefined && (caps === undefined || capability(caps, SCALER_CAPABILITY) === namePrefix);
  const byAgent = new Map<string, AgentResource[]>();
  for (const resource of view.resources) {
    if (isThisScalers(resource, namePrefix) && slotIndex(namePrefix, agentNameOf(resource)) !== undefined) continue;
    const key = agentNameOf(resource).toLowerCase();
    byAgent.set(key, [...(byAgent.get(key) ?? []), resource]);
  }

  const removals: Removal[] = [];
  const foreign: string[] = [];
  const handled = new Set<string>();
  for (const agent of view.agents) {
    // Only this organization's, project's and pool's agents (any run): another project's agents share an organization's pool.
    if (!isExtensionAgent(agent) || (view.owner && !isOwnedBy(factsFromCapabilities(agent.capabilities), view.owner, { anyRun: true }))) {
      foreign.push(agent.name);
      continue;
    }
    if (isTemplateAgent(agent) || isBusy(agent) || ownSlot(agent.name, agent.capabilities)) continue;
    const key = agent.name.toLowerCase();
    handled.add(key);
    const resources = byAgent.get(key) ?? [];
    const reason = agentReason(agent, resources, now);
    if (reason) removals.push({ name: agent.name, agent, resources: resources.filter((r) => !keptForInvestigation(r, now)), reason });
  }
  // Resources without a registration: ended ones, and live ones past their expiry.
  for (const [key, resources] of byAgent) {
    if (handled.has(key) || view.agents.some((a) => a.name.toLowerCase() === key)) continue;
    if (/^tpl-/.test(key)) continue;
    const gone = resources.filter((r) => (hasEnded(r.state) && !keptForInvestigation(r, now)) || expired(r, now));
    if (gone.length === 0) continue;
    const reason = gone.every((r) => hasEnded(r.state)) ? `${gone[0].state} container/task without a registration` : 'past its expiresAt, no registration';
    removals.push({ name: agentNameOf(gone[0]), resources: gone, reason });
  }
  return { removals, foreign };
}
