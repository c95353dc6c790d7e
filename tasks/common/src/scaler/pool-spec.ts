// The agents of a scaled pool and its template registration, described once. Pool agents carry
// EPHEMERAL_AGENT=1 (this extension made them) and EPHEMERAL_SCALER=<namePrefix> (which pool owns
// them), but no EPHEMERAL_RUN: any job of the pool may use them. They wait for a job as long as it
// takes (no idle timeout, no expiry: the scaler removes them), and their resources carry an owner tag
// so two concurrent runs can tell whose create won.
import { createHash } from 'node:crypto';
import { type AgentShape, type AgentSpec, buildAgentSpecs, RUN_CAPABILITY, TAG_EXPIRES_AT } from '../agent-spec';
import { SCALER_RUN_CAPABILITY } from '../ownership';

export const SCALER_CAPABILITY = SCALER_RUN_CAPABILITY;
export const TEMPLATE_CAPABILITY = 'EPHEMERAL_TEMPLATE';
export const TEMPLATE_HASH_CAPABILITY = 'EPHEMERAL_TEMPLATE_HASH';
/** Entrypoint switch: register and exit 0 (images/entrypoint-contract.json). */
export const CONFIGURE_ONLY_ENV = 'AZP_CONFIGURE_ONLY';
export const TAG_SCALER = 'scaler';
export const TAG_OWNER = 'owner';

/** `runId` is the scaler's run, for the run tag. */
export interface PoolAgentTemplate extends AgentShape {
  namePrefix: string;
  /** Unique per task run: written as the owner tag, read back after create. */
  owner: string;
  /** Minutes an agent waits for its first job before it exits on its own (default 0: until removed). */
  idleTimeoutMinutes?: number;
}

export function templateName(namePrefix: string): string {
  return `tpl-${namePrefix}`;
}

/** The spec of one pool agent named `name` (a slot name). */
export function poolAgentSpec(template: PoolAgentTemplate, name: string, now: number): AgentSpec {
  const { namePrefix: _prefix, owner: _owner, idleTimeoutMinutes = 0, ...shape } = template;
  const [spec] = buildAgentSpecs({
    ...shape,
    names: [name],
    // Standby agents wait for their job (by default): the scaler, not a timer, removes idle ones.
    idleTimeoutMinutes,
    keepFailedMinutes: 0,
    capabilities: [...template.capabilities, [SCALER_CAPABILITY, template.namePrefix]],
    now,
  });
  delete spec.env[RUN_CAPABILITY];
  delete spec.tags[TAG_EXPIRES_AT];
  spec.tags[TAG_SCALER] = template.namePrefix;
  spec.tags[TAG_OWNER] = template.owner;
  return spec;
}

/**
 * A fingerprint of what decides the agents' capabilities: the image and the capabilities. The
 * template is recreated when it changes.
 */
export function templateHash(template: Pick<PoolAgentTemplate, 'image' | 'osType' | 'capabilities' | 'namePrefix'>): string {
  const capabilities = [...template.capabilities].map(([n, v]) => `${n.toUpperCase()}=${v}`).sort();
  return createHash('sha256').update(JSON.stringify([template.image, template.osType, template.namePrefix, capabilities])).digest('hex').slice(0, 16);
}

/** The spec of the configure-only container that registers the template. */
export function templateSpec(template: PoolAgentTemplate, now: number): AgentSpec {
  const spec = poolAgentSpec(template, templateName(template.namePrefix), now);
  spec.env[CONFIGURE_ONLY_ENV] = '1';
  spec.env[TEMPLATE_CAPABILITY] = '1';
  spec.env[TEMPLATE_HASH_CAPABILITY] = templateHash(template);
  // A small container: it only registers.
  spec.cpu = Math.min(spec.cpu, 1);
  spec.memoryGB = Math.min(spec.memoryGB, 1.5);
  return spec;
}
