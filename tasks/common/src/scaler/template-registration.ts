// The template registration of a queue-scaled pool: Azure DevOps fails a queued job at once when no
// registration in the pool matches its demands, so a pool scaled from zero keeps one disabled agent
// `tpl-<namePrefix>` with exactly the capabilities its real agents get. It is made by the image itself
// (AZP_CONFIGURE_ONLY=1: the entrypoint registers and exits 0), so the capabilities are the image's,
// then its container is deleted and the registration disabled. A fingerprint capability
// (EPHEMERAL_TEMPLATE_HASH) tells when the image or the capabilities changed and it must be made again.
import type { AgentSpec } from '../agent-spec';
import type { Clock } from '../clock';
import { type AgentPoolClient, capability, type PoolAgent, type PoolRef } from '../devops/agent-pool-client';
import { CloudError, TimeoutError } from '../errors';
import { factsOfResource, isOwnedBy, type Owner, whyNotOwned } from '../ownership';
import { type AgentProvider, hasEnded } from '../providers/provider';
import type { Logger } from '../task-io';
import { TEMPLATE_HASH_CAPABILITY } from './pool-spec';

export const TEMPLATE_TIMEOUT_MS = 10 * 60_000;
const POLL_MS = 1000;
/** How long a scaler whose template container vanished waits for another scaler's registration. */
const VANISHED_WAIT_MS = 2 * 60_000;

export interface TemplateDeps {
  devops: AgentPoolClient;
  provider: AgentProvider;
  clock: Clock;
  log: Logger;
  secret: () => Promise<string>;
  signal?: AbortSignal;
  loc: (key: string, fallback: string, ...args: unknown[]) => string;
  /** Whose the template is: a container of its name that is someone else's is never deleted. */
  owner?: Owner;
}

export interface TemplateOutcome {
  agent: PoolAgent;
  /** 'kept' when the existing template was current. */
  action: 'kept' | 'created' | 'recreated';
}

/** Makes sure `spec.name` is registered, disabled and current; returns its registration. */
export async function ensureTemplate(pool: PoolRef, existing: PoolAgent | undefined, spec: AgentSpec, deps: TemplateDeps): Promise<TemplateOutcome> {
  const { devops, provider, log } = deps;
  const hash = spec.env[TEMPLATE_HASH_CAPABILITY];
  if (existing && capability(existing.capabilities, TEMPLATE_HASH_CAPABILITY) === hash) {
    if (existing.enabled) await devops.disableAgent(pool.id, existing);
    return { agent: { ...existing, enabled: false }, action: 'kept' };
  }

  // A new generation each time: a provider whose ids must be new (Batch) gets one.
  const resourceId = provider.resourceIdOf(spec.name, deps.clock.now().toString(36));
  const service = provider.serviceName;
  const secret = await deps.secret();
  await provider.prepare();
  const leftover = await provider.get(resourceId);
  if (leftover && deps.owner && !isOwnedBy(factsOfResource(leftover), deps.owner)) {
    throw new CloudError(service, `A container or task named '${resourceId}' exists and is not this scaler's (${whyNotOwned(factsOfResource(leftover), deps.owner)}); ` +
      "it is left alone and no template is made. Set input 'namePrefix' to another prefix");
  }
  if (leftover) await provider.delete(resourceId);
  if (provider.createMany) {
    const [result] = await provider.createMany([{ spec, id: resourceId }], secret);
    if (!result?.created) throw new CloudError(service, `The template registration '${spec.name}' could not be started: ${result?.error ?? 'not created'}`);
  } else {
    await provider.create(spec, secret);
  }

  // Another scaler of the pool making the same template at the same moment deletes the shared
  // container once it is done: then its registration, if current, is the template.
  let vanished = false;
  try {
    const deadline = deps.clock.now() + TEMPLATE_TIMEOUT_MS;
    for (;;) {
      const status = await provider.get(resourceId);
      if (status && hasEnded(status.state)) {
        if (status.state !== 'succeeded') {
          const tail = await provider.logTail(resourceId, 20);
          throw new CloudError(service,
            `The container that registers the template '${spec.name}' ended ${status.state} (${status.detail})${status.failure ? `: ${status.failure}` : ''}. ` +
            `Check the image and the registration credential.${tail ? `\nLast lines of its log:\n${tail}` : ''}`);
        }
        break;
      }
      if (!status) {
        vanished = true;
        break;
      }
      if (deps.clock.now() > deadline) throw new TimeoutError(`The template '${spec.name}' was not registered within ${TEMPLATE_TIMEOUT_MS / 60_000} minutes (${status.detail})`);
      await deps.clock.sleep(POLL_MS, deps.signal);
    }
  } finally {
    await provider.delete(resourceId).catch((error: unknown) => log.warning(deps.loc('TemplateContainerNotDeleted', "Template container '%s' could not be deleted: %s", resourceId, String(error))));
  }

  let [agent] = await devops.listAgents(pool.id, { names: [spec.name], includeCapabilities: true });
  // The other scaler deleted ours as a leftover and registers with its own: give it the time to.
  const current = (a: PoolAgent | undefined) => a !== undefined && capability(a.capabilities, TEMPLATE_HASH_CAPABILITY) === hash;
  const until = deps.clock.now() + VANISHED_WAIT_MS;
  while (vanished && !current(agent) && deps.clock.now() < until) {
    await deps.clock.sleep(POLL_MS, deps.signal);
    [agent] = await devops.listAgents(pool.id, { names: [spec.name], includeCapabilities: true });
  }
  if (vanished && !current(agent)) {
    throw new CloudError(service, `The container that registers the template '${spec.name}' disappeared before it finished`);
  }
  if (!agent) throw new CloudError('Azure DevOps', `The template container finished, but no registration '${spec.name}' appeared in pool '${pool.name}'`);
  await devops.disableAgent(pool.id, agent);
  const action = existing ? 'recreated' : 'created';
  log.info(action === 'created'
    ? deps.loc('TemplateCreated', "Template registration '%s' created for pool '%s' (disabled; it lets queued jobs wait instead of failing).", spec.name, pool.name)
    : deps.loc('TemplateUpdated', "Template registration '%s' recreated: the image or capabilities changed.", spec.name));
  return { agent: { ...agent, enabled: false }, action };
}
