// The job's OIDC token for a service connection (workload identity federation), fetched from the
// pipeline's own endpoint with the job access token, fresh for every call.
import { InputError } from '../errors';
import type { PipelineContext } from '../params/pipeline';
import type { NodeApiCertificates } from '../agent-tls';
import type { ProxyConfig } from '../task-io';
import { type NodeApiFactory, nodeApiFactory, nodeApiOptions } from './node-api-connection';

export function createOidcTokenSource(pipeline: PipelineContext, serviceConnectionId: string, proxy?: ProxyConfig,
  nodeApi: NodeApiFactory = nodeApiFactory, certificates?: NodeApiCertificates): () => Promise<string> {
  const { projectId, planId, jobAccessToken } = pipeline;
  if (!projectId || !planId || !jobAccessToken) {
    const missing = [!projectId && 'System.TeamProjectId', !planId && 'System.PlanId', !jobAccessToken && 'the job access token'].filter(Boolean).join(', ');
    throw new InputError('azureSubscription', `Workload identity federation needs ${missing} of the running job, which the agent did not provide`);
  }
  return async () => {
    const taskApi = nodeApi.taskApi(pipeline.collectionUri, nodeApi.handler('bearer', jobAccessToken), nodeApiOptions(proxy, certificates));
    const response = await taskApi.createOidcToken({}, projectId, pipeline.hostType, planId, pipeline.jobId, serviceConnectionId);
    if (!response?.oidcToken) throw new Error('the OIDC token endpoint answered without a token');
    return response.oidcToken;
  };
}
