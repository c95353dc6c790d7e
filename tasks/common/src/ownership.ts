// Whose an agent is. A resource group, a Batch account and an organization are shared with other
// teams, pools and pipelines, so everything this extension creates (container group, Batch task,
// registration) carries its owner: organization, project, pool, kind of run and run. Release,
// WaitForAgent's diagnosis, the scaler's passes and the sweep act only on what `isOwnedBy` accepts;
// anything else, even of a requested name, is left alone and reported.

export type RunKind = 'build' | 'release' | 'scaler';

export interface Owner {
  /** The organization URL, normalised (lowercase, no trailing slash). */
  organization: string;
  /** System.TeamProjectId; '' for a standing controller. */
  project: string;
  /** The agent pool name (compared case-insensitively, as Azure DevOps does). */
  pool: string;
  runKind: RunKind;
  /** The EPHEMERAL_RUN value: Build.BuildId, `release-<Release.DeploymentId>`, or the scaler's name prefix. */
  run: string;
}

/** What a resource or registration says about its owner; undefined where it says nothing. */
export interface OwnerFacts {
  /** This extension created it (creator tag, EPHEMERAL_AGENT capability). */
  ours: boolean;
  organization?: string;
  project?: string;
  pool?: string;
  runKind?: string;
  run?: string;
}

/** Capabilities that bind jobs to this run's agents and mark agents this extension created. */
export const RUN_CAPABILITY = 'EPHEMERAL_RUN';
export const AGENT_CAPABILITY = 'EPHEMERAL_AGENT';
export const ORG_CAPABILITY = 'EPHEMERAL_ORG';
export const PROJECT_CAPABILITY = 'EPHEMERAL_PROJECT';
export const POOL_CAPABILITY = 'EPHEMERAL_POOL';
export const RUN_KIND_CAPABILITY = 'EPHEMERAL_RUN_KIND';
/** Where the agent's container lives: the container group's ARM id or the Batch task's URL. */
export const RESOURCE_CAPABILITY = 'EPHEMERAL_RESOURCE';
/** The scaler's capability naming its slots' prefix (its run, for ownership). */
export const SCALER_RUN_CAPABILITY = 'EPHEMERAL_SCALER';

/** Resource tags (ARM) that mark what this extension created, for Release and sweepers. */
export const TAG_RUN = 'run';
export const TAG_POOL = 'pool';
export const TAG_CREATOR = 'creator';
export const CREATOR = 'ephemeral-agents';
export const TAG_ORGANIZATION = 'organization';
export const TAG_PROJECT = 'project';
export const TAG_RUN_KIND = 'runKind';
/** Tag names ownership writes on ARM resources (besides run, pool, creator). */
export const OWNER_TAGS = [TAG_ORGANIZATION, TAG_PROJECT, TAG_RUN_KIND];

/** Classic release runs get a value no build id can equal, so a build's job never takes a release's agent. */
export const RELEASE_RUN_PREFIX = 'release-';

export function normaliseOrganization(url: string): string {
  return url.trim().toLowerCase().replace(/\/+$/, '');
}

/** The EPHEMERAL_RUN value of a run: the build id as is (users demand `$(Build.BuildId)`), `release-<id>` for classic releases. */
export function runValue(runKind: 'build' | 'release', id: string): string {
  return runKind === 'release' ? `${RELEASE_RUN_PREFIX}${id}` : id;
}

export function makeOwner(owner: Owner): Owner {
  return { ...owner, organization: normaliseOrganization(owner.organization) };
}

/** The environment (so the capabilities) every agent of `owner` carries. */
export function ownerEnv(owner: Owner): Record<string, string> {
  return {
    [AGENT_CAPABILITY]: '1',
    [ORG_CAPABILITY]: owner.organization,
    [PROJECT_CAPABILITY]: owner.project,
    [POOL_CAPABILITY]: owner.pool,
    [RUN_KIND_CAPABILITY]: owner.runKind,
    [RUN_CAPABILITY]: owner.run,
  };
}

