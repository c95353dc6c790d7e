// `_apis/distributedtask/resourceusage`: the organization's parallel-job limit and what uses it.
// Self-hosted (parallelismTag=Private, poolIsHosted=false) is limited by the seed; the emulator has
// no Microsoft-hosted pools, so hosted usage is always zero.
import type { Reply } from '../context';
import { type Call, json, queryFlag } from './http';
import { dispatch } from './queue';
import { requestWire } from './wire';

export const DEFAULT_SELF_HOSTED_PARALLEL_JOBS = 10;
/** A free organization's Microsoft-hosted grant for private projects. */
const HOSTED_PARALLEL_JOBS = 1;

export function getResourceUsage({ ctx, req }: Call): Reply {
  dispatch(ctx);
  const parallelismTag = req.query.get('parallelismTag') ?? 'Private';
  const isHosted = queryFlag(req, 'poolIsHosted');
  const totalCount = isHosted ? HOSTED_PARALLEL_JOBS : parallelismTag.toLowerCase() === 'private' ? (ctx.seed.selfHostedParallelJobs ?? DEFAULT_SELF_HOSTED_PARALLEL_JOBS) : 0;
  const hostedPools = new Set(ctx.store.agentPools.filter((p) => p.isHosted === isHosted).map((p) => p.id));
  const running = ctx.store.jobRequests.filter((r) => hostedPools.has(r.poolId) && r.agentId !== undefined && r.finishTime === undefined);
  const usage: Record<string, unknown> = {
    resourceLimit: {
      parallelismTag,
      isHosted,
      isPremium: false,
      totalCount,
      totalMinutes: 0,
      failedToReachAllProviders: false,
      hostId: ctx.seed.projectId,
      resourceLimitsData: {},
    },
    usedCount: running.length,
    usedMinutes: 0,
  };
  if (queryFlag(req, 'includeRunningRequests')) usage.runningRequests = running.map((r) => requestWire(ctx, r));
  return json(usage);
}
