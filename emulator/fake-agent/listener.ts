// `run.sh [--once]`: the listener. It trades its key for an access token, opens a session, long-polls
// for messages, runs the job it is assigned (keeping the poll going meanwhile, as the real listener
// does), reports the result and, with --once, closes the session and exits.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AGENT_TIME_SCALE, HttpError, delay, describe, request, requestJson } from './client';
import { runFakeJob, type JobMessage } from './job';
import { clientAssertion } from './keys';
import { loadSettings } from './settings';

const JOB_MESSAGE_TYPE = 'PipelineAgentJobRequest';
const SESSION_RETRIES = 10;
/** MessageListener.CreateSessionAsync waits 30 s between attempts (scaled, see AGENT_TIME_SCALE). */
const SESSION_RETRY_MS = 30_000 * AGENT_TIME_SCALE;
/** MessageListener.GetNextMessageAsync waits 15 to 30 s after a failed poll (scaled). */
const POLL_RETRY_MS = { min: 15_000 * AGENT_TIME_SCALE, max: 30_000 * AGENT_TIME_SCALE };

/**
 * What the real listener does not retry when it opens its session or polls
 * (IsSessionCreationExceptionRetriable, IsGetNextMessageExceptionRetriable): the agent or its pool
 * is gone (404), access is denied (403), the credentials are refused (401). Anything else, a 5xx
 * or a reset the HTTP client's own retries did not overcome included, is tried again.
 */
function isFinal(err: unknown): boolean {
  return err instanceof HttpError && [401, 403, 404].includes(err.status);
}

interface Message {
  messageId: number;
  messageType: string;
  body: string;
}

export class Listener {
  private readonly config;
  private accessToken = '';
  private sessionId = '';
  private stopping = false;
  private readonly pollAbort = new AbortController();
  private job: Promise<void> | undefined;
  private jobAbort = new AbortController();
  /** The exit code a hostile job left the agent with, if any. */
  exitCode: number | undefined;

  constructor(
    private readonly agentDir: string,
    private readonly once: boolean,
  ) {
    this.config = loadSettings(agentDir);
  }

  private get api(): string {
    return `${this.config.settings.serverUrl}/_apis/distributedtask/pools/${this.config.settings.poolId}`;
  }

