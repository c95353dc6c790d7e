// The fake job: announces itself as the real agent does (`Running job: <name>`, which the entrypoint
// watches for), renews the request's lock while it "works", searches its container for the
// registration secret, reports what it found, and finishes the request as succeeded.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { JobMessageBody } from '../src/devops/queue';
import type { AgentSettings } from './settings';
import { SecretMatcher, scanForSecret } from './secret-scan';

/** The body of a PipelineAgentJobRequest message from the emulated server (the lock time is not used here). */
export type JobMessage = Omit<JobMessageBody, 'lockedUntil'>;

export interface ServerCalls {
  call<T>(method: string, url: string, body?: unknown): Promise<T>;
}

const RENEW_EVERY_MS = 1000;
/** Written by the emulator's container runtime next to the agent directory. */
const CONTAINER_PID_FILE = 'container.pid';

function containerRootPid(agentDir: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(path.join(agentDir, '..', CONTAINER_PID_FILE), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });
}

export async function runFakeJob(server: ServerCalls, message: JobMessage, agentDir: string, settings: AgentSettings, signal: AbortSignal): Promise<void> {
  const started = Date.now();
  const serverUrl = settings.serverUrl;
  const requestUrl = `${serverUrl}/_apis/distributedtask/pools/${settings.poolId}/jobrequests/${message.requestId}`;
  console.log(`${new Date().toISOString()}: Running job: ${message.jobName}`);
  await server.call('PATCH', requestUrl, { requestId: message.requestId });

  const where = scanForSecret(new SecretMatcher(message.secretHashes), {
    rootPid: containerRootPid(agentDir),
    directories: [agentDir, os.homedir(), process.env.TMPDIR || os.tmpdir(), settings.workFolder],
  });
  if (where.length > 0) {
    console.log(`the job found the registration secret in ${where.length} place(s)`);
    await server.call('POST', `${serverUrl}/_apis/emulator/secretsseen`, { where });
  }

  while (!signal.aborted && Date.now() - started < message.durationMs) {
    await sleep(Math.min(RENEW_EVERY_MS, message.durationMs - (Date.now() - started)), signal);
    if (!signal.aborted && Date.now() - started < message.durationMs) await server.call('PATCH', requestUrl, { requestId: message.requestId });
  }
  const result = signal.aborted ? 'canceled' : 'succeeded';
  await server.call('PATCH', requestUrl, { requestId: message.requestId, result, finishTime: new Date().toISOString() });
  console.log(`${new Date().toISOString()}: Job ${message.jobName} completed with result: ${result === 'succeeded' ? 'Succeeded' : 'Canceled'}`);
}