/** The ARM tags every resource of `owner` carries. */
export function ownerTags(owner: Owner): Record<string, string> {
  return {
    [TAG_CREATOR]: CREATOR,
    [TAG_ORGANIZATION]: owner.organization,
    [TAG_PROJECT]: owner.project,
    [TAG_POOL]: owner.pool,
    [TAG_RUN_KIND]: owner.runKind,
    [TAG_RUN]: owner.run,
  };
}

function lookup(map: Record<string, string> | undefined, name: string): string | undefined {
  if (!map) return undefined;
  if (name in map) return map[name];
  const key = Object.keys(map).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : map[key];
}

/** Facts from an agent's capabilities (or a Batch task's environment settings). */
export function factsFromCapabilities(capabilities: Record<string, string> | undefined): OwnerFacts {
  const runKind = lookup(capabilities, RUN_KIND_CAPABILITY);
  return {
    ours: lookup(capabilities, AGENT_CAPABILITY) !== undefined,
    organization: lookup(capabilities, ORG_CAPABILITY),
    project: lookup(capabilities, PROJECT_CAPABILITY),
    pool: lookup(capabilities, POOL_CAPABILITY),
    runKind,
    run: runKind === 'scaler' ? lookup(capabilities, SCALER_RUN_CAPABILITY) : lookup(capabilities, RUN_CAPABILITY),
  };
}

/** Facts from ARM tags. */
export function factsFromTags(tags: Record<string, string> | undefined): OwnerFacts {
  return {
    ours: lookup(tags, TAG_CREATOR) === CREATOR,
    organization: lookup(tags, TAG_ORGANIZATION),
    project: lookup(tags, TAG_PROJECT),
    pool: lookup(tags, TAG_POOL),
    runKind: lookup(tags, TAG_RUN_KIND),
    run: lookup(tags, TAG_RUN),
  };
}

/** A resource's facts: its tags, completed by its environment where the tags say nothing (Batch). */
export function factsOfResource(resource: { tags: Record<string, string>; env?: Record<string, string> }): OwnerFacts {
  const tags = factsFromTags(resource.tags);
  const env = factsFromCapabilities(resource.env);
  return {
    ours: tags.ours || env.ours,
    organization: tags.organization ?? env.organization,
    project: tags.project ?? env.project,
    pool: tags.pool ?? env.pool,
    runKind: tags.runKind ?? env.runKind,
    run: tags.run ?? env.run,
  };
}

export interface OwnershipScope {
  /** Any run of the owner's organization, project and pool (the sweep). */
  anyRun?: boolean;
}

/** True when `facts` say the thing belongs to `owner`: all five fields match. */
export function isOwnedBy(facts: OwnerFacts, owner: Owner, scope: OwnershipScope = {}): boolean {
  if (!facts.ours) return false;
  if (facts.organization === undefined || normaliseOrganization(facts.organization) !== normaliseOrganization(owner.organization)) return false;
  if ((facts.project ?? '').toLowerCase() !== owner.project.toLowerCase()) return false;
  if (facts.pool === undefined || facts.pool.toLowerCase() !== owner.pool.toLowerCase()) return false;
  if (scope.anyRun) return true;
  return facts.runKind === owner.runKind && facts.run === owner.run;
}

/** Why `facts` are not `owner`'s, for the warning that leaves a thing alone. */
export function whyNotOwned(facts: OwnerFacts, owner: Owner): string {
  if (!facts.ours) return 'this extension did not create it';
  if (facts.organization === undefined) return 'it does not say which organization it belongs to';
  if (normaliseOrganization(facts.organization) !== normaliseOrganization(owner.organization)) return `it belongs to organization ${facts.organization}`;
  if ((facts.project ?? '').toLowerCase() !== owner.project.toLowerCase()) return `it belongs to project ${facts.project || '(none)'}`;
  if (facts.pool?.toLowerCase() !== owner.pool.toLowerCase()) return `it belongs to pool '${facts.pool ?? '?'}'`;
  return `it belongs to ${facts.runKind ?? 'another'} run ${facts.run ?? '?'}`;
}

/** Organization, project and pool of a scaler's owner: the sweep's scope. */
export function describeOwner(owner: Owner): string {
  return `${owner.runKind} run ${owner.run} of pool '${owner.pool}'`;
}
