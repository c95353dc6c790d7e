// The environment the Azure Pipelines agent gives a task: pipeline variables and service connections.
// Runners call this before TaskMockRunner.run(), which loads task-lib; task-lib reads it then.
import * as os from 'node:os';

export const CONNECTION_ID = 'c0ffee00-0000-4000-8000-000000000001';
export const SUBSCRIPTION = '00000000-0000-4000-8000-0000000005b1';

export function setPipelineEnvironment(): void {
  Object.assign(process.env, {
    SYSTEM_COLLECTIONURI: 'https://dev.azure.com/contoso/',
    SYSTEM_TEAMPROJECTID: '6ce954b1-0000-4000-8000-0000000000a1',
    SYSTEM_HOSTTYPE: 'build',
    SYSTEM_PLANID: '11111111-0000-4000-8000-000000000001',
    SYSTEM_JOBID: '22222222-0000-4000-8000-000000000002',
    SYSTEM_JOBATTEMPT: '1',
    BUILD_BUILDID: '4711',
    AGENT_TEMPDIRECTORY: os.tmpdir(),
    [`ENDPOINT_URL_${CONNECTION_ID}`]: 'https://management.azure.com/',
    [`ENDPOINT_AUTH_${CONNECTION_ID}`]: JSON.stringify({
      scheme: 'ServicePrincipal',
      parameters: { serviceprincipalid: 'app-id', tenantid: 'tenant-id', authenticationType: 'spnKey', serviceprincipalkey: 'spn-secret-value' },
    }),
    [`ENDPOINT_AUTH_SCHEME_${CONNECTION_ID}`]: 'ServicePrincipal',
    [`ENDPOINT_DATA_${CONNECTION_ID}_SUBSCRIPTIONID`]: SUBSCRIPTION,
    ENDPOINT_URL_SYSTEMVSSCONNECTION: 'https://dev.azure.com/contoso/',
    ENDPOINT_AUTH_SYSTEMVSSCONNECTION: JSON.stringify({ scheme: 'OAuth', parameters: { AccessToken: 'job-access-token-value' } }),
  });
}
