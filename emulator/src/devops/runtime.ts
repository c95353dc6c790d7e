// Live state of the agent protocol that is not part of the inspectable store: open sessions, their
// undelivered messages and the long polls waiting on them. Keyed by the store, so `POST reset`
// (a fresh store) also forgets every session.
import type { Store } from '../store';

export interface AgentMessage {
  messageId: number;
  messageType: string;
  body: string;
}

export interface AgentSession {
  sessionId: string;
  poolId: number;
  agentId: number;
  ownerName: string;
  messages: AgentMessage[];
  /** Long polls currently waiting on this session; an agent with one in flight is online. */
  pollsInFlight: number;
  wake: Set<() => void>;
}

export interface DevOpsRuntime {
  sessions: Map<string, AgentSession>;
  nextMessageId: number;
}

const runtimes = new WeakMap<Store, DevOpsRuntime>();

export function runtimeOf(store: Store): DevOpsRuntime {
  let runtime = runtimes.get(store);
  if (!runtime) {
    runtime = { sessions: new Map(), nextMessageId: 1 };
    runtimes.set(store, runtime);
  }
  return runtime;
}

export function sessionOfAgent(store: Store, agentId: number): AgentSession | undefined {
  for (const session of runtimeOf(store).sessions.values()) {
    if (session.agentId === agentId) return session;
  }
  return undefined;
}

export function postMessage(store: Store, session: AgentSession, messageType: string, body: unknown): void {
  const runtime = runtimeOf(store);
  session.messages.push({ messageId: runtime.nextMessageId++, messageType, body: JSON.stringify(body) });
  for (const wake of session.wake) wake();
}

export function closeSession(store: Store, sessionId: string): AgentSession | undefined {
  const runtime = runtimeOf(store);
  const session = runtime.sessions.get(sessionId);
  if (!session) return undefined;
  runtime.sessions.delete(sessionId);
  for (const wake of session.wake) wake();
  return session;
}

/** Forgets every session (after `POST reset` restored the store in place). */
export function resetRuntime(store: Store): void {
  const runtime = runtimes.get(store);
  if (!runtime) return;
  for (const session of runtime.sessions.values()) for (const wake of session.wake) wake();
  runtimes.delete(store);
}
