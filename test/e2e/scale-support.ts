// Shared by the ScaleAgentPool end-to-end tests: an emulator, pipeline runs of the bundled task, and
// reads of the emulator's state. Also how the scale benchmarks are measured (see scaleBenchInputs).
import { type Emulator, startEmulator } from '../../emulator/src/index';
import { CONNECTION_IDS, PipelineRun } from '../../emulator/src/pipeline-run';
import type { TaskOutcome } from '../../emulator/src/pipeline-agent';

export interface ScaleState {
  containerGroups: Array<{ name: string; provisioningState: string; tags: Record<string, string>; containers: Array<{ state: string; exitCode: number | null }> }>;
  batchTasks: Array<{ jobId: string; id: string; state: string }>;
  agents: Array<{ id: number; name: string; status: string; enabled: boolean; capabilities: Record<string, string> }>;
  jobRequests: Array<{ requestId: number; result: string | null; agentName: string | null; agentRegistration: string | null; assignTime: string | null; finishTime: string | null }>;
  secretsSeen: unknown[];
  requests: Array<{ service: string; method: string; path: string; query: string; status: number }>;
}

export class ScaleWorld {
  run!: PipelineRun;
  private jobs = 0;

  constructor(readonly emu: Emulator) {
    this.run = new PipelineRun(emu.readyInfo());
  }

  static async start(): Promise<ScaleWorld> {
    // Room for a burst of 30 agents under the organization's parallel-job limit.
    return new ScaleWorld(await startEmulator({ log: () => undefined, seed: { selfHostedParallelJobs: 40 } }));
  }

  get seed() {
    return this.emu.seed;
  }

  /** ACI inputs of the task, with the secret-based AzureRM connection. */
  aci(namePrefix: string): Record<string, string> {
    return {
      provider: 'aci', azureSubscription: CONNECTION_IDS.secret, resourceGroup: this.seed.resourceGroup,
      agentPool: this.seed.agentPool, image: this.seed.image, namePrefix, cpu: '1', memoryGB: '1',
    };
  }

  /** Batch inputs of the task (shared key; registration with the Entra token of the connection). */
  batch(namePrefix: string): Record<string, string> {
    return {
      provider: 'batch', azureSubscription: CONNECTION_IDS.secret, batchAccountUrl: this.emu.urls.batch, batchPoolId: this.seed.batchPoolId,
      batchAuthentication: 'sharedKey', batchAccountName: this.seed.batchAccountName, batchAccountKey: this.seed.batchAccountKey,
      agentPool: this.seed.agentPool, image: this.seed.image, namePrefix,
    };
  }

  /** Runs ScaleAgentPool@1 (the bundle) once, as a step of a new job. */
  scale(inputs: Record<string, string>): Promise<TaskOutcome> {
    return this.run.job(`scale${++this.jobs}`).step('ScaleAgentPool', inputs);
  }

  async control<T>(method: string, route: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.emu.urls.control}/${route}`, {
      method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`control ${method} ${route}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  }

  state(): Promise<ScaleState> {
    return this.control<ScaleState>('GET', 'state');
  }

  queue(demands: string[] = [], durationMs = 300): Promise<{ requestId: number; result?: string; message?: string }> {
    return this.control('POST', 'jobs', { pool: this.seed.agentPool, demands, durationMs });
  }

  /** Polls the state until `probe` holds; the default limit is generous, for a loaded machine. */
  async until(probe: (s: ScaleState) => boolean, what: string, timeoutMs = 60_000): Promise<ScaleState> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = await this.state();
      if (probe(s)) return s;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify({ groups: s.containerGroups.map((g) => [g.name, g.containers[0]?.state]), agents: s.agents.map((a) => [a.name, a.status, a.enabled]), jobs: s.jobRequests.map((j) => [j.requestId, j.result, j.agentName]) })}`);
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
  }

  async reset(): Promise<void> {
    await this.emu.reset();
    this.run = new PipelineRun(this.emu.readyInfo());
  }

  stop(): Promise<void> {
    return this.emu.stop();
  }
}

/** The lines the task printed, without debug lines and logging commands. */
export function taskLines(outcome: TaskOutcome): string[] {
  return outcome.log.split('\n').filter((l) => l && !l.startsWith('##'));
}

export function outputOf(outcome: TaskOutcome, name: string): string | undefined {
  return outcome.variables[name]?.value;
}

/**
 * The benchmarks' inputs. scale.aci50.seconds: after control POST faults
 * {service:'arm', method:'PUT', path:'containerGroups', latencyMs:2000, count:50}, time one run of
 * ScaleAgentPool with these inputs (fixed mode, desiredCount 50) from 0 agents until every group reports
 * provisioningState Succeeded in GET state. scale.batch50.requests: the same with the Batch inputs,
 * then count state.requests whose path ends with /addtaskcollection.
 */
export function scaleBenchInputs(world: ScaleWorld, provider: 'aci' | 'batch'): Record<string, string> {
  return { ...(provider === 'aci' ? world.aci('bench') : world.batch('bench')), mode: 'fixed', desiredCount: '50', sweep: 'false' };
}
