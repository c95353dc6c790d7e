// The emulator's seed (identities, names and credentials a client needs) and the store it starts with.
// Ids are fixed so scripts can rely on them; credentials are fresh each run, shaped like real ones.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { TokenService } from './context';
import type { Seed, Store } from './store';
import { createClientCertificatePem } from './tls';
import { devopsOrganizationId } from './tokens';

const SEED_KEYS: readonly (keyof Seed)[] = [
  'tenantId', 'clientId', 'clientSecret', 'clientCertificatePem', 'subscriptionId', 'resourceGroup', 'location',
  'batchAccountName', 'batchAccountKey', 'batchPoolId', 'organization', 'projectId', 'projectName', 'pat',
  'systemAccessToken', 'agentPool', 'agentPoolId', 'image', 'systemIdentityClientId', 'userIdentityClientId', 'identityHeader',
];

/** 52 characters of RFC 4648 base32 (lowercase), the length and alphabet of a classic Azure DevOps PAT. */
function newPat(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  return Array.from(randomBytes(52), (byte) => alphabet[byte & 31]).join('');
}

/** An Entra client secret: 40 characters with the `~` marker real secrets carry at position 4. */
function newClientSecret(): string {
  const body = randomBytes(30).toString('base64url').replace(/[-_]/g, 'x').slice(0, 37);
  return `${body.slice(0, 3)}8Q~${body.slice(3, 37)}`;
}

/** A job access token as the agent hands System.AccessToken to tasks (issuer and audience as the real one). */
function newSystemAccessToken(tokens: TokenService, organization: string): string {
  return tokens.issue({
    nameid: 'b2f9c5f4-5a3c-4c8b-9f7e-6b1d2f7c1e01',
    scp: 'app_token',
    iss: 'app.vstoken.visualstudio.com',
    aud: `app.vstoken.visualstudio.com|vso:${devopsOrganizationId({ organization })}`,
  }, 7 * 24 * 3600);
}

/** The default seed; the certificate, secrets and job token are new on every call. */
export function createDefaultSeed(tokens: TokenService): Seed {
  const organization = 'emulated-org';
  return {
    tenantId: '72f988bf-0000-4000-8000-00000000e001',
    clientId: '4b6c1d2e-0000-4000-8000-00000000c11e',
    clientSecret: newClientSecret(),
    clientCertificatePem: createClientCertificatePem('ephemeral-agents-emulator-client'),
    subscriptionId: '00000000-0000-4000-8000-0000000005b1',
    resourceGroup: 'build-agents',
    location: 'eastus',
    batchAccountName: 'emubatch',
    batchAccountKey: randomBytes(64).toString('base64'),
    batchPoolId: 'agents',
    organization,
    projectId: '6ce954b1-0000-4000-8000-0000000000a1',
    projectName: 'Pipelines',
    pat: newPat(),
    systemAccessToken: newSystemAccessToken(tokens, organization),
    agentPool: 'Ephemeral',
    agentPoolId: 10,
    image: 'ephemeralagents.azurecr.io/azp-agent:linux',
    systemIdentityClientId: '5a1d0c3e-0000-4000-8000-00000000517e',
    userIdentityClientId: '0e2f4a6b-0000-4000-8000-00000000a55d',
    identityHeader: randomBytes(18).toString('base64url'),
  };
}

/** Reads a seed file: its keys replace the defaults' (a key with a default must keep its type). */
export async function loadSeedFile(file: string, defaults: Seed): Promise<Seed> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new Error(`cannot read the seed file ${file}`, { cause: error });
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error(`the seed file ${file} must hold a JSON object`);
  const seed: Record<string, unknown> = { ...defaults };
  for (const [key, value] of Object.entries(parsed)) {
    // Keys without a default (optional knobs of the services) pass through unchecked.
    if (SEED_KEYS.includes(key as keyof Seed)) {
      const expected = typeof defaults[key as keyof Seed];
      if (typeof value !== expected) throw new Error(`seed key '${key}' in ${file} must be a ${expected}`);
    }
    seed[key] = value;
  }
  return seed as unknown as Seed;
}

/** The world as the seed describes it: its resource group, agent pool and Batch pool, nothing running. */
export function createStore(seed: Seed): Store {
  const now = new Date().toISOString();
  return {
    resourceGroups: [{ subscriptionId: seed.subscriptionId, name: seed.resourceGroup, location: seed.location, tags: {} }],
    containerGroups: [],
    batchPools: [{
      id: seed.batchPoolId,
      createdAt: Date.now(),
      enableAutoScale: false,
      targetDedicatedNodes: 1,
      targetLowPriorityNodes: 0,
      // A two-core node (the wire's vmSize standard_d2s_v3) runs up to 4 x 2 task slots.
      extra: { taskSlotsPerNode: 8 },
    }],
    batchJobs: [],
    batchTasks: [],
    agentPools: [{ id: seed.agentPoolId, name: seed.agentPool, isHosted: false, poolType: 'automation', createdOn: now }],
    agents: [],
    jobRequests: [],
    secretsSeen: [],
    requests: [],
    nextIds: { agent: 1, request: 1, pool: seed.agentPoolId + 1 },
  };
}
