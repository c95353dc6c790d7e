// ScaleAgentPool's use case: pass after pass (one, or until durationMinutes are up), observe the
// pool, sweep what this extension left behind, and bring the pool to its fixed size or to the size
// its queue asks for. Every pass logs one line a person can follow; every change becomes a row of
// the run summary.
import type { AgentSpec, OsType } from '../agent-spec';
import type { Clock } from '../clock';
import type { AgentPoolClient, PoolAgent, PoolRef } from '../devops/agent-pool-client';
import { describeError, isCancellation } from '../errors';
import type { PoolAutoscaler } from '../providers/pool-autoscaler';
import type { AgentProvider } from '../providers/provider';
import { decideQueueScale, formatPassLine, type QueueSettings } from './policy';
import { countWaitingJobs, describeWaiting } from './waiting-jobs';
import type { Logger } from '../task-io';
import { type Removal, removeAgents } from './agent-removal';
import { countSlots, decideFixedPass, finishedSlots, queueCreates, queueSample, slotRemoval } from './passes';
import { otherScalersAgents, othersAgentNames } from './shared-pool';
import { type PoolAgentTemplate, poolAgentSpec, templateSpec } from './pool-spec';
import { foreignNamesakes, observePool, type PoolView } from './pool-view';
import { type CreateItem, scaleOut } from './scale-out';
import { registrationDelayWarning } from '../registration-delay';
import { planSweep } from './sweep';
import { factsFromCapabilities, makeOwner, type Owner, whyNotOwned } from '../ownership';
import { ensureTemplate } from './template-registration';

export interface ScalePlan {
  agentPool: string;
  namePrefix: string;
  mode: 'fixed' | 'queue';
  desiredCount: number;
  queue: QueueSettings;
  durationMinutes: number;
  intervalSeconds: number;
  sweep: boolean;
  image: string;
  osType: OsType;
  cpu: number;
  memoryGB: number;
  capabilities: ReadonlyArray<readonly [string, string]>;
  tags: ReadonlyArray<readonly [string, string]>;
  organizationUrl: string;
  /** System.TeamProjectId ('' for none): part of whose the agents are. */
  project: string;
  runId: string;
  owner: string;
  /** Minutes a new agent waits for its first job before it exits on its own (default 0: until removed). */
  idleTimeoutMinutes?: number;
}

/** What one pass saw and decided (for metrics); `waiting` is undefined in fixed mode. */
export interface PassReport {
  pass: number;
  mode: 'fixed' | 'queue';
  waiting?: number;
  busy: number;
  idle: number;
  starting: number;
  /** Live agents of other scalers of the pool, counted against maxAgents. */
  others: number;
  desired: number;
}

export interface ScaleDeps {
  provider: AgentProvider;
  devops: AgentPoolClient;
  /** Mints a registration secret (masked by the implementation); called for each create. */
  registrationSecret: () => Promise<string>;
  /** The provider's pool that sizes itself to the agents (Batch autoscale), when the inputs ask for it. */
  autoscaler?: PoolAutoscaler;
  log: Logger;
  clock: Clock;
  signal?: AbortSignal;
  loc: (key: string, fallback: string, ...args: unknown[]) => string;
  /** Told what each pass saw and decided. */
  onPass?: (report: PassReport) => void;
}

export interface ScaleRow {
  pass: number;
  time: string;
  agent: string;
  action: string;
  why: string;
}

export interface ScaleOutcome {
  provisioned: number;
  removed: number;
  desired: number;
  passes: number;
  rows: ScaleRow[];
  /** Things a person should look at (shown as warnings; the task ends SucceededWithIssues). */
  issues: string[];
  pool: string;
}

class PassRecorder {
  readonly rows: ScaleRow[] = [];
  readonly issues: string[] = [];
  provisioned = 0;
  removed = 0;

  constructor(private readonly clock: Clock, private readonly log: Logger) {}

  row(pass: number, agent: string, action: string, why: string): void {
    this.rows.push({ pass, time: new Date(this.clock.now()).toISOString().slice(11, 19), agent, action, why });
  }

  issue(message: string): void {
    this.issues.push(message);
    this.log.warning(message);
  }

  private readonly leftAlone = new Set<string>();

