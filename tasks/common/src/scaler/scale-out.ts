// Creating the agents a pass decided on. Container Instances: every create begun at once (the
// provider bounds their PUTs by ARM's throttling, and polls each long-running operation apart), each
// one read first (never a PUT over a running group: that restarts it and kills its job) and read again
// afterwards, when the owner tag says whose create won a race with a concurrent run. Batch: one
// add-task-collection request per 100 tasks; a task id another run took first is theirs.
import type { AgentSpec } from '../agent-spec';
import { mapSettled } from '../concurrency';
import { describeError } from '../errors';
import { type AgentProvider, type AgentResource, hasEnded } from '../providers/provider';
import { factsOfResource, isOwnedBy, type Owner, whyNotOwned } from '../ownership';
import { TAG_OWNER } from './pool-spec';

/** Deletes in flight at once: ARM throttles bursts of writes (it answers 429 with Retry-After). */
export const SCALE_OUT_CONCURRENCY = 32;
/**
 * Creates in flight at once on Container Instances, long-running operations included. High on
 * purpose: the provider's adaptive bound (armWriteLimit) decides how many PUTs go out, and no create
 * waits for another's operation to finish before it begins.
 */
export const ACI_CREATES_IN_FLIGHT = 200;

export interface CreateItem {
  /** The agent name (the slot). */
  slot: string;
  /** The container group name or Batch task id. */
  resourceId: string;
  reason: string;
  /** Ended resources of the slot, deleted before the create. */
  replace: readonly AgentResource[];
}

export type CreateResult = 'created' | 'taken' | 'failed';

export interface CreateOutcome {
  item: CreateItem;
  result: CreateResult;
  detail: string;
}

export interface ScaleOutDeps {
  provider: AgentProvider;
  spec: (slot: string) => AgentSpec;
  /** Mints a registration secret for one create (or one add-task-collection request). */
  secret: () => Promise<string>;
  owner: string;
  /** Whose the scaler's resources are: an ended container of a slot's name that is not its is left alone. */
  resourceOwner?: Owner;
}

async function deleteEnded(items: readonly CreateItem[], provider: AgentProvider): Promise<Map<CreateItem, unknown>> {
  const failures = new Map<CreateItem, unknown>();
  const withOld = items.filter((i) => i.replace.length > 0);
  const results = await mapSettled(withOld, SCALE_OUT_CONCURRENCY, async (item) => {
    for (const old of item.replace) await provider.delete(old.name);
  });
  results.forEach((r, i) => {
    if (r.status === 'rejected') failures.set(withOld[i], r.reason);
  });
  return failures;
}

async function createOnAci(item: CreateItem, deps: ScaleOutDeps): Promise<CreateOutcome> {
  const { provider } = deps;
  const existing = await provider.get(item.resourceId);
  if (existing && deps.resourceOwner && !isOwnedBy(factsOfResource(existing), deps.resourceOwner)) {
    // Someone else's container of the slot's name: never replaced; reported, so the run ends SucceededWithIssues.
    return { item, result: 'failed', detail: `its name is held by a container that is not this scaler's (${whyNotOwned(factsOfResource(existing), deps.resourceOwner)}): left alone; set input 'namePrefix' to another prefix` };
  }
  if (existing && !hasEnded(existing.state)) {
    return { item, result: 'taken', detail: `already ${existing.state} (owner ${existing.tags[TAG_OWNER] ?? 'unknown'}): left as it is` };
  }
  if (existing) await provider.delete(existing.name);
  const spec = deps.spec(item.slot);
  try {
    await provider.create(spec, await deps.secret());
  } catch (error) {
    // A concurrent run's PUT of the same name supersedes ours: its group stands, counted once.
    const winner = await provider.get(item.resourceId).catch(() => undefined);
    const owner = winner?.tags[TAG_OWNER];
    if (winner && !hasEnded(winner.state) && owner !== undefined && owner !== deps.owner) {
      return { item, result: 'taken', detail: `a concurrent run (owner ${owner}) created it at the same time: counted once` };
    }
    throw error;
  }
  const after = await provider.get(item.resourceId);
  const owner = after?.tags[TAG_OWNER];
  if (after && owner !== undefined && owner !== deps.owner) {
    return { item, result: 'taken', detail: `a concurrent run (owner ${owner}) created it at the same time: counted once` };
  }
  return { item, result: 'created', detail: item.reason };
}

export async function scaleOut(items: readonly CreateItem[], deps: ScaleOutDeps): Promise<CreateOutcome[]> {
  if (items.length === 0) return [];
  const { provider } = deps;
  await provider.prepare();
  const failedDeletes = await deleteEnded(items, provider);
  const ready = items.filter((i) => !failedDeletes.has(i));
  const outcomes = new Map<CreateItem, CreateOutcome>();
  for (const [item, reason] of failedDeletes) {
    outcomes.set(item, { item, result: 'failed', detail: `could not delete its ended container/task first: ${describeError(reason)}` });
  }

  if (provider.createMany) {
    const results = await provider.createMany(ready.map((item) => ({ spec: deps.spec(item.slot), id: item.resourceId })), await deps.secret());
    results.forEach((r, i) => {
      const item = ready[i];
      if (r.created) outcomes.set(item, { item, result: 'created', detail: item.reason });
      else if (r.exists) outcomes.set(item, { item, result: 'taken', detail: 'a concurrent run added this task first: counted once' });
      else outcomes.set(item, { item, result: 'failed', detail: r.error ?? 'not created' });
    });
  } else {
    const results = await mapSettled(ready, ACI_CREATES_IN_FLIGHT, (item) => createOnAci(item, deps));
    results.forEach((r, i) => {
      const item = ready[i];
      outcomes.set(item, r.status === 'fulfilled' ? r.value : { item, result: 'failed', detail: describeError(r.reason) });
    });
  }
  return items.map((item) => outcomes.get(item) as CreateOutcome);
}
