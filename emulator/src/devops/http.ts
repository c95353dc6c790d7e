// Small helpers shared by the distributedtask route handlers.
import type { EmuRequest, EmulatorContext, Reply } from '../context';
import type { AgentPoolRecord } from '../store';
import type { Caller } from './auth';
import { badRequest, notFound } from './errors';

/** One authenticated call, as handlers receive it. */
export interface Call {
  req: EmuRequest;
  ctx: EmulatorContext;
  caller: Caller;
}

export function json(body: unknown, status = 200, headers?: Record<string, string | number>): Reply {
  return { status, body, headers };
}

/** Collections are always wrapped, as the real server writes them. */
export function wrapped(values: unknown[]): { count: number; value: unknown[] } {
  return { count: values.length, value: values };
}

export function readJson(req: EmuRequest): Record<string, unknown> {
  const text = req.body.toString('utf8');
  if (!text.trim()) throw badRequest('The request body is missing.', 'ArgumentNullException');
  try {
    const parsed = JSON.parse(text) as unknown;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch (err) {
    throw Object.assign(badRequest('The request body is not valid JSON.'), { cause: err });
  }
  throw badRequest('The request body must be a JSON object.');
}

export function queryFlag(req: EmuRequest, name: string): boolean {
  return (req.query.get(name) ?? '').toLowerCase() === 'true';
}

export function parseId(text: string, what: string): number {
  if (!/^\d+$/.test(text)) throw badRequest(`The ${what} '${text}' is not a valid integer.`);
  return Number(text);
}

export function poolById(ctx: EmulatorContext, poolIdText: string): AgentPoolRecord {
  const poolId = parseId(poolIdText, 'poolId');
  const pool = ctx.store.agentPools.find((p) => p.id === poolId);
  if (!pool) throw notFound('TaskAgentPoolNotFoundException', `No agent pool found with identifier ${poolId}.`);
  return pool;
}

export function nowIso(): string {
  return new Date().toISOString();
}
