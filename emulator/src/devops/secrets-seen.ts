// Emulator-only route the fake job reports to: where it found its agent's registration secret.
// Findings land in `store.secretsSeen` (the location, never the secret).
import type { Reply } from '../context';
import { DevOpsHttpError } from './errors';
import { type Call, readJson } from './http';

export const SECRETS_SEEN_PATH = '_apis/emulator/secretsseen';

export function reportSecretsSeen(call: Call): Reply {
  const { ctx, caller } = call;
  if (caller.kind !== 'agent') throw new DevOpsHttpError(403, 'AccessDeniedException', 'Only an agent may report what its job saw.');
  const agent = ctx.store.agents.find((a) => a.id === caller.agentId);
  const body = readJson(call.req);
  const where = Array.isArray(body.where) ? body.where.filter((w): w is string => typeof w === 'string') : [];
  for (const place of where) {
    if (!ctx.store.secretsSeen.some((s) => s.agentName === agent?.name && s.where === place)) {
      ctx.store.secretsSeen.push({ agentName: agent?.name ?? String(caller.agentId), where: place });
    }
  }
  return { status: 204 };
}