  private async refreshToken(): Promise<void> {
    const { clientId, authorizationUrl } = this.config.credentials.data;
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: clientAssertion(this.config.privateKeyPem, clientId, authorizationUrl),
    });
    const res = await request({ method: 'POST', url: authorizationUrl, form });
    if (res.status !== 200) throw new HttpError(res.status, `cannot get an access token: ${describe(res)}`);
    this.accessToken = res.json<{ access_token: string }>().access_token;
  }

  /** A call with the access token; one token refresh on 401. */
  async call<T>(method: string, url: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await requestJson<T>({ method, url, body, signal, authorization: `Bearer ${this.accessToken}` });
      } catch (err) {
        if (err instanceof HttpError && err.status === 401 && attempt === 0) {
          await this.refreshToken();
          continue;
        }
        throw err;
      }
    }
  }

  private async createSession(): Promise<void> {
    const { agentId, agentName } = this.config.settings;
    let conflicts = 0;
    let reported = false;
    for (;;) {
      try {
        if (!this.accessToken) await this.refreshToken();
        const session = await this.call<{ sessionId: string }>('POST', `${this.api}/sessions`, {
          agent: { id: agentId, name: agentName },
          ownerName: os.hostname(),
          useFipsEncryption: false,
        });
        this.sessionId = session.sessionId;
        if (reported) console.log(`${new Date().toISOString()}: Connected to the server.`);
        return;
      } catch (err) {
        if (this.stopping) throw err;
        if (err instanceof HttpError && err.status === 409) {
          // A session of a listener that just died lingers until it stops being polled.
          conflicts += 1;
          if (conflicts >= SESSION_RETRIES) throw err;
          await delay(1000, this.pollAbort.signal);
          continue;
        }
        if (isFinal(err)) throw err;
        if (!reported) {
          // As the real listener, say it once, then keep trying.
          console.error(`${new Date().toISOString()}: cannot connect to the server (${(err as Error).message}); retrying every ${SESSION_RETRY_MS / 1000} s`);
          reported = true;
        }
        await delay(SESSION_RETRY_MS, this.pollAbort.signal);
      }
    }
  }

  private async deleteSession(): Promise<void> {
    if (!this.sessionId) return;
    const sessionId = this.sessionId;
    this.sessionId = '';
    try {
      await this.call('DELETE', `${this.api}/sessions/${sessionId}`);
    } catch (err) {
      console.error(`could not delete the session: ${(err as Error).message}`);
    }
  }

  private async nextMessage(lastMessageId: number): Promise<Message | null> {
    const url = `${this.api}/messages?sessionId=${encodeURIComponent(this.sessionId)}&lastMessageId=${lastMessageId}`;
    try {
      return await this.call<Message | null>('GET', url, undefined, this.pollAbort.signal);
    } catch (err) {
      if (err instanceof HttpError && err.status === 404) {
        // The session expired (e.g. the server restarted it): open a new one.
        await this.createSession();
        return null;
      }
      throw err;
    }
  }

  private startJob(message: JobMessage): void {
    this.job = runFakeJob(this, message, this.agentDir, this.config.settings, this.jobAbort.signal)
      .catch((err: unknown) => console.error(`job ${message.jobName} failed: ${(err as Error).message}`))
      .finally(() => {
        // A hostile job: it leaves the agent exiting with a code of its choice.
        if (message.agentExitCode !== undefined) this.exitCode = message.agentExitCode;
        if (this.once) this.stop();
      });
  }

  stop(): void {
    this.stopping = true;
    this.pollAbort.abort();
  }

  /** Cancels a running job (SIGINT/SIGTERM) and stops listening. */
  cancel(): void {
    this.jobAbort.abort();
    this.stop();
  }

  async run(): Promise<void> {
    await this.createSession();
    console.log(`${new Date().toISOString()}: Listening for Jobs`);
    let lastMessageId = 0;
    try {
      while (!this.stopping) {
        let message: Message | null;
        try {
          message = await this.nextMessage(lastMessageId);
        } catch (err) {
          if (this.stopping) break;
          if (isFinal(err)) throw err;
          const waitMs = POLL_RETRY_MS.min + Math.random() * (POLL_RETRY_MS.max - POLL_RETRY_MS.min);
          await delay(waitMs, this.pollAbort.signal).catch(() => undefined);
          continue;
        }
        if (!message) continue;
        lastMessageId = message.messageId;
        // A job offered after this agent's one job is not run and its message is left undeleted, as the
        // real listener does (Agent.cs: runOnceJobReceived, skipMessageDeletion); closing the session
        // gives the job back to the queue.
        if (message.messageType === JOB_MESSAGE_TYPE && this.job) continue;
        await this.call('DELETE', `${this.api}/messages/${message.messageId}?sessionId=${encodeURIComponent(this.sessionId)}`);
        if (message.messageType === JOB_MESSAGE_TYPE) this.startJob(JSON.parse(message.body) as JobMessage);
      }
      if (this.job) await this.job;
    } finally {
      await this.deleteSession();
    }
  }
}

/** Runs the listener; resolves to the exit code of the agent (0 unless a job chose another). */
export async function listen(argv: string[], agentDir: string): Promise<number> {
  const unknown = argv.filter((a) => a !== '--once');
  if (unknown.length > 0) throw new Error(`unknown argument: ${unknown[0]}`);
  if (!fs.existsSync(path.join(agentDir, '.agent'))) throw new Error('the agent is not configured: run config.sh first');
  const listener = new Listener(agentDir, argv.includes('--once'));
  const onSignal = () => listener.cancel();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  await listener.run();
  return listener.exitCode ?? 0;
}
