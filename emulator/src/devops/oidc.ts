// `{project}/_apis/distributedtask/hubs/{hub}/plans/{planId}/jobs/{jobId}/oidctoken`: the job's
// OIDC token for workload identity federation, which the emulated Entra accepts as a federated
// assertion (TaskApi.createOidcToken).
import type { Reply } from '../context';
import { issueDevOpsOidcToken } from '../tokens';
import { badRequest, devopsError } from './errors';
import { type Call, json } from './http';

export function createOidcToken({ ctx, req }: Call, scopeIdentifier: string): Reply {
  const scope = scopeIdentifier.toLowerCase();
  if (scope !== ctx.seed.projectId.toLowerCase() && scope !== ctx.seed.projectName.toLowerCase()) {
    return devopsError(404, 'ProjectDoesNotExistWithNameException', `TF200016: The following project does not exist: ${scopeIdentifier}.`);
  }
  const serviceConnectionId = req.query.get('serviceConnectionId');
  if (!serviceConnectionId) throw badRequest('Value cannot be null.\r\nParameter name: serviceConnectionId', 'ArgumentNullException');
  return json({ oidcToken: issueDevOpsOidcToken(ctx.tokens, ctx.seed, serviceConnectionId) });
}
