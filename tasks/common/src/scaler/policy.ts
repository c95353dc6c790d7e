// Queue mode of ScaleAgentPool: how many agents the pool should have, given one sample of the
// pool's queue and agents. Pure: the caller gathers the sample and carries out the decision.
//
// Target = clamp(busy + max(waiting, minIdle), minAgents, min(maxAgents, busy + free parallel jobs)).
// Agents still starting count as supply, so two passes (or two concurrent runs) never provision twice
// for the same waiting job. Scale-out follows the latest sample; scale-in removes only idle agents
// that have been idle longer than the delay, oldest-idle first, so a job queued a moment after an
// agent went idle still finds it. A busy agent is never chosen.
import { InputError } from '../errors';

/** An online agent of this pool that is not running a job. */
export interface IdleAgent {
  name: string;
  /** When it became idle (came online, or finished its last job), epoch milliseconds. */
  idleSince: number;
}

/** One observation of the pool, taken at `now`. */
export interface QueueSample {
  /** Queued jobs the pool's agents could run (see waiting-jobs.ts). */
  waiting: number;
  /** True when `waiting` is a lower bound (the listing was cut off). */
  waitingLowerBound?: boolean;
  /** Agents of this pool running a job. */
  busy: number;
  /** Agents of this pool online and not running a job. */
  idle: readonly IdleAgent[];
  /** Agents created but not online yet (container or Batch task not yet serving). */
  starting: number;
  /** Parallel jobs the organization still has free; undefined when its usage could not be read. */
  freeParallelJobs: number | undefined;
  /** Epoch milliseconds. */
  now: number;
}

export interface QueueSettings {
  minAgents: number;
  maxAgents: number;
  minIdle: number;
  scaleInDelayMinutes: number;
  /** Used only when `freeParallelJobs` is unknown: the parallel jobs this pool may use in total. */
  maxParallelJobs?: number;
}

export interface QueueDecision {
  /** The number of agents the pool should have after this pass. */
  desired: number;
  /** Agents to create now. */
  toCreate: number;
  /** Idle agents to remove now (disable, re-check, delete), oldest-idle first. */
  toRemove: string[];
  /** One line a person can follow. */
  reason: string;
}

/** How long an agent stays idle before queue mode may remove it (input 'scaleInDelayMinutes'). */
export const DEFAULT_SCALE_IN_DELAY_MINUTES = 15;

function requireWholeNumber(input: string, value: number): void {
  if (!Number.isInteger(value) || value < 0) {
    throw new InputError(input, `Input '${input}' must be a whole number of 0 or more (got ${value}).`);
  }
}

/** Checks queue-mode settings; the error names the input and the fix. */
export function validateQueueSettings(settings: QueueSettings): QueueSettings {
  requireWholeNumber('minAgents', settings.minAgents);
  requireWholeNumber('maxAgents', settings.maxAgents);
  requireWholeNumber('minIdle', settings.minIdle);
  if (!Number.isFinite(settings.scaleInDelayMinutes) || settings.scaleInDelayMinutes < 0) {
    throw new InputError(
      'scaleInDelayMinutes',
      `Input 'scaleInDelayMinutes' must be a number of minutes of 0 or more (got ${settings.scaleInDelayMinutes}).`,
    );
  }
  if (settings.maxParallelJobs !== undefined) requireWholeNumber('maxParallelJobs', settings.maxParallelJobs);
  if (settings.minAgents > settings.maxAgents) {
    throw new InputError(
      'minAgents',
      `Input 'minAgents' (${settings.minAgents}) must not exceed 'maxAgents' (${settings.maxAgents}): lower minAgents or raise maxAgents.`,
    );
  }
  return settings;
}

function checkSample(sample: QueueSample): void {
  for (const [name, value] of [
    ['waiting', sample.waiting],
    ['busy', sample.busy],
    ['starting', sample.starting],
  ] as const) {
    if (!Number.isInteger(value) || value < 0) throw new Error(`Queue sample field '${name}' must be a whole number of 0 or more (got ${value}).`);
  }
  if (!Number.isFinite(sample.now)) throw new Error(`Queue sample field 'now' must be a time (got ${sample.now}).`);
}