  /** A registration of one of the scaler's names that is someone else's: one row and one warning per run, not per pass. */
  foreign(pass: number, agent: PoolAgent, why: string, message: string): void {
    if (this.leftAlone.has(agent.name.toLowerCase())) return;
    this.leftAlone.add(agent.name.toLowerCase());
    this.row(pass, agent.name, 'left alone', why);
    this.issue(message);
  }
}

export async function scalePool(plan: ScalePlan, deps: ScaleDeps): Promise<ScaleOutcome> {
  const { devops, provider, log, clock } = deps;
  const pool = await devops.findPool(plan.agentPool);
  const recorder = new PassRecorder(clock, log);
  log.info(deps.loc('Starting', "ScaleAgentPool: pool '%s', %s, agents '%s-<n>' on %s%s.", pool.name,
    plan.mode === 'fixed' ? `fixed, ${plan.desiredCount} agent(s)` : `queue, ${plan.queue.minAgents}..${plan.queue.maxAgents} agents`,
    plan.namePrefix, provider.description, plan.durationMinutes > 0 ? `, for ${plan.durationMinutes} min every ${plan.intervalSeconds} s` : ', one pass'));

  if (deps.autoscaler) {
    const { poolId } = deps.autoscaler;
    const outcome = await deps.autoscaler.ensure();
    if (outcome.action === 'rejected') {
      recorder.issue(deps.loc('AutoscaleFormulaError', "The autoscale formula for Batch pool '%s' does not evaluate: %s", poolId, outcome.message));
    } else {
      log.info(outcome.action === 'enabled' ? deps.loc('AutoscaleEnabled', "Autoscale enabled on Batch pool '%s' (interval %s).", poolId, outcome.interval) : outcome.message);
    }
    recorder.row(0, `Batch pool ${poolId}`, `autoscale ${outcome.action}`, outcome.message);
  }

  const template: PoolAgentTemplate = {
    pool: pool.name, organizationUrl: plan.organizationUrl, image: plan.image, osType: plan.osType, cpu: plan.cpu, memoryGB: plan.memoryGB,
    namePrefix: plan.namePrefix, runId: plan.namePrefix, runKind: 'scaler', project: plan.project, owner: plan.owner, capabilities: plan.capabilities, tags: plan.tags,
    idleTimeoutMinutes: plan.idleTimeoutMinutes,
  };
  const started = clock.now();
  const end = started + plan.durationMinutes * 60_000;
  let desired = 0;
  let pass = 0;
  let succeeded = 0;
  for (;;) {
    pass++;
    try {
      desired = await runPass(pass, pool, plan, template, deps, recorder);
      succeeded++;
    } catch (error) {
      // One pass may fail for a passing reason; a run of many goes on, a single pass fails.
      if (isCancellation(error) || plan.durationMinutes <= 0 || succeeded === 0) throw error;
      recorder.issue(`Pass ${pass} failed: ${describeError(error)}`);
    }
    if (plan.durationMinutes <= 0) break;
    const next = clock.now() + plan.intervalSeconds * 1000;
    if (next >= end) break;
    await clock.sleep(plan.intervalSeconds * 1000, deps.signal);
  }
  return { provisioned: recorder.provisioned, removed: recorder.removed, desired, passes: pass, rows: recorder.rows, issues: recorder.issues, pool: pool.name };
}

async function remove(pass: number, removals: Removal[], action: string, pool: PoolRef, deps: ScaleDeps, recorder: PassRecorder): Promise<Set<string>> {
  const outcomes = await removeAgents(removals, { devops: deps.devops, provider: deps.provider, poolId: pool.id });
  const removed = new Set<string>();
  for (const o of outcomes) {
    recorder.row(pass, o.removal.name, o.removed ? action : `${action}: not done`, `${o.removal.reason}; ${o.detail}`);
    if (o.removed) {
      removed.add(o.removal.name);
      recorder.removed++;
      deps.log.info(deps.loc('AgentRemoved', 'Agent %s: %s (%s; %s).', o.removal.name, action, o.removal.reason, o.detail));
    } else if (!o.detail.startsWith('left')) {
      recorder.issue(deps.loc('AgentNotRemoved', 'Agent %s could not be removed (%s): %s', o.removal.name, o.removal.reason, o.detail));
    } else {
      deps.log.info(deps.loc('AgentLeft', 'Agent %s: %s.', o.removal.name, o.detail));
    }
  }
  return removed;
}

