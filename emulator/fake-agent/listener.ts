// `run.sh [--once]`: the listener. It trades its key for an access token, opens a session, long-polls
// for messages, runs the job it is assigned (keeping the poll going meanwhile, as the real listener
// does), reports the result and, with --once, closes the session and exits.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HttpError, describe, request, requestJson } from './client';
import { runFakeJob, type JobMessage } from './job';
import { clientAssertion } from './keys';
import { loadSettings } from './settings';

const JOB_MESSAGE_TYPE = 'PipelineAgentJobRequest';
const SESSION_RETRIES = 10;

interface Message {
  messageId: number;
  messageType: string;
  body: string;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
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
    if (res.status !== 200) throw new Error(`cannot get an access token: ${describe(res)}`);
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
    for (let attempt = 1; ; attempt++) {
      try {
        const session = await this.call<{ sessionId: string }>('POST', `${this.api}/sessions`, {
          agent: { id: agentId, name: agentName },
          ownerName: os.hostname(),
          useFipsEncryption: false,
        });
        this.sessionId = session.sessionId;
        return;
      } catch (err) {
        // A session of a listener that just died lingers until it stops being polled.
        if (!(err instanceof HttpError && err.status === 409) || attempt >= SESSION_RETRIES) throw err;
        await delay(1000);
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
    await this.refreshToken();
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
          throw err;
        }
        if (!message) continue;
        lastMessageId = message.messageId;
        await this.call('DELETE', `${this.api}/messages/${message.messageId}?sessionId=${encodeURIComponent(this.sessionId)}`);
        if (message.messageType === JOB_MESSAGE_TYPE && !this.job) this.startJob(JSON.parse(message.body) as JobMessage);
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
