// An AgentProvider that builds the real one on its first call, so a task does not load (and compile)
// a cloud SDK before its first request. What a log line needs before then comes from the params.
import type { AgentSpec } from '../agent-spec';
import type { ServiceName } from '../errors';
import type { AgentProvider, AgentResource, AgentStatus, CreatedAgent } from './provider';

/** What is known about a provider without building it. */
export type ProviderFacts = Pick<AgentProvider, 'description' | 'serviceName' | 'listedStateIsCurrent' | 'listingFix'>;

export class LazyProvider implements AgentProvider {
  private instance?: AgentProvider;

  constructor(private readonly build: () => AgentProvider, private readonly facts: ProviderFacts) {}

  private get real(): AgentProvider {
    this.instance ??= this.build();
    return this.instance;
  }

  /** The real provider's once built (it may learn more, e.g. the location), else the one from the params. */
  get description(): string {
    return this.instance ? this.instance.description : this.facts.description;
  }

  get serviceName(): ServiceName {
    return this.facts.serviceName;
  }

  get listedStateIsCurrent(): boolean {
    return this.facts.listedStateIsCurrent;
  }

  get listingFix(): string | undefined {
    return this.facts.listingFix;
  }

  resourceIdOf(agentName: string, generation: number | string): string {
    return this.real.resourceIdOf(agentName, generation);
  }

  prepare(): Promise<void> {
    return this.real.prepare();
  }

  create(spec: AgentSpec, secret: string): Promise<CreatedAgent> {
    return this.real.create(spec, secret);
  }

  get(name: string): Promise<AgentStatus | undefined> {
    return this.real.get(name);
  }

  listByRun(runId: string): Promise<AgentResource[]> {
    return this.real.listByRun(runId);
  }

  logTail(name: string, lines: number): Promise<string | undefined> {
    return this.real.logTail(name, lines);
  }

  delete(name: string): Promise<boolean> {
    return this.real.delete(name);
  }

  // The optional members exist when the real provider has them; asking builds it.
  get listAll(): AgentProvider['listAll'] {
    const real = this.real;
    return real.listAll ? () => (real.listAll as NonNullable<AgentProvider['listAll']>).call(real) : undefined;
  }

  get createMany(): AgentProvider['createMany'] {
    const real = this.real;
    return real.createMany
      ? (items, secret) => (real.createMany as NonNullable<AgentProvider['createMany']>).call(real, items, secret)
      : undefined;
  }

  get learnLocation(): AgentProvider['learnLocation'] {
    const real = this.real;
    return real.learnLocation ? (resourceId) => (real.learnLocation as NonNullable<AgentProvider['learnLocation']>).call(real, resourceId) : undefined;
  }

  get startDelayWarning(): AgentProvider['startDelayWarning'] {
    const real = this.real;
    return real.startDelayWarning ? (count) => (real.startDelayWarning as NonNullable<AgentProvider['startDelayWarning']>).call(real, count) : undefined;
  }
}
