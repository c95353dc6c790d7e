// The controller's configuration file: read, checked against config.schema.json (ajv), and each pool
// checked again by ScaleAgentPool's own input readers (pool-inputs.ts), so one set of rules holds for
// the task and the controller. Every failure is a ConfigError: one line naming the key and the fix.
import { readFileSync } from 'node:fs';
import Ajv, { type ErrorObject } from 'ajv';
import schema from '../config.schema.json';

export const DEFAULT_RESOURCE_MANAGER = 'https://management.azure.com/';
export const DEFAULT_INTERVAL_SECONDS = 30;

export type PairsValue = Record<string, string | number | boolean> | string[];

export interface ScheduleConfig {
  days: string[];
  from: string;
  to: string;
  timeZone: string;
  minIdle?: number;
  minAgents?: number;
}

/** One pool: ScaleAgentPool's inputs by name (values as JSON types), plus schedules. */
export interface PoolConfig {
  agentPool: string;
  namePrefix: string;
  image: string;
  mode?: 'queue' | 'fixed';
  schedules?: ScheduleConfig[];
  capabilities?: PairsValue;
  tags?: PairsValue;
  [input: string]: unknown;
}

export interface ControllerConfig {
  organizationUrl: string;
  resourceManagerEndpoint: string;
  intervalSeconds: number;
  pools: PoolConfig[];
}

/** A bad configuration (exit code 2); `key` is the path of the key at fault, e.g. pools[0].maxAgents. */
export class ConfigError extends Error {
  constructor(readonly key: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConfigError';
  }
}

const ajv = new Ajv({ allErrors: false, strict: false });
const validate = ajv.compile(schema);

/** `/pools/0/maxAgents` -> `pools[0].maxAgents`. */
export function keyPath(pointer: string): string {
  return pointer.split('/').slice(1).reduce((path, part) => (/^\d+$/.test(part) ? `${path}[${part}]` : path ? `${path}.${part}` : part), '');
}

/** The schema's description of the key at `pointer`, for the fix. */
function describeKey(pointer: string): string | undefined {
  const description = describeNode(pointer)?.description;
  return typeof description === 'string' ? description : undefined;
}

/** One readable line for ajv's first error. */
export function describeSchemaError(error: ErrorObject): ConfigError {
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'required') {
    const pointer = `${error.instancePath}/${String(params.missingProperty)}`;
    const key = keyPath(pointer);
    return new ConfigError(key, `'${key}' is required: ${describeKey(pointer) ?? 'add it'}`);
  }
  if (error.keyword === 'additionalProperty' || error.keyword === 'additionalProperties') {
    const parent = keyPath(error.instancePath);
    const key = parent ? `${parent}.${String(params.additionalProperty)}` : String(params.additionalProperty);
    const known = Object.keys(((describeNode(error.instancePath)?.properties) ?? {}) as object);
    return new ConfigError(key, `'${key}' is not a known key: remove it or use one of ${known.join(', ')}`);
  }
  const key = keyPath(error.instancePath) || '(the file)';
  const what = describeKey(error.instancePath);
  const allowed = error.keyword === 'enum' ? ` (${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')})` : '';
  return new ConfigError(key, `'${key}' ${error.message ?? 'is not valid'}${allowed}${what ? `: ${what}` : ''}`);
}

/** The schema node that describes the value at `pointer`. */
function describeNode(pointer: string): Record<string, unknown> | undefined {
  let node: Record<string, unknown> | undefined = schema as unknown as Record<string, unknown>;
  for (const part of pointer.split('/').slice(1)) {
    if (!node) return undefined;
    node = (/^\d+$/.test(part) ? node.items : (node.properties as Record<string, unknown> | undefined)?.[part]) as Record<string, unknown> | undefined;
  }
  return node;
}

/** Checks parsed JSON against the schema and fills the defaults. */
export function parseConfig(json: unknown): ControllerConfig {
  if (!validate(json)) throw describeSchemaError((validate.errors ?? [])[0]);
  const raw = json as Partial<ControllerConfig> & { organizationUrl: string; pools: PoolConfig[] };
  const prefixes = new Set<string>();
  raw.pools.forEach((pool, i) => {
    const id = `${pool.agentPool.toLowerCase()}/${pool.namePrefix}`;
    if (prefixes.has(id)) {
      throw new ConfigError(`pools[${i}].namePrefix`, `'pools[${i}].namePrefix' repeats pool '${pool.agentPool}' with prefix '${pool.namePrefix}': give each entry its own namePrefix or merge them`);
    }
    prefixes.add(id);
  });
  return {
    organizationUrl: raw.organizationUrl.endsWith('/') ? raw.organizationUrl : `${raw.organizationUrl}/`,
    resourceManagerEndpoint: raw.resourceManagerEndpoint ?? DEFAULT_RESOURCE_MANAGER,
    intervalSeconds: raw.intervalSeconds ?? DEFAULT_INTERVAL_SECONDS,
    pools: raw.pools,
  };
}

export function loadConfig(file: string): ControllerConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError('--config', `--config: cannot read '${file}' (${(error as NodeJS.ErrnoException).code ?? String(error)}): give the path of the JSON configuration file`, { cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError('--config', `--config: '${file}' is not valid JSON (${(error as Error).message}): fix the syntax`, { cause: error });
  }
  return parseConfig(json);
}
