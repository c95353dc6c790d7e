// A pipeline run against a running emulator: the predefined variables, the service connections a
// real project would hold (built from the seed), and jobs whose steps see the variables earlier steps
// set, as on the agent. Tests and the demo drive the bundled tasks through it. Never shipped.
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { ReadyInfo } from './emulator';
import { runTask, type ServiceConnection, type TaskOutcome, type TaskRun } from './pipeline-agent';

export type AzureRmAuth = 'secret' | 'certificate' | 'workloadIdentity';

/** Ids of the service connections every PipelineRun offers (the value a task input holds). */
export const CONNECTION_IDS: Record<AzureRmAuth, string> = {
  secret: 'arm-spn-secret',
  certificate: 'arm-spn-certificate',
  workloadIdentity: 'arm-workload-identity',
};

/** An AzureRM service connection pointing at the emulator, the way a sovereign-cloud connection does. */
export function azureRmConnection(world: ReadyInfo, auth: AzureRmAuth): ServiceConnection {
  const { seed } = world;
  const data = {
    subscriptionId: seed.subscriptionId,
    subscriptionName: 'Emulated subscription',
    environment: 'AzureStack',
    activeDirectoryAuthority: world.entra,
    activeDirectoryServiceEndpointResourceId: 'https://management.azure.com/',
  };
  const base = { tenantid: seed.tenantId, serviceprincipalid: seed.clientId };
  switch (auth) {
    case 'secret':
      return {
        id: CONNECTION_IDS.secret, url: world.arm, scheme: 'ServicePrincipal', data,
        parameters: { ...base, authenticationType: 'spnKey', serviceprincipalkey: seed.clientSecret },
      };
    case 'certificate':
      return {
        id: CONNECTION_IDS.certificate, url: world.arm, scheme: 'ServicePrincipal', data,
        parameters: { ...base, authenticationType: 'spnCertificate', servicePrincipalCertificate: seed.clientCertificatePem },
      };
    case 'workloadIdentity':
      return { id: CONNECTION_IDS.workloadIdentity, url: world.arm, scheme: 'WorkloadIdentityFederation', data, parameters: base };
  }
}

export interface StepOptions {
  /** The step's `name:`; its output variables become `<name>.<variable>` for later steps. */
  name?: string;
  secretVariables?: Record<string, string>;
  /** Extra pipeline variables for this step (e.g. Agent.ProxyUrl); they override the job's. */
  variables?: Record<string, string>;
  cancelAfterMs?: number;
  cancelSignal?: AbortSignal;
  onLine?: (line: string) => void;
}

/** One job of the run: steps share the variables they set, as on the agent. */
export class PipelineJob {
  private readonly variables: Record<string, string> = {};

  constructor(
    private readonly run: PipelineRun,
    readonly name: string,
    readonly attempt = 1,
    readonly jobId: string = randomUUID(),
  ) {}

  async step(task: string, inputs: Record<string, string>, options: StepOptions = {}): Promise<TaskOutcome> {
    const outcome = await runTask({
      entry: this.run.entryOf(task),
      inputs,
      variables: { ...this.run.variables(), 'System.JobId': this.jobId, 'System.JobName': this.name, 'System.JobAttempt': String(this.attempt), ...this.variables, ...options.variables },
      secretVariables: options.secretVariables,
      endpoints: this.run.endpoints,
      systemAccessToken: this.run.world.seed.systemAccessToken,
      env: this.run.env,
      cancelAfterMs: options.cancelAfterMs,
      cancelSignal: options.cancelSignal,
      onLine: options.onLine,
    } satisfies TaskRun);
    for (const [name, variable] of Object.entries(outcome.variables)) {
      if (variable.isSecret) continue;
      this.variables[name] = variable.value;
      if (variable.isOutput && options.name) this.variables[`${options.name}.${name}`] = variable.value;
    }
    return outcome;
  }

  /** A retry of this job: same System.JobId, next attempt, variables of earlier attempts gone. */
  retry(): PipelineJob {
    return new PipelineJob(this.run, this.name, this.attempt + 1, this.jobId);
  }
}

export interface PipelineRunOptions {
  buildId?: number;
  /** Where the task bundles are: a folder holding `<TaskFolder>/index.js`. Default: dist/tasks. */
  tasksDir?: string;
  /** Classic release pipelines identify the run by Release.DeploymentId instead of Build.BuildId. */
  release?: boolean;
  /**
   * How the tasks come to trust the emulator's CA: NODE_EXTRA_CA_CERTS in their environment (default),
   * or the agent's certificate settings (Agent.CAInfo, from `config.sh --sslcacert`) alone.
   */
  trust?: 'environment' | 'agentCaInfo';
}

export class PipelineRun {
  readonly buildId: number;
  readonly planId = randomUUID();
  readonly endpoints: ServiceConnection[];
  readonly env: Record<string, string>;
  private readonly tasksDir: string;

  constructor(readonly world: ReadyInfo, private readonly options: PipelineRunOptions = {}) {
    this.buildId = options.buildId ?? 1000 + Math.floor(Math.random() * 9000);
    this.tasksDir = options.tasksDir ?? path.resolve(__dirname, '..', '..', '..', 'dist', 'tasks');
    this.endpoints = (Object.keys(CONNECTION_IDS) as AzureRmAuth[]).map((auth) => azureRmConnection(world, auth));
    this.env = options.trust === 'agentCaInfo' ? {} : { NODE_EXTRA_CA_CERTS: world.caCertPath };
  }

  entryOf(task: string): string {
    return path.join(this.tasksDir, task.endsWith('V1') ? task : `${task}V1`, 'index.js');
  }

  variables(): Record<string, string> {
    const { seed } = this.world;
    const common: Record<string, string> = {
      'System.CollectionUri': this.world.devops,
      'System.TeamFoundationCollectionUri': this.world.devops,
      'System.TeamProjectId': seed.projectId,
      'System.TeamProject': seed.projectName,
      'System.PlanId': this.planId,
      'System.HostType': this.options.release ? 'release' : 'build',
      'System.DefinitionId': '7',
      ...(this.options.trust === 'agentCaInfo' ? { 'Agent.CAInfo': this.world.caCertPath } : {}),
    };
    if (this.options.release) return { ...common, 'Release.DeploymentId': String(this.buildId), 'Release.ReleaseId': String(this.buildId) };
    return { ...common, 'Build.BuildId': String(this.buildId), 'Build.DefinitionName': 'ephemeral-demo' };
  }

  job(name: string): PipelineJob {
    return new PipelineJob(this, name);
  }
}
