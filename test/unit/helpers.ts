// Inputs, variables and service connections of a typical job, for building MemoryTaskIO instances.
import { MemoryTaskIO, type FakeEndpoint } from './fakes/memory-task-io';

export const CONNECTION_ID = 'c0ffee00-0000-4000-8000-000000000001';
export const SUBSCRIPTION = '00000000-0000-4000-8000-0000000005b1';

export function pipelineVariables(extra: Record<string, string> = {}): Record<string, string> {
  return {
    'System.CollectionUri': 'https://dev.azure.com/contoso/',
    'System.TeamProjectId': '6ce954b1-0000-4000-8000-0000000000a1',
    'System.HostType': 'build',
    'System.PlanId': '11111111-0000-4000-8000-000000000001',
    'System.JobId': '22222222-0000-4000-8000-000000000002',
    'System.JobAttempt': '1',
    'Build.BuildId': '4711',
    ...extra,
  };
}

export function spnEndpoint(extra: Partial<FakeEndpoint> = {}): FakeEndpoint {
  return {
    url: 'https://management.azure.com/',
    scheme: 'ServicePrincipal',
    parameters: { serviceprincipalid: 'app-id', tenantid: 'tenant-id', authenticationType: 'spnKey', serviceprincipalkey: 'super-secret-value' },
    data: { subscriptionId: SUBSCRIPTION, environment: 'AzureCloud' },
    ...extra,
  };
}

export function requestIO(inputs: Record<string, string> = {}, vars: Record<string, string> = {}, endpoints?: Record<string, FakeEndpoint>): MemoryTaskIO {
  return new MemoryTaskIO(
    { agentPool: 'Ephemeral', image: 'myacr.azurecr.io/azp-agent:linux', azureSubscription: CONNECTION_ID, resourceGroup: 'build-agents', ...inputs },
    pipelineVariables(vars),
    endpoints ?? { [CONNECTION_ID]: spnEndpoint(), SystemVssConnection: { url: 'https://dev.azure.com/contoso/', scheme: 'OAuth', parameters: { AccessToken: 'job-access-token' } } },
  );
}
