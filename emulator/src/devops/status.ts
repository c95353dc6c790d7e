// Agent presence: an agent is online while it has an open session that it polls (a long poll in
// flight, or one that ended within `agentOnlineWindowMs`). Computed on demand and written back to
// the records so `GET state` and the REST answers agree.
import type { EmulatorContext } from '../context';
import type { AgentRecord } from '../store';
import { runtimeOf } from './runtime';

export function isOnline(ctx: EmulatorContext, agent: AgentRecord): boolean {
  if (!agent.sessionId) return false;
  const session = runtimeOf(ctx.store).sessions.get(agent.sessionId);
  if (!session) return false;
  if (session.pollsInFlight > 0) return true;
  return agent.lastPollAt !== undefined && Date.now() - agent.lastPollAt <= ctx.options.agentOnlineWindowMs;
}

export function setStatus(agent: AgentRecord, status: AgentRecord['status']): void {
  if (agent.status === status) return;
  agent.status = status;
  agent.statusChangedOn = new Date().toISOString();
}

/** Brings every agent's `status` up to date; cheap enough to run on every request. */
export function refreshAgentStatuses(ctx: EmulatorContext): void {
  for (const agent of ctx.store.agents) setStatus(agent, isOnline(ctx, agent) ? 'online' : 'offline');
}
