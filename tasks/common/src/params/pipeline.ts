// What the task learns about the running pipeline from the agent's variables.
import { InputError } from '../errors';
import { runValue } from '../ownership';
import { requireHttps } from './https';
import type { TaskIO } from '../task-io';

export interface PipelineContext {
  /**
   * The EPHEMERAL_RUN value that binds agents to this run: Build.BuildId, or in classic release
   * pipelines `release-<Release.DeploymentId>`, which no build id can equal.
   */
  runId: string;
  runKind: 'build' | 'release';
  /** System.JobId: stable across attempts of one job. */
  jobId: string;
  jobAttempt?: number;
  /** System.CollectionUri with a trailing slash, e.g. https://dev.azure.com/contoso/. */
  collectionUri: string;
  projectId?: string;
  planId?: string;
  /** System.HostType: 'build', 'release', 'deployment' ...; also the hub of the job's OIDC endpoint. */
  hostType: string;
  /** The job access token (SystemVssConnection), already masked. */
  jobAccessToken?: string;
  /** Who started the run, for tags (Build.RequestedFor), if known. */
  requestedFor?: string;
}

/** Reads the pipeline variables; the job token is masked before it is returned. */
export function readPipelineContext(io: Pick<TaskIO, 'getVariable' | 'getSecretVariable' | 'getEndpoint' | 'setSecret'>): PipelineContext {
  const hostType = (io.getVariable('System.HostType') ?? 'build').toLowerCase();
  const buildId = io.getVariable('Build.BuildId');
  const deploymentId = io.getVariable('Release.DeploymentId');
  // In a classic release Build.BuildId is the artifact's build, not this run.
  const isRelease = hostType === 'release' || hostType === 'deployment' ? deploymentId !== undefined : buildId === undefined && deploymentId !== undefined;
  const id = isRelease ? deploymentId : buildId;
  if (!id) {
    throw new InputError('Build.BuildId',
      'Neither Build.BuildId nor Release.DeploymentId is set: run this task in a build (YAML) or classic release pipeline');
  }
  const jobId = io.getVariable('System.JobId');
  if (!jobId) throw new InputError('System.JobId', 'The variable System.JobId is not set: run this task in an agent job');
  const collection = io.getVariable('System.CollectionUri') ?? io.getVariable('System.TeamFoundationCollectionUri');
  if (!collection) {
    throw new InputError('System.CollectionUri', 'The variable System.CollectionUri is not set: run this task in an Azure Pipelines job');
  }
  requireHttps(collection, 'System.CollectionUri', 'The organization URL');
  const fromEndpoint = io.getEndpoint('SystemVssConnection')?.authParameter('AccessToken');
  if (fromEndpoint) io.setSecret(fromEndpoint);
  const jobAccessToken = fromEndpoint ?? io.getSecretVariable('System.AccessToken');
  const attempt = Number(io.getVariable('System.JobAttempt'));
  const runKind = isRelease ? 'release' : 'build';
  if (!/^\d{1,10}$/.test(id)) {
    throw new InputError(isRelease ? 'Release.DeploymentId' : 'Build.BuildId', `The run id must be a number of at most 10 digits; got '${id}'`);
  }
  return {
    runId: runValue(runKind, id),
    runKind,
    jobId,
    jobAttempt: Number.isInteger(attempt) && attempt > 0 ? attempt : undefined,
    collectionUri: collection.endsWith('/') ? collection : `${collection}/`,
    projectId: io.getVariable('System.TeamProjectId'),
    planId: io.getVariable('System.PlanId'),
    hostType,
    jobAccessToken,
    requestedFor: io.getVariable('Build.RequestedFor') ?? io.getVariable('Release.RequestedFor'),
  };
}
