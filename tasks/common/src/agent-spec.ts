// The one description of an agent, shared by every provider: what runs, where it registers, what
// environment (and so which capabilities) it gets, and how its Azure resources are tagged.
// The registration secret is not part of it: providers receive it separately and store it only as
// a secure value.
import { InputError } from './errors';

export type OsType = 'Linux' | 'Windows';

/** The environment variable the entrypoint reads the registration secret from (images/entrypoint-contract.json). */
export const SECRET_ENV_NAME = 'AZP_TOKEN';
/** Capabilities that bind jobs to this run's agents and mark agents this extension created. */
export const RUN_CAPABILITY = 'EPHEMERAL_RUN';
export const AGENT_CAPABILITY = 'EPHEMERAL_AGENT';
/** Resource tags (ARM) that mark what this extension created, for Release and sweepers. */
export const TAG_RUN = 'run';
export const TAG_POOL = 'pool';
export const TAG_CREATOR = 'creator';
export const TAG_EXPIRES_AT = 'expiresAt';
export const TAG_AGENT = 'agent';
export const TAG_KEEP_FAILED_MINUTES = 'keepFailedMinutes';
export const CREATOR = 'ephemeral-agents';
const RESERVED_TAGS = [TAG_RUN, TAG_POOL, TAG_CREATOR, TAG_EXPIRES_AT, TAG_AGENT, TAG_KEEP_FAILED_MINUTES];

/** How long past its idle timeout a claimed agent may run a job before sweepers treat it as expired. */
export const MAX_JOB_MINUTES = 360;

export interface AgentSpec {
  name: string;
  pool: string;
  image: string;
  osType: OsType;
  cpu: number;
  memoryGB: number;
  runId: string;
  /** Plain environment (never a secret): AZP_* settings, EPHEMERAL_* markers, capabilities. */
  env: Record<string, string>;
  /** Resource tags for ARM (run, pool, creator, expiresAt, user tags). */
  tags: Record<string, string>;
  idleTimeoutMinutes: number;
  keepFailedMinutes: number;
}

/** What every agent of one request or one scaled pool has in common. */
export interface AgentShape {
  pool: string;
  organizationUrl: string;
  image: string;
  osType: OsType;
  cpu: number;
  memoryGB: number;
  /** The run (Build.BuildId or Release.DeploymentId) that creates them. */
  runId: string;
  capabilities: ReadonlyArray<readonly [string, string]>;
  tags: ReadonlyArray<readonly [string, string]>;
}

export interface AgentSpecInput extends AgentShape {
  names: readonly string[];
  idleTimeoutMinutes: number;
  keepFailedMinutes: number;
  /** Creation time, epoch ms. */
  now: number;
}

const CAPABILITY_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** The agent drops environment variables of 1024 characters or more from its capabilities. */
const MAX_CAPABILITY_VALUE = 1023;

/** Validates `capabilities` lines; throws an InputError naming the input and the offending line. */
export function validateCapabilities(pairs: ReadonlyArray<readonly [string, string]>, input = 'capabilities'): void {
  const seen = new Set<string>();
  for (const [name, value] of pairs) {
    const upper = name.toUpperCase();
    if (upper.startsWith('AZP_') || /^(agent|system)\./i.test(name) || upper === RUN_CAPABILITY || upper === AGENT_CAPABILITY) {
      throw new InputError(input,
        `Input '${input}' cannot set '${name}': AZP_*, Agent.*, System.*, ${RUN_CAPABILITY} and ${AGENT_CAPABILITY} are reserved for the agent and this task; choose another name`);
    }
    if (!CAPABILITY_NAME.test(name)) {
      throw new InputError(input,
        `Input '${input}' has the capability name '${name}', which is not a valid environment variable name; use letters, digits and '_', not starting with a digit`);
    }
    if (seen.has(upper)) throw new InputError(input, `Input '${input}' sets '${name}' twice; keep one line per capability`);
    seen.add(upper);
    if (value.length > MAX_CAPABILITY_VALUE) {
      throw new InputError(input,
        `Input '${input}' sets '${name}' to ${value.length} characters; the agent ignores capabilities of 1024 characters or more`);
    }
  }
}

/** Validates `tags` lines against ARM's tag rules; reserved tag names are refused. */
export function validateTags(pairs: ReadonlyArray<readonly [string, string]>, input = 'tags'): void {
  if (pairs.length + RESERVED_TAGS.length > 50) {
    throw new InputError(input, `Input '${input}' has ${pairs.length} tags; Azure allows 50 per resource and this task uses ${RESERVED_TAGS.length}`);
  }
  const seen = new Set<string>();
  for (const [name, value] of pairs) {
    if (RESERVED_TAGS.some((r) => r.toLowerCase() === name.toLowerCase())) {
      throw new InputError(input, `Input '${input}' cannot set the tag '${name}': this task sets ${RESERVED_TAGS.join(', ')} itself`);
    }
    if (name.length > 512 || /[<>%&\\?/]/.test(name)) {
      throw new InputError(input, `Input '${input}' has the tag name '${name}', which Azure refuses: at most 512 characters, none of < > % & \\ ? /`);
    }
    if (value.length > 256) throw new InputError(input, `Input '${input}' sets the tag '${name}' to more than 256 characters, the Azure limit`);
    if (seen.has(name.toLowerCase())) throw new InputError(input, `Input '${input}' sets the tag '${name}' twice`);
    seen.add(name.toLowerCase());
  }
}

/** One AgentSpec per name. */
export function buildAgentSpecs(input: AgentSpecInput): AgentSpec[] {
  const expiresAt = new Date(input.now + (input.idleTimeoutMinutes + MAX_JOB_MINUTES) * 60_000).toISOString();
  const capabilityNames = input.capabilities.map(([name]) => name);
  // The entrypoint passes only EPHEMERAL_* (and its allowlist) to the agent; other capabilities must be kept explicitly.
  const keep = capabilityNames.filter((name) => !name.toUpperCase().startsWith('EPHEMERAL_'));
  return input.names.map((name) => {
    const env: Record<string, string> = {
      AZP_URL: input.organizationUrl.replace(/\/+$/, ''),
      AZP_POOL: input.pool,
      AZP_AGENT_NAME: name,
      AZP_IDLE_TIMEOUT_SECONDS: String(Math.round(input.idleTimeoutMinutes * 60)),
      [RUN_CAPABILITY]: input.runId,
      [AGENT_CAPABILITY]: '1',
    };
    if (keep.length > 0) env.AZP_ENV_KEEP = keep.join(',');
    for (const [capName, value] of input.capabilities) env[capName] = value;
    const tags: Record<string, string> = Object.fromEntries(input.tags);
    tags[TAG_RUN] = input.runId;
    tags[TAG_POOL] = input.pool;
    tags[TAG_CREATOR] = CREATOR;
    tags[TAG_AGENT] = name;
    tags[TAG_EXPIRES_AT] = expiresAt;
    if (input.keepFailedMinutes > 0) tags[TAG_KEEP_FAILED_MINUTES] = String(input.keepFailedMinutes);
    return {
      name,
      pool: input.pool,
      image: input.image,
      osType: input.osType,
      cpu: input.cpu,
      memoryGB: input.memoryGB,
      runId: input.runId,
      env,
      tags,
      idleTimeoutMinutes: input.idleTimeoutMinutes,
      keepFailedMinutes: input.keepFailedMinutes,
    };
  });
}