/** The cap the parallel-job limit puts on the pool, and where it came from (undefined: no cap known). */
function parallelCap(sample: QueueSample, settings: QueueSettings): { cap: number; source: string } | undefined {
  if (sample.freeParallelJobs !== undefined) {
    const free = Math.max(0, Math.floor(sample.freeParallelJobs));
    return { cap: sample.busy + free, source: `busy ${sample.busy} + ${free} free parallel jobs` };
  }
  if (settings.maxParallelJobs !== undefined) {
    return { cap: settings.maxParallelJobs, source: `maxParallelJobs ${settings.maxParallelJobs}` };
  }
  return undefined;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Decides one pass of queue mode. */
export function decideQueueScale(sample: QueueSample, settings: QueueSettings): QueueDecision {
  validateQueueSettings(settings);
  checkSample(sample);

  const demand = sample.busy + Math.max(sample.waiting, settings.minIdle);
  const parallel = parallelCap(sample, settings);
  // The parallel-job limit caps what waiting jobs justify, never the standing minimum: idle agents
  // use no parallel job, and minAgents <= maxAgents keeps the floor within the ceiling.
  const ceiling = parallel ? Math.min(settings.maxAgents, Math.max(settings.minAgents, parallel.cap)) : settings.maxAgents;
  const desired = Math.min(Math.max(demand, settings.minAgents), ceiling);

  const why: string[] = [`demand ${demand} = busy ${sample.busy} + max(waiting ${sample.waiting}${sample.waitingLowerBound ? '+' : ''}, minIdle ${settings.minIdle})`];
  if (demand < settings.minAgents) why.push(`raised to minAgents ${settings.minAgents}`);
  if (demand > desired) {
    why.push(
      parallel && ceiling < settings.maxAgents ? `capped by the parallel-job limit (${parallel.source})` : `capped at maxAgents ${settings.maxAgents}`,
    );
  }

  const supply = sample.busy + sample.idle.length + sample.starting;
  if (desired > supply) {
    const toCreate = desired - supply;
    return {
      desired,
      toCreate,
      toRemove: [],
      reason: `${why.join(', ')}; have ${supply} (busy ${sample.busy}, idle ${sample.idle.length}, starting ${sample.starting}): adding ${plural(toCreate, 'agent')}`,
    };
  }

  const surplus = supply - desired;
  if (surplus === 0) {
    return { desired, toCreate: 0, toRemove: [], reason: `${why.join(', ')}; have ${supply}: at target` };
  }

  const delayMs = settings.scaleInDelayMinutes * 60_000;
  const removable = sample.idle
    .filter((agent) => sample.now - agent.idleSince >= delayMs)
    .sort((a, b) => a.idleSince - b.idleSince || a.name.localeCompare(b.name));
  const toRemove = removable.slice(0, surplus).map((agent) => agent.name);
  const waitingOn = surplus - toRemove.length;
  let action: string;
  if (toRemove.length > 0) {
    action = `removing ${plural(toRemove.length, 'idle agent')} idle for ${settings.scaleInDelayMinutes} min or more`;
    if (waitingOn > 0) action += `; ${waitingOn} more above target not yet removable`;
  } else if (sample.idle.length > 0) {
    action = `${surplus} above target, but no idle agent has been idle for ${settings.scaleInDelayMinutes} min yet: keeping them`;
  } else {
    action = `${surplus} above target, none idle (busy agents are never removed; starting ones are removed once idle)`;
  }
  return { desired, toCreate: 0, toRemove, reason: `${why.join(', ')}; have ${supply}: ${action}` };
}

/** The per-pass log line: `waiting=.. busy=.. idle=.. starting=.. freeParallel=.. target=.. action=..`. */
export function formatPassLine(sample: QueueSample, decision: QueueDecision): string {
  const waiting = `${sample.waiting}${sample.waitingLowerBound ? '+ (at least)' : ''}`;
  const free = sample.freeParallelJobs === undefined ? 'unknown' : String(Math.max(0, sample.freeParallelJobs));
  let action = 'none';
  if (decision.toCreate > 0) action = `create ${decision.toCreate}`;
  else if (decision.toRemove.length > 0) action = `remove ${decision.toRemove.length} (${decision.toRemove.join(', ')})`;
  return `waiting=${waiting} busy=${sample.busy} idle=${sample.idle.length} starting=${sample.starting} freeParallel=${free} target=${decision.desired} action=${action}: ${decision.reason}`;
}
