// An in-memory Azure DevOps agent pool, recording every call in order.
import { CloudError } from '../../../tasks/common/src/errors';
import type { AgentPoolClient, JobRequest, ListAgentsOptions, PoolAgent, PoolRef, ResourceUsage } from '../../../tasks/common/src/devops/agent-pool-client';

export class FakeDevOps implements AgentPoolClient {
  readonly calls: string[] = [];
  agents: PoolAgent[] = [];
  pools: PoolRef[] = [{ id: 10, name: 'Ephemeral' }];
  private nextId = 100;

  register(name: string, extra: Partial<PoolAgent> = {}): PoolAgent {
    const agent: PoolAgent = { id: this.nextId++, name, enabled: true, online: false, capabilities: {}, ...extra };
    this.agents.push(agent);
    return agent;
  }

  async findPool(name: string): Promise<PoolRef> {
    this.calls.push(`findPool ${name}`);
    const pool = this.pools.find((p) => p.name.toLowerCase() === name.toLowerCase());
    if (!pool) throw new CloudError('Azure DevOps', `Agent pool '${name}' was not found`, 404, 'TaskAgentPoolNotFound');
    return pool;
  }

  async listAgents(_poolId: number, options: ListAgentsOptions = {}): Promise<PoolAgent[]> {
    this.calls.push(`listAgents ${options.names?.join(',') ?? options.demands?.join(',') ?? '*'}`);
    const wanted = options.names?.map((n) => n.toLowerCase());
    return this.agents.filter((a) => !wanted || wanted.includes(a.name.toLowerCase())).map((a) => ({ ...a }));
  }

  async disableAgent(_poolId: number, agent: Pick<PoolAgent, 'id' | 'name'>): Promise<void> {
    this.calls.push(`disable ${agent.name}`);
    const found = this.agents.find((a) => a.id === agent.id);
    if (found) found.enabled = false;
  }

  async deleteAgent(_poolId: number, agentId: number): Promise<boolean> {
    const found = this.agents.find((a) => a.id === agentId);
    this.calls.push(`deleteAgent ${found?.name ?? agentId}`);
    this.agents = this.agents.filter((a) => a.id !== agentId);
    return Boolean(found);
  }

  async listJobRequests(): Promise<JobRequest[]> {
    return [];
  }

  async resourceUsage(): Promise<ResourceUsage> {
    return {};
  }
}
