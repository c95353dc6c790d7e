// `_apis/distributedtask/pools[/{poolId}]`: list (optionally by name; an unknown name is an empty
// list, not a 404) and get by id.
import type { Reply } from '../context';
import { findPoolByName } from './queue';
import { type Call, json, parseId, wrapped } from './http';
import { devopsError } from './errors';
import { poolWire } from './wire';

export function listPools({ req, ctx }: Call): Reply {
  const name = req.query.get('poolName');
  const poolType = req.query.get('poolType')?.toLowerCase();
  let pools = name ? [findPoolByName(ctx, name)].filter((p) => p !== undefined) : [...ctx.store.agentPools];
  if (poolType) pools = pools.filter((p) => p.poolType === poolType);
  return json(wrapped(pools.map((p) => poolWire(ctx, p))));
}

export function getPool({ ctx }: Call, poolIdText: string): Reply {
  const poolId = parseId(poolIdText, 'poolId');
  const pool = ctx.store.agentPools.find((p) => p.id === poolId);
  if (!pool) return devopsError(404, 'TaskAgentPoolNotFoundException', `No agent pool found with identifier ${poolId}.`);
  return json(poolWire(ctx, pool));
}