async function create(pass: number, wanted: CreateItem[], plan: ScalePlan, template: PoolAgentTemplate, deps: ScaleDeps, recorder: PassRecorder,
  foreign: ReadonlyMap<string, PoolAgent>, owner: Owner): Promise<number> {
  // A slot whose name someone else's agent holds is taken: creating it would take that agent over.
  const items = wanted.filter((item) => !foreign.has(item.slot.toLowerCase()));
  if (items.length === 0) return 0;
  const delay = await deps.provider.startDelayWarning?.(items.length);
  if (delay) deps.log.warning(registrationDelayWarning(delay));
  const now = deps.clock.now();
  const specs = new Map<string, AgentSpec>();
  const spec = (slot: string) => {
    let s = specs.get(slot);
    if (!s) specs.set(slot, (s = poolAgentSpec(template, slot, now)));
    return s;
  };
  const outcomes = await scaleOut(items, { provider: deps.provider, spec, secret: deps.registrationSecret, owner: plan.owner, resourceOwner: owner });
  let created = 0;
  for (const o of outcomes) {
    if (o.result === 'created') {
      created++;
      recorder.provisioned++;
      recorder.row(pass, o.item.slot, o.item.replace.length > 0 ? 'recreated' : 'created', o.item.reason);
    } else if (o.result === 'taken') {
      recorder.row(pass, o.item.slot, 'left to a concurrent run', o.detail);
    } else {
      recorder.row(pass, o.item.slot, 'create failed', o.detail);
      recorder.issue(deps.loc('AgentNotCreated', 'Agent %s could not be created: %s', o.item.slot, o.detail));
    }
  }
  deps.log.info(deps.loc('Created', 'Created %d of %d agent(s): %s.', created, items.length, outcomes.filter((o) => o.result === 'created').map((o) => o.item.slot).join(', ') || 'none'));
  return created;
}

async function sweep(pass: number, view: PoolView, plan: ScalePlan, pool: PoolRef, deps: ScaleDeps, recorder: PassRecorder): Promise<void> {
  const swept = planSweep(view, plan.namePrefix, deps.clock.now());
  if (swept.foreign.length > 0) deps.log.debug(`Sweep: ${swept.foreign.length} agent(s) not of this organization, project and pool left alone: ${swept.foreign.join(', ')}`);
  if (swept.removals.length === 0) return;
  await remove(pass, swept.removals, 'swept', pool, deps, recorder);
}

