// An in-memory AgentProvider, recording calls; failures and states can be scripted per agent.
import type { AgentSpec } from '../../../tasks/common/src/agent-spec';
import type { AgentProvider, AgentResource, AgentStatus, CreatedAgent, ResourceState } from '../../../tasks/common/src/providers/provider';

export class FakeProvider implements AgentProvider {
  readonly description = 'fake cloud';
  readonly serviceName = 'Azure Resource Manager';
  readonly listedStateIsCurrent = true;
  readonly calls: string[] = [];
  readonly resources = new Map<string, AgentStatus>();
  readonly secretsSeen: string[] = [];
  readonly specs: AgentSpec[] = [];
  /** Names whose create fails with this error. */
  failCreate = new Map<string, Error>();
  logs = new Map<string, string>();
  inFlight = 0;
  maxInFlight = 0;
  createDelayMs = 0;

  put(name: string, state: ResourceState, extra: Partial<AgentStatus> = {}): AgentStatus {
    const status: AgentStatus = { name, resourceId: `/fake/${name}`, where: 'fake', state, detail: state, tags: {}, events: [], ...extra };
    this.resources.set(name, status);
    return status;
  }

  resourceIdOf(agentName: string): string {
    return agentName;
  }

  async prepare(): Promise<void> {
    this.calls.push('prepare');
  }

  async create(spec: AgentSpec, secret: string): Promise<CreatedAgent> {
    this.calls.push(`create ${spec.name}`);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await new Promise((r) => setTimeout(r, this.createDelayMs));
      const failure = this.failCreate.get(spec.name);
      if (failure) throw failure;
      this.secretsSeen.push(secret);
      this.specs.push(spec);
      this.put(spec.name, 'creating', { tags: spec.tags });
      return { name: spec.name, resourceId: `/fake/${spec.name}`, where: 'fake' };
    } finally {
      this.inFlight--;
    }
  }

  async get(name: string): Promise<AgentStatus | undefined> {
    this.calls.push(`get ${name}`);
    const status = this.resources.get(name);
    return status ? { ...status } : undefined;
  }

  async listByRun(runId: string): Promise<AgentResource[]> {
    this.calls.push(`listByRun ${runId}`);
    return [...this.resources.values()].filter((r) => r.tags.run === runId);
  }

  async logTail(name: string): Promise<string | undefined> {
    return this.logs.get(name);
  }

  async delete(name: string): Promise<boolean> {
    this.calls.push(`delete ${name}`);
    return this.resources.delete(name);
  }
}
