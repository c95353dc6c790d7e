// `_apis/distributedtask/pools[/{poolId}]`: list (optionally by name; an unknown name is an empty
// list, not a 404), get by id, and create.
import type { Reply } from '../context';
import { findPoolByName } from './queue';
import { type Call, json, parseId, readJson, wrapped } from './http';
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

/**
 * Create an agent pool (`POST _apis/distributedtask/pools`, what azure-devops-node-api's
 * TaskAgentApi.addAgentPool sends): the body is a TaskAgentPool of which `name` is required; the
 * answer is the created pool. A name already taken (case-insensitively) is refused with 409.
 */
export function addPool({ req, ctx }: Call): Reply {
  const body = readJson(req);
  const name = typeof body.name === 'string' ? body.name.trim() : '';
  if (!name) return devopsError(400, 'ArgumentNullException', "Value cannot be null.\r\nParameter name: pool.Name");
  if (findPoolByName(ctx, name)) return devopsError(409, 'TaskAgentPoolExistsException', `Agent pool ${name} already exists.`);
  const poolType = typeof body.poolType === 'string' && body.poolType.toLowerCase() === 'deployment' ? 'deployment' : 'automation';
  const id = Math.max(0, ...ctx.store.agentPools.map((p) => p.id)) + 1;
  const pool = { id, name, isHosted: false, poolType, createdOn: new Date().toISOString() } as const;
  ctx.store.agentPools.push(pool);
  return json(poolWire(ctx, pool));
}
