// The one description of an agent, shared by every provider: what runs, where it registers, what
// environment (and so which capabilities) it gets, and how its Azure resources are tagged.
// The registration secret is not part of it: providers receive it separately and store it only as
// a secure value.
import { InputError } from './errors';
import { AGENT_CAPABILITY, CREATOR, makeOwner, ORG_CAPABILITY, type Owner, OWNER_TAGS, ownerEnv, ownerTags, POOL_CAPABILITY, PROJECT_CAPABILITY, RESOURCE_CAPABILITY, RUN_KIND_CAPABILITY, SCALER_RUN_CAPABILITY, type RunKind, RUN_CAPABILITY, TAG_CREATOR, TAG_POOL, TAG_RUN } from './ownership';

export { AGENT_CAPABILITY, CREATOR, RUN_CAPABILITY, TAG_CREATOR, TAG_POOL, TAG_RUN };

export type OsType = 'Linux' | 'Windows';

/** The environment variable the entrypoint reads the registration secret from (images/entrypoint-contract.json). */
export const SECRET_ENV_NAME = 'AZP_TOKEN';
/** Resource tags (ARM) that mark what this extension created, for Release and sweepers. */
export const TAG_EXPIRES_AT = 'expiresAt';
export const TAG_AGENT = 'agent';
export const TAG_KEEP_FAILED_MINUTES = 'keepFailedMinutes';
const RESERVED_TAGS = [TAG_RUN, TAG_POOL, TAG_CREATOR, ...OWNER_TAGS, TAG_EXPIRES_AT, TAG_AGENT, TAG_KEEP_FAILED_MINUTES];

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
  /** Whose it is; its facts are in env (EPHEMERAL_*) and tags. */
  owner: Owner;
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
  /** The EPHEMERAL_RUN value of the run that creates them (ownership.ts runValue). */
  runId: string;
  /** Default 'build'. */
  runKind?: RunKind;
  /** System.TeamProjectId ('' for none). */
  project?: string;
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

/** Ownership capabilities (ownership.ts) the task sets itself. */
const OWNERSHIP_CAPABILITIES = [RUN_CAPABILITY, AGENT_CAPABILITY, ORG_CAPABILITY, PROJECT_CAPABILITY, POOL_CAPABILITY, RUN_KIND_CAPABILITY, RESOURCE_CAPABILITY, SCALER_RUN_CAPABILITY];
/**
 * Environment names that would break the agent or its binding if a capability set them: the
 * shell's and the loader's (PATH=/x makes the entrypoint exit 127), VSO_AGENT_IGNORE (would hide
 * EPHEMERAL_AGENT, so nothing removes the registration), proxies, and what the agent reads itself.
 */
const BREAKING_NAMES = new Set(['VSO_AGENT_IGNORE', 'PATH', 'HOME', 'USER', 'SHELL', 'ENV', 'BASH_ENV', 'IFS', 'NODE_OPTIONS',
  'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'ALL_PROXY', 'FTP_PROXY',
  // TLS trust of the agent (.NET and Node read these).
  'SSL_CERT_FILE', 'SSL_CERT_DIR', 'NODE_EXTRA_CA_CERTS',
  // Windows: cmd.exe and PowerShell resolve start.ps1 and its tools through these.
  'PATHEXT', 'COMSPEC', 'PSMODULEPATH', 'SYSTEMROOT', 'TEMP', 'TMP']);
/** COMPLUS_* and CORECLR_* are .NET runtime settings (CORECLR_PROFILER_PATH loads a library into the agent). */
const BREAKING_PREFIXES = ['LD_', 'DOTNET_', 'COMPLUS_', 'CORECLR_', 'AGENT_', 'VSTS_', 'VSO_', 'AZP_'];

/** Why `name` cannot be a capability, or undefined when it can. */
export function reservedCapabilityReason(name: string): string | undefined {
  const upper = name.toUpperCase();
  if (/^(agent|system)\./i.test(name) || upper.startsWith('AZP_')) return 'AZP_*, Agent.* and System.* are the agent\'s own settings';
  if (OWNERSHIP_CAPABILITIES.includes(upper)) return `${OWNERSHIP_CAPABILITIES.join(', ')} say whose the agent is and are set by this task`;
  if (BREAKING_NAMES.has(upper)) return 'the agent, its shell or its proxy settings read it, so setting it breaks the agent or its binding to this run';
  const prefix = BREAKING_PREFIXES.find((p) => upper.startsWith(p));
  if (prefix) return `${prefix}* variables are read by the agent or its runtime, so setting one breaks the agent or its binding to this run`;
  return undefined;
}

/** Validates `capabilities` lines; throws an InputError naming the input and the offending line. */
export function validateCapabilities(pairs: ReadonlyArray<readonly [string, string]>, input = 'capabilities'): void {
  const seen = new Set<string>();
  for (const [name, value] of pairs) {
    const upper = name.toUpperCase();
    const reserved = reservedCapabilityReason(name);
    if (reserved) {
      throw new InputError(input, `Input '${input}' cannot set '${name}', a reserved name: ${reserved}; choose another name`);
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
  const owner = makeOwner({
    organization: input.organizationUrl, project: input.project ?? '', pool: input.pool, runKind: input.runKind ?? 'build', run: input.runId,
  });
  return input.names.map((name) => {
    const env: Record<string, string> = {
      AZP_URL: input.organizationUrl.replace(/\/+$/, ''),
      AZP_POOL: input.pool,
      AZP_AGENT_NAME: name,
      AZP_IDLE_TIMEOUT_SECONDS: String(Math.round(input.idleTimeoutMinutes * 60)),
      ...ownerEnv(owner),
    };
    if (keep.length > 0) env.AZP_ENV_KEEP = keep.join(',');
    for (const [capName, value] of input.capabilities) env[capName] = value;
    const tags: Record<string, string> = { ...Object.fromEntries(input.tags), ...ownerTags(owner) };
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
      owner,
      env,
      tags,
      idleTimeoutMinutes: input.idleTimeoutMinutes,
      keepFailedMinutes: input.keepFailedMinutes,
    };
  });
}
