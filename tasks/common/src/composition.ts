// The composition root shared by the three tasks: turns validated params and the TaskIO port into
// the adapters the use cases take (credential, Azure DevOps client, provider), and turns the
// outcome into a task result. Nothing here runs at import time.
import type { TokenCredential } from '@azure/core-auth';
import { type AgentTls, loadAgentTls } from './agent-tls';
import { createAzureCredential, createFreshAzureCredential, type CredentialDeps } from './azure-auth';
import { type Cancellation, onTermination } from './cancellation';
import { type Clock, systemClock } from './clock';
import type { AgentPoolClient } from './devops/agent-pool-client';
import { NodeApiAgentPoolClient } from './devops/node-api-pool-client';
import { createOidcTokenSource } from './devops/oidc';
import { createDevOpsTokenSource } from './devops/token-source';
import { describeError, InputError, isCancellation } from './errors';
import type { AzureConnection } from './params/azure-connection';
import type { DevOpsAuth } from './params/devops-auth';
import type { PipelineContext } from './params/pipeline';
import type { ProviderParams } from './params/provider-params';
import { createLazyProvider, createPoolAutoscaler, type ProviderContext } from './providers/factory';
import type { PoolAutoscaler } from './providers/pool-autoscaler';
import type { AgentProvider } from './providers/provider';
import { SecretMasker } from './secrets';
import type { TaskIO } from './task-io';

export class TaskContext {
  readonly masker = new SecretMasker();
  readonly clock: Clock = systemClock;
  readonly started: number;
  private cancellation?: Cancellation;

  constructor(readonly io: TaskIO) {
    this.started = this.clock.now();
  }

  /** Masks a secret in the job log (setSecret) and in everything the task formats itself. */
  secret(value: string | undefined): void {
    if (!value) return;
    this.io.setSecret(value);
    this.masker.add(value);
  }

  /** SIGINT/SIGTERM handling; `cancel` stops the work, `hard` ends cloud calls 10 s later. */
  get signals(): Cancellation {
    this.cancellation ??= onTermination();
    return this.cancellation;
  }

  proxy = (url: string) => this.io.getProxy(url);

  private agentTls?: { value: AgentTls | undefined };

  /** The agent's certificate settings, read once (a bad CA file fails the task before any call). */
  get tls(): AgentTls | undefined {
    this.agentTls ??= { value: loadAgentTls(this.io.getCertificates(), this.io.getVariable('Agent.TempDirectory')) };
    return this.agentTls.value;
  }

  credential(connection: AzureConnection | undefined, pipeline: PipelineContext): TokenCredential | undefined {
    if (!connection) return undefined;
    return createAzureCredential(connection, this.credentialDeps(connection, pipeline));
  }

  /**
   * A credential that asks the token service anew on every call, bypassing every cache (ours and
   * MSAL's): each agent's registration token is minted for its own create, with the longest life.
   * Transient failures of the token service are retried like every other token request.
   */
  freshCredential(connection: AzureConnection | undefined, pipeline: PipelineContext): TokenCredential | undefined {
    if (!connection) return undefined;
    return createFreshAzureCredential(connection, this.credentialDeps(connection, pipeline));
  }

  private credentialDeps(connection: AzureConnection, pipeline: PipelineContext): CredentialDeps {
    this.secret(connection.clientSecret);
    this.secret(connection.certificatePem);
    const getOidcToken = connection.scheme === 'WorkloadIdentityFederation'
      ? (() => {
        const source = createOidcTokenSource(pipeline, connection.id, this.io.getProxy(pipeline.collectionUri), undefined, this.tls?.nodeApi);
        return async () => {
          const token = await source();
          this.secret(token);
          return token;
        };
      })()
      : undefined;
    return { getOidcToken, proxy: this.io.getProxy(connection.authorityHost), tls: this.tls?.settings, clock: this.clock };
  }

  devopsClient(auth: DevOpsAuth, pipeline: PipelineContext, credential: TokenCredential | undefined, options: { onRequest?: () => void; deadline?: () => number | undefined } = {}): AgentPoolClient {
    const collectionUri = organizationUrlOf(auth, pipeline);
    return new NodeApiAgentPoolClient({
      collectionUri,
      tokenSource: createDevOpsTokenSource(auth, credential, (token) => this.secret(token)),
      identity: devopsIdentity(auth),
      proxy: this.io.getProxy(collectionUri),
      certificates: this.tls?.nodeApi,
      clock: this.clock,
      signal: this.signals.hard,
      deadline: options.deadline,
      onRequest: options.onRequest,
      debug: (m) => this.io.debug(m),
    });
  }

  provider(params: ProviderParams, connection: AzureConnection | undefined, credential: TokenCredential | undefined, deadline?: () => number | undefined): AgentProvider {
    if (params.kind === 'batch' && params.auth.kind === 'sharedKey') this.secret(params.auth.accountKey);
    if (params.registry?.password) this.secret(params.registry.password);
    // Built on first use: the SDK behind it need not load (and compile) before the task's first request.
    return createLazyProvider(params, this.providerContext(connection, credential, deadline));
  }

  /** The autoscaler of the provider's pool (a Batch pool), if it has one. */
  poolAutoscaler(params: ProviderParams, formula: string, connection: AzureConnection | undefined, credential: TokenCredential | undefined): PoolAutoscaler | undefined {
    return createPoolAutoscaler(params, formula, this.providerContext(connection, credential));
  }

  private providerContext(connection: AzureConnection | undefined, credential: TokenCredential | undefined, deadline?: () => number | undefined): ProviderContext {
    return {
      connection,
      credential,
      proxy: this.proxy,
      tls: this.tls?.settings,
      clock: this.clock,
      signal: this.signals.hard,
      deadline,
      debug: (m) => this.io.debug(m),
    };
  }

  /** Runs the task body and sets the result; errors become a failed result with a masked message. */
  async run(body: () => Promise<void>): Promise<void> {
    try {
      await body();
    } catch (error) {
      const message = this.masker.mask(describeError(error));
      if (error instanceof InputError) this.io.setResult('Failed', message);
      else if (isCancellation(error)) this.io.setResult('Cancelled', message);
      else this.io.setResult('Failed', message);
    } finally {
      this.cancellation?.dispose();
    }
  }
}

/** The organization a credential belongs to: a registration connection's URL, else System.CollectionUri. */
export function organizationUrlOf(auth: DevOpsAuth, pipeline: PipelineContext): string {
  return auth.mode === 'pat' && auth.organizationUrl ? auth.organizationUrl : pipeline.collectionUri;
}

export function devopsIdentity(auth: DevOpsAuth): string {
  switch (auth.mode) {
    case 'azureServiceConnection':
      return `the service principal of the service connection in '${auth.connection.input}'`;
    case 'systemAccessToken':
      return "the job access token (the project's build service identity)";
    case 'pat':
      return auth.organizationUrl ? "the personal access token of 'registrationConnection'" : "the personal access token in 'registrationToken'";
  }
}
