// The DESIGN.md pipeline as the e2e tests run it: provision (RequestEphemeralAgent, WaitForAgent),
// one job per agent through the pool queue, release (ReleaseEphemeralAgent), with the inputs a
// user would write for each provider, AzureRM auth scheme and registration mode.
import type { TaskOutcome } from '../../emulator/src/pipeline-agent';
import { type AzureRmAuth, CONNECTION_IDS, type PipelineRun } from '../../emulator/src/pipeline-run';
import type { State, World } from './harness';

export type Registration = 'azureServiceConnection' | 'systemAccessToken' | 'pat';

export interface FlowSpec {
  provider: 'aci' | 'batch';
  auth: AzureRmAuth;
  registration: Registration;
  /** Batch only: how the task authenticates to the Batch account. */
  batchAuth?: 'sharedKey' | 'azureServiceConnection';
  count?: number;
  release?: boolean;
  /** Pipeline variables for every step (e.g. Agent.ProxyUrl). */
  variables?: Record<string, string>;
  /** Extra RequestEphemeralAgent inputs. */
  requestInputs?: Record<string, string>;
  /** How the tasks trust the emulator's CA (default: NODE_EXTRA_CA_CERTS). */
  trust?: 'environment' | 'agentCaInfo';
}

export interface FlowResult {
  run: PipelineRun;
  request: TaskOutcome;
  wait?: TaskOutcome;
  /** The state right after WaitForAgent. */
  afterWait?: State;
  jobs?: State['jobRequests'];
  releases: TaskOutcome[];
  afterRelease?: State;
}

/** The provider inputs of a step, as a user writes them (secrets as secret variables). */
export function providerInputs(world: World, spec: Pick<FlowSpec, 'provider' | 'auth' | 'batchAuth'>): { inputs: Record<string, string>; secretVariables: Record<string, string> } {
  const { seed } = world;
  const inputs: Record<string, string> = { azureSubscription: CONNECTION_IDS[spec.auth], provider: spec.provider };
  const secretVariables: Record<string, string> = {};
  if (spec.provider === 'aci') {
    inputs.resourceGroup = seed.resourceGroup;
  } else {
    inputs.batchAccountUrl = world.info.batch;
    inputs.batchPoolId = seed.batchPoolId;
    inputs.batchAuthentication = spec.batchAuth ?? 'azureServiceConnection';
    if (spec.batchAuth === 'sharedKey') {
      inputs.batchAccountName = seed.batchAccountName;
      inputs.batchAccountKey = seed.batchAccountKey; // the agent expands $(BatchAccountKey) into the input
      secretVariables.BatchAccountKey = seed.batchAccountKey;
    }
  }
  return { inputs, secretVariables };
}

/** Every secret of the seed a task could print. */
export function seedSecrets(world: World): string[] {
  const { seed } = world;
  // A line of the certificate's private key stands for the multi-line PEM.
  const keyLine = seed.clientCertificatePem.split('\n').find((l) => /^[A-Za-z0-9+/]{40,}$/.test(l) && seed.clientCertificatePem.indexOf(l) > seed.clientCertificatePem.indexOf('PRIVATE KEY'));
  return [seed.clientSecret, seed.pat, seed.systemAccessToken, seed.batchAccountKey, keyLine].filter((s): s is string => Boolean(s));
}

export async function provision(world: World, run: PipelineRun, spec: FlowSpec, job = run.job('provision')): Promise<{ request: TaskOutcome; wait?: TaskOutcome; afterWait?: State }> {
  const { seed } = world;
  const { inputs, secretVariables } = providerInputs(world, spec);
  const registrationInputs: Record<string, string> = { registration: spec.registration };
  // On Batch a PAT or the job token is readable from the task's environment: the user opts in explicitly.
  if (spec.provider === 'batch' && spec.registration !== 'azureServiceConnection') registrationInputs.allowReadableTokenOnBatch = 'true';
  if (spec.registration === 'pat') {
    registrationInputs.registrationToken = seed.pat;
    secretVariables.AgentPoolPat = seed.pat;
  }
  const request = await job.step('RequestEphemeralAgent', {
    ...inputs, ...registrationInputs, agentPool: seed.agentPool, image: seed.image, count: String(spec.count ?? 1), ...spec.requestInputs,
  }, { name: 'eph', secretVariables, variables: spec.variables });
  if (request.result !== 'Succeeded') return { request };
  const wait = await job.step('WaitForAgent', { ...inputs, agentPool: seed.agentPool, timeoutMinutes: '2' }, { secretVariables, variables: spec.variables });
  return { request, wait, afterWait: await world.state() };
}

export async function release(world: World, run: PipelineRun, spec: FlowSpec, job = run.job('release')): Promise<TaskOutcome> {
  const { inputs, secretVariables } = providerInputs(world, spec);
  return job.step('ReleaseEphemeralAgent', { ...inputs, agentPool: world.seed.agentPool }, { secretVariables, variables: spec.variables });
}

/** Provision, one job per agent, release: the whole pipeline of DESIGN.md. */
export async function fullFlow(world: World, spec: FlowSpec, run = world.run({ release: spec.release, trust: spec.trust })): Promise<FlowResult> {
  const { request, wait, afterWait } = await provision(world, run, spec);
  const result: FlowResult = { run, request, wait, afterWait, releases: [] };
  // The run value the jobs demand: the build id, or release-<id> in a classic release (the request's `demand` output).
  const runValue = request.variables.demand?.value.split(' ').pop() ?? run.buildId;
  if (wait?.result === 'Succeeded') result.jobs = await world.runJobs(runValue, spec.count ?? 1);
  result.releases.push(await release(world, run, spec));
  result.afterRelease = await world.state();
  return result;
}

export function allOutcomes(result: FlowResult): TaskOutcome[] {
  return [result.request, result.wait, ...result.releases].filter((o): o is TaskOutcome => Boolean(o));
}
