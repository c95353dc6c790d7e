// The listener protocol: an agent opens a session (`POST pools/{poolId}/sessions`), long-polls
// `GET pools/{poolId}/messages?sessionId&lastMessageId` for work, deletes each message it handled,
// and closes the session (`DELETE .../sessions/{sessionId}`) when it stops listening.
import { randomUUID } from 'node:crypto';
import type { EmulatorContext, Reply } from '../context';
import type { AgentRecord } from '../store';
import { DevOpsHttpError, badRequest, devopsError } from './errors';
import { type Call, json, parseId, poolById, readJson } from './http';
import { dispatch, requeueUnreceived } from './queue';
import { type AgentSession, closeSession, runtimeOf } from './runtime';
import { isOnline, refreshAgentStatuses, setStatus } from './status';
import { agentReference } from './wire';

/** How long a message poll waits for work before answering empty (the real server waits ~50 s). */
export const DEFAULT_LONG_POLL_MS = 2000;

function callerMayAct(call: Call, agent: AgentRecord): void {
  if (call.caller.kind === 'agent' && call.caller.agentId !== agent.id) {
    throw new DevOpsHttpError(403, 'AccessDeniedException', `Access denied: this token belongs to another agent than ${agent.name}.`);
  }
}

export function createSession(call: Call, poolIdText: string): Reply {
  const { ctx } = call;
  const pool = poolById(ctx, poolIdText);
  const body = readJson(call.req);
  const reference = (body.agent ?? {}) as { id?: unknown; name?: unknown };
  const agent = ctx.store.agents.find(
    (a) =>
      a.poolId === pool.id &&
      (typeof reference.id === 'number' ? a.id === reference.id : typeof reference.name === 'string' && a.name.toLowerCase() === reference.name.toLowerCase()),
  );
  if (!agent) throw badRequest(`No agent ${String(reference.id ?? reference.name)} is registered in pool ${pool.id}.`, 'TaskAgentNotFoundException');
  callerMayAct(call, agent);
  if (agent.sessionId) {
    // A session whose agent is still polling belongs to a live listener; a stale one is replaced.
    if (isOnline(ctx, agent)) {
      throw new DevOpsHttpError(409, 'TaskAgentSessionConflictException', `The agent ${agent.name} already has an active session.`);
    }
    closeSession(ctx.store, agent.sessionId);
  }
  const session: AgentSession = {
    sessionId: randomUUID(),
    poolId: pool.id,
    agentId: agent.id,
    ownerName: typeof body.ownerName === 'string' ? body.ownerName : agent.name,
    messages: [],
    pollsInFlight: 0,
    wake: new Set(),
  };
  runtimeOf(ctx.store).sessions.set(session.sessionId, session);
  agent.sessionId = session.sessionId;
  agent.lastPollAt = Date.now();
  refreshAgentStatuses(ctx);
  return json({ sessionId: session.sessionId, ownerName: session.ownerName, agent: agentReference(ctx, agent) });
}

export function deleteSession(call: Call, poolIdText: string, sessionId: string): Reply {
  const { ctx } = call;
  poolById(ctx, poolIdText);
  const session = runtimeOf(ctx.store).sessions.get(sessionId);
  if (session) {
    const agent = ctx.store.agents.find((a) => a.id === session.agentId);
    if (agent) callerMayAct(call, agent);
    closeSession(ctx.store, sessionId);
    if (agent && agent.sessionId === sessionId) {
      agent.sessionId = undefined;
      setStatus(agent, 'offline');
      requeueUnreceived(ctx, agent);
    }
  }
  return { status: 204 };
}

function sessionExpired(sessionId: string): Reply {
  return devopsError(404, 'TaskAgentSessionExpiredException', `The session ${sessionId} has expired.`);
}

function waitForMessage(session: AgentSession, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      session.wake.delete(done);
      resolve();
    };
    const timer = setTimeout(done, timeoutMs);
    session.wake.add(done);
  });
}

function touch(ctx: EmulatorContext, session: AgentSession): void {
  const agent = ctx.store.agents.find((a) => a.id === session.agentId);
  if (agent) agent.lastPollAt = Date.now();
}

export async function getMessage(call: Call, poolIdText: string): Promise<Reply> {
  const { ctx, req } = call;
  poolById(ctx, poolIdText);
  const sessionId = req.query.get('sessionId') ?? '';
  const runtime = runtimeOf(ctx.store);
  const session = runtime.sessions.get(sessionId);
  if (!session) return sessionExpired(sessionId);
  const agent = ctx.store.agents.find((a) => a.id === session.agentId);
  if (agent) callerMayAct(call, agent);
  const lastMessageId = Number(req.query.get('lastMessageId') ?? '0') || 0;
  // Passing lastMessageId acknowledges every message up to it.
  session.messages = session.messages.filter((m) => m.messageId > lastMessageId);
  session.pollsInFlight++;
  touch(ctx, session);
  try {
    dispatch(ctx);
    if (session.messages.length === 0) await waitForMessage(session, ctx.options.devopsLongPollMs ?? DEFAULT_LONG_POLL_MS);
  } finally {
    session.pollsInFlight--;
    touch(ctx, session);
  }
  if (!runtime.sessions.has(sessionId)) return sessionExpired(sessionId);
  const message = session.messages[0];
  if (!message) return { status: 202 };
  return json({ messageId: message.messageId, messageType: message.messageType, body: message.body });
}

export function deleteMessage(call: Call, poolIdText: string, messageIdText: string): Reply {
  const { ctx, req } = call;
  poolById(ctx, poolIdText);
  const messageId = parseId(messageIdText, 'messageId');
  const sessionId = req.query.get('sessionId') ?? '';
  const session = runtimeOf(ctx.store).sessions.get(sessionId);
  if (!session) return sessionExpired(sessionId);
  session.messages = session.messages.filter((m) => m.messageId !== messageId);
  return { status: 204 };
}
