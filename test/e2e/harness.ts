// Shared by the e2e tests: the bundled tasks (dist/tasks) run as the pipeline agent runs them
// against one in-process emulator per test file, and checks of what a user would see afterwards
// (the emulator's state, the job log, the raw task output).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { type Emulator, startEmulator } from '../../emulator/src/index';
import type { TaskOutcome } from '../../emulator/src/pipeline-agent';
import { PipelineRun, type PipelineRunOptions } from '../../emulator/src/pipeline-run';

export const TASKS_DIR = path.resolve(__dirname, '..', '..', '..', 'dist', 'tasks');

export interface State {
  containerGroups: Array<{ name: string; resourceGroup: string; provisioningState: string; tags: Record<string, string>; containers: Array<{ name: string; state: string; exitCode: number | null }> }>;
  batchJobs: Array<{ id: string; poolId: string }>;
  batchTasks: Array<{ jobId: string; id: string; state: string; exitCode: number | null }>;
  agents: Array<{ pool: string; id: number; name: string; status: string; enabled: boolean; capabilities: Record<string, string> }>;
  jobRequests: Array<{ requestId: number; pool: string; demands: string[]; result: string | null; agentName: string | null }>;
  secretsSeen: Array<{ agentName: string; where: string }>;
  requests: Array<{ time: string; service: string; method: string; path: string; query: string; status: number }>;
}

/** Fails the suite early, with the fix, when the bundles are missing. */
export function requireBundles(): void {
  for (const task of ['RequestEphemeralAgentV1', 'WaitForAgentV1', 'ReleaseEphemeralAgentV1']) {
    assert.ok(existsSync(path.join(TASKS_DIR, task, 'index.js')), `dist/tasks/${task}/index.js is missing: run 'npm run build' first`);
  }
}

export class World {
  private constructor(readonly emulator: Emulator) {}

  static async start(): Promise<World> {
    requireBundles();
    const world = new World(await startEmulator({ log: () => {} }));
    // Fast knobs: short long-polls so agents notice jobs and go offline quickly.
    await world.control('POST', 'config', { containerStartDelayMs: 0, agentStartDelayMs: 0, devopsLongPollMs: 500 });
    return world;
  }

  get info() {
    return this.emulator.readyInfo();
  }

  get seed() {
    return this.info.seed;
  }

  run(options: PipelineRunOptions = {}): PipelineRun {
    return new PipelineRun(this.info, { tasksDir: TASKS_DIR, ...options });
  }

  async control<T = unknown>(method: string, route: string, body?: unknown): Promise<T> {
    const base = this.info.control.endsWith('/') ? this.info.control : `${this.info.control}/`;
    const response = await fetch(new URL(route, base), {
      method,
      headers: body ? { 'content-type': 'application/json' } : undefined,
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`control ${method} ${route}: ${response.status} ${text}`);
    return JSON.parse(text) as T;
  }

  state(): Promise<State> {
    return this.control<State>('GET', 'state');
  }

  async fault(rule: Record<string, unknown>): Promise<void> {
    await this.control('POST', 'faults', rule);
  }

  async reset(): Promise<void> {
    await this.control('POST', 'reset');
  }

  async stop(): Promise<void> {
    await this.emulator.stop();
  }

  /** Queues one job per agent with the run's demand and waits until each has finished. */
  async runJobs(runId: string | number, count: number, timeoutMs = 20_000): Promise<State['jobRequests']> {
    const demand = `EPHEMERAL_RUN -equals ${runId}`;
    const queued = await Promise.all(Array.from({ length: count }, () =>
      this.control<{ requestId: number; result?: string; message?: string }>('POST', 'jobs', { pool: this.seed.agentPool, demands: [demand], durationMs: 300 })));
    for (const q of queued) assert.equal(q.result, undefined, `job for run ${runId} failed at queue time: ${q.message}`);
    const ids = queued.map((q) => q.requestId);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const requests = (await this.state()).jobRequests.filter((r) => ids.includes(r.requestId));
      if (requests.every((r) => r.result)) return requests;
      if (Date.now() > deadline) assert.fail(`jobs of run ${runId} did not finish: ${JSON.stringify(requests)}`);
      await sleep(200);
    }
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The step succeeded; otherwise the assertion shows its log. */
export function assertSucceeded(outcome: TaskOutcome, what: string): void {
  assert.equal(outcome.result, 'Succeeded', `${what}: ${outcome.result}: ${outcome.message}\n${outcome.log}`);
}

/**
 * No secret appears in the raw output other than in the `task.setsecret` command that registers
 * it, and that command comes before any other line could show it.
 */
export function assertNoSecretIn(outcome: TaskOutcome, secrets: ReadonlyArray<string | undefined>, what: string): void {
  const lines = outcome.rawOutput.split('\n');
  for (const secret of secrets) {
    if (!secret) continue;
    for (const [i, line] of lines.entries()) {
      if (!line.includes(secret)) continue;
      // A multi-line secret (a PEM) is registered one line at a time by the agent's masker; a single-line one whole.
      const registering = line.startsWith('##vso[task.setsecret]');
      assert.ok(registering, `${what}: line ${i + 1} of the raw output shows a secret: ${line.replace(secret, '<SECRET>').slice(0, 200)}`);
    }
  }
}

/** What the run left behind: containers, Batch tasks and registrations carrying its run id. */
export function leftovers(state: State, runId: string | number): string[] {
  const run = String(runId);
  return [
    ...state.containerGroups.filter((g) => g.tags.run === run).map((g) => `container group ${g.name}`),
    ...state.batchTasks.filter((t) => new RegExp(`^[a-z]+-${run}-`).test(t.id)).map((t) => `Batch task ${t.id}`),
    ...state.agents.filter((a) => a.capabilities.EPHEMERAL_RUN === run).map((a) => `agent ${a.name}`),
  ];
}

/**
 * Scenarios that run concurrently from a suite's `before` and are awaited by the tests that check
 * them: one slow emulator world serves them all at once.
 */
export class Scenarios {
  private readonly running = new Map<string, Promise<unknown>>();

  start(name: string, body: () => Promise<unknown>): void {
    const promise = body();
    // Awaited by its test; an unawaited rejection must not end the process first.
    promise.catch(() => undefined);
    this.running.set(name, promise);
  }

  result<T>(name: string): Promise<T> {
    return this.running.get(name) as Promise<T>;
  }

  /** Every scenario settled, whatever its outcome. */
  settled(): Promise<unknown> {
    return Promise.allSettled(this.running.values());
  }
}
