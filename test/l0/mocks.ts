// Stand-ins for the cloud SDKs, registered with TaskMockRunner.registerMock by the L0 runners. Each
// call is printed as a `CLOUD <what>` line so the tests can tell whether (and what) the task called.
// No secret is ever printed: the mocks print only whether a secret arrived where it should.

export interface MockWorld {
  pools: Array<{ id: number; name: string }>;
  agents: Array<{ id: number; name: string; status: number; enabled: boolean; systemCapabilities?: Record<string, string> }>;
}

function say(line: string): void {
  console.log(`CLOUD ${line}`);
}

export function devopsMock(world: MockWorld) {
  const api = {
    getAgentPools: async (name: string) => {
      say(`getAgentPools ${name}`);
      return world.pools.filter((p) => p.name === name);
    },
    getAgents: async (poolId: number, name?: string) => {
      say(`getAgents ${poolId}${name ? ` ${name}` : ''}`);
      return world.agents.filter((a) => !name || a.name === name);
    },
    updateAgent: async (agent: { id: number; enabled: boolean }) => {
      say(`updateAgent ${agent.id} enabled=${agent.enabled}`);
      return agent;
    },
    deleteAgent: async (_poolId: number, agentId: number) => {
      say(`deleteAgent ${agentId}`);
      world.agents = world.agents.filter((a) => a.id !== agentId);
    },
  };
  const handler = (kind: string) => class {
    constructor(readonly token: string) {}
    readonly kind = kind;
  };
  // The narrow modules the tasks load instead of WebApi (see tasks/common/src/devops/node-api-connection.ts).
  return {
    'azure-devops-node-api/handlers/bearertoken': { BearerCredentialHandler: handler('bearer') },
    'azure-devops-node-api/handlers/personalaccesstoken': { PersonalAccessTokenCredentialHandler: handler('pat') },
    'azure-devops-node-api/TaskAgentApiBase': {
      TaskAgentApiBase: class {
        constructor(url: string) {
          say(`TaskAgentApi ${url}`);
          return api;
        }
      },
    },
  };
}

/** Registers the Azure DevOps mocks with a TaskMockRunner. */
export function registerDevopsMock(tmr: { registerMock(name: string, mock: object): void }, world: MockWorld): void {
  for (const [name, mock] of Object.entries(devopsMock(world))) tmr.registerMock(name, mock);
}

/** Every module through which the tasks reach Azure DevOps. */
export const DEVOPS_MODULES = ['azure-devops-node-api/TaskAgentApiBase', 'azure-devops-node-api/TaskApi',
  'azure-devops-node-api/handlers/bearertoken', 'azure-devops-node-api/handlers/personalaccesstoken'];

export function identityMock() {
  const credential = (kind: string) => class {
    constructor() {
      say(`credential ${kind}`);
    }
    async getToken(scopes: string | string[]) {
      say(`getToken ${[scopes].flat().join(' ')}`);
      return { token: `token-for-${[scopes].flat()[0].length}`, expiresOnTimestamp: Date.now() + 3600_000 };
    }
  };
  return {
    ClientSecretCredential: credential('ClientSecretCredential'),
    ClientCertificateCredential: credential('ClientCertificateCredential'),
    ClientAssertionCredential: credential('ClientAssertionCredential'),
    ManagedIdentityCredential: credential('ManagedIdentityCredential'),
  };
}

interface Group { name?: string; tags?: Record<string, string>; containers: Array<{ environmentVariables?: Array<{ name: string; value?: string; secureValue?: string }> }> }

export function aciMock(existing: Group[] = []) {
  const groups = new Map<string, Group>(existing.map((g) => [g.name ?? '', g]));
  const notFound = () => Object.assign(new Error('not found'), { statusCode: 404, code: 'ResourceNotFound' });
  return {
    ContainerInstanceManagementClient: class {
      constructor(_credential: unknown, subscriptionId: string, options: { endpoint?: string; credentialScopes?: string[] }) {
        say(`ContainerInstanceManagementClient ${subscriptionId} ${options.endpoint} ${options.credentialScopes?.join(' ')}`);
      }
      containerGroups = {
        get: async (rg: string, name: string) => {
          say(`containerGroups.get ${rg} ${name}`);
          const group = groups.get(name);
          if (!group) throw notFound();
          return { ...group, id: `/subscriptions/s/resourceGroups/${rg}/providers/Microsoft.ContainerInstance/containerGroups/${name}`, provisioningState: 'Succeeded', instanceView: { state: 'Running' } };
        },
        beginCreateOrUpdate: async (rg: string, name: string, group: Group) => {
          const env = group.containers[0].environmentVariables ?? [];
          const secure = env.filter((e) => e.secureValue).map((e) => e.name).join(',');
          const plainSecretLike = env.some((e) => e.name === 'AZP_TOKEN' && e.value !== undefined);
          say(`containerGroups.create ${rg} ${name} secure=${secure} plainToken=${plainSecretLike} run=${group.tags?.run}`);
          groups.set(name, { ...group, name });
          const done = { ...group, name, id: `/subscriptions/s/resourceGroups/${rg}/providers/Microsoft.ContainerInstance/containerGroups/${name}`, provisioningState: 'Succeeded' };
          return { pollUntilDone: async () => done };
        },
        beginDeleteAndWait: async (rg: string, name: string) => {
          say(`containerGroups.delete ${rg} ${name}`);
          groups.delete(name);
        },
        list: () => listing(),
        listByResourceGroup: (rg: string) => {
          say(`containerGroups.listByResourceGroup ${rg}`);
          return listing(rg);
        },
      };
      containers = { listLogs: async () => ({ content: '' }) };
    },
  };
  async function* listing(rg = 'rg') {
    for (const group of groups.values()) {
      yield { ...group, id: `/subscriptions/s/resourceGroups/${rg}/providers/Microsoft.ContainerInstance/containerGroups/${group.name}`, provisioningState: 'Succeeded' };
    }
  }
}

/** A module whose every use is reported: for "no cloud call" assertions. */
export function forbiddenMock(name: string) {
  return new Proxy({}, {
    get: (_target, property) => {
      say(`forbidden ${name}.${String(property)}`);
      return () => undefined;
    },
  });
}