async function runPass(pass: number, pool: PoolRef, plan: ScalePlan, template: PoolAgentTemplate, deps: ScaleDeps, recorder: PassRecorder): Promise<number> {
  const { devops, provider, log, clock } = deps;
  const owner = makeOwner({ organization: plan.organizationUrl, project: plan.project, pool: pool.name, runKind: 'scaler', run: plan.namePrefix });
  const view = await observePool(pool, plan.namePrefix, { devops, provider, owner, now: () => clock.now() });
  if (plan.sweep) await sweep(pass, view, plan, pool, deps, recorder);
  const foreign = foreignNamesakes(view, plan.namePrefix);
  for (const agent of foreign.values()) {
    const why = whyNotOwned(factsFromCapabilities(agent.capabilities), owner);
    recorder.foreign(pass, agent, why, deps.loc('NameNotOurs',
      "Agent %s in pool '%s' has a name of this scaler's but is not its (%s): it is left alone and that name is not used. Set input 'namePrefix' to another prefix.",
      agent.name, pool.name, why));
  }

  if (plan.mode === 'fixed') {
    const decision = decideFixedPass(view, plan.namePrefix, plan.desiredCount, (slot, generation) => provider.resourceIdOf(slot, generation));
    const counts = countSlots(view);
    const action = [`create ${decision.plan.create.length}`, `recreate ${decision.plan.recreate.length}`, `remove ${decision.removals.length}`]
      .concat(decision.plan.deferred.length > 0 ? [`deferred ${decision.plan.deferred.length} (running a job)`] : []).join(', ');
    log.info(deps.loc('PassFixed', 'Pass %d: waiting=n/a busy=%d idle=%d starting=%d freeParallel=n/a target=%d action=%s', pass, counts.busy, counts.idle.length, counts.starting, plan.desiredCount, action));
    deps.onPass?.({ pass, mode: 'fixed', busy: counts.busy, idle: counts.idle.length, starting: counts.starting, others: 0, desired: plan.desiredCount });
    for (const d of decision.plan.deferred) recorder.row(pass, d.slot, 'kept for now', d.reason);
    await remove(pass, decision.removals, 'removed', pool, deps, recorder);
    await create(pass, decision.creates, plan, template, deps, recorder, foreign, owner);
    return plan.desiredCount;
  }

  // Queue mode: the template lets queued jobs wait instead of failing while the pool is empty.
  // A template name held by someone else's agent is left alone: the waiting jobs are then counted
  // against the capabilities the template would have had (without the image's system ones).
  const tplSpec = templateSpec(template, clock.now());
  let templateCapabilities: Record<string, string> = tplSpec.env;
  if (!foreign.has(tplSpec.name.toLowerCase())) {
    const tpl = await ensureTemplate(pool, view.template, tplSpec, {
      devops, provider, clock, log, secret: deps.registrationSecret, signal: deps.signal, loc: deps.loc, owner,
    });
    if (tpl.action !== 'kept') recorder.row(pass, tpl.agent.name, `template ${tpl.action}`, 'disabled registration with the agents\' capabilities, so jobs wait for agents');
    templateCapabilities = tpl.agent.capabilities;
  }

  const finished = finishedSlots(view);
  const cleaned = await remove(pass, finished, 'cleaned up', pool, deps, recorder);
  if (cleaned.size > 0) {
    for (const slot of view.slots.values()) {
      if (cleaned.has(slot.name)) {
        slot.agent = undefined;
        slot.ended = [];
      }
    }
  }

  const listing = devops.listOpenJobRequests
    ? await devops.listOpenJobRequests(pool.id)
    : { requests: (await devops.listJobRequests(pool.id)).filter((r) => !r.finishTime), lowerBound: false, pages: 1 };
  const waiting = countWaitingJobs(listing.requests, templateCapabilities, { lowerBound: listing.lowerBound });
  if (waiting.lowerBound) {
    log.warning(deps.loc('WaitingLowerBound', 'The queue listing stopped at a full page without a continuation token: at least %d jobs are waiting.', waiting.count));
  }
  let free: number | undefined;
  try {
    const usage = await devops.resourceUsage();
    if (usage.totalParallelJobs !== undefined) free = Math.max(0, usage.totalParallelJobs - (usage.usedParallelJobs ?? 0));
    else throw new Error('the answer holds no limit');
  } catch (error) {
    if (isCancellation(error)) throw error;
    log.info(deps.loc('ParallelJobsUnknown', "The organization's parallel-job usage cannot be read (%s); using maxParallelJobs = %s.",
      describeError(error), plan.queue.maxParallelJobs ?? 'none'));
  }

  const sample = queueSample(view, waiting.count, waiting.lowerBound, free, clock.now());
  // Other scalers of this pool (another prefix: a controller, a pipeline) share its maxAgents.
  const others = otherScalersAgents(view);
  const maxAgents = Math.max(0, plan.queue.maxAgents - others);
  const decision = decideQueueScale(sample, { ...plan.queue, maxAgents, minAgents: Math.min(plan.queue.minAgents, maxAgents) });
  log.info(deps.loc('Pass', 'Pass %d: %s%s%s', pass, formatPassLine(sample, decision),
    waiting.ephemeralRun > 0 ? ` (${waiting.ephemeralRun} request(s) for RequestEphemeralAgent not counted)` : '',
    listing.pages > 1 ? ` [queue read in ${listing.pages} pages, ${describeWaiting(waiting)} waiting]` : ''));
  deps.onPass?.({ pass, mode: 'queue', waiting: waiting.count, busy: sample.busy, idle: sample.idle.length, starting: sample.starting, others, desired: decision.desired });

  if (decision.toRemove.length > 0) {
    const reason = `idle for ${plan.queue.scaleInDelayMinutes} min or more, above target ${decision.desired}`;
    const slots = [...view.slots.values()];
    const removals = decision.toRemove.map((name) => slotRemoval(name, slots.find((s) => s.name === name), reason));
    await remove(pass, removals, 'scaled in', pool, deps, recorder);
  }
  if (decision.toCreate > 0) {
    const items = queueCreates(view, plan.namePrefix, decision.toCreate, plan.queue.maxAgents, (slot, generation) => provider.resourceIdOf(slot, generation), `target ${decision.desired}: ${decision.reason}`, cleaned,
      new Set([...othersAgentNames(view), ...foreign.keys()]));
    await create(pass, items, plan, template, deps, recorder, foreign, owner);
  }
  return decision.desired;
}

