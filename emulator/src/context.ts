// The contract between the emulator's core (servers, faults, request log, control API) and the
// emulated services. A service is a pure request -> reply function over the shared context; the core
// owns sockets, TLS, fault injection and logging, so every service gets them the same way.
import type { IncomingHttpHeaders } from 'node:http';
import type { Seed, ServiceName, Store, ContainerRecord } from './store';

export interface EmuRequest {
  method: string;
  /** Path without the query string, percent-decoding left to the service. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The full URL as the client addressed it (https://127.0.0.1:port/...). */
  url: URL;
}

export interface Reply {
  status: number;
  headers?: Record<string, string | number>;
  /** Objects are sent as JSON; strings and Buffers as they are; undefined = empty body. */
  body?: unknown;
}

export interface Service {
  name: ServiceName;
  handle(req: EmuRequest, ctx: EmulatorContext): Promise<Reply>;
  /** The service's real error shape, used for injected faults and unexpected errors. */
  errorReply(status: number, code: string, message: string): Reply;
  /** Called by `POST reset` after the store is restored: forget private state (timers, caches). */
  reset?(ctx: EmulatorContext): void;
  /** Called once when the emulator stops: clear timers so the process can exit. */
  stop?(ctx: EmulatorContext): void;
}

export interface EmulatorUrls {
  entra: string;
  arm: string;
  /** The Batch account URL. */
  batch: string;
  /** The organization URL with a trailing slash, like System.CollectionUri. */
  devops: string;
  /**
   * The managed identity endpoint in the App Service / Container Apps form: the value of
   * IDENTITY_ENDPOINT (with IDENTITY_HEADER = seed.identityHeader). The IMDS form is served at
   * `<entra>/metadata/identity/oauth2/token` (AZURE_POD_IDENTITY_AUTHORITY_HOST = entra).
   */
  managedIdentity: string;
  control: string;
}

export interface TokenClaims {
  [claim: string]: unknown;
  aud?: string;
  iss?: string;
  sub?: string;
  tid?: string;
  appid?: string;
  exp?: number;
  iat?: number;
  nbf?: number;
}

export interface TokenService {
  /** Signs a JWT (RS256) with the emulator's key; `exp` defaults to one hour from now. */
  issue(claims: TokenClaims, lifetimeSeconds?: number): string;
  /** Verifies signature and expiry; returns the claims, or null when the token is not ours or expired. */
  verify(token: string): TokenClaims | null;
  /** JWKS document of the signing key (for openid-configuration consumers). */
  jwks(): { keys: Record<string, unknown>[] };
}

/** What a container is asked to run: the environment the container would have. */
export interface ContainerStartOptions {
  /** Who asks, for logs and for `secretsSeen` attribution when no agent name is known. */
  label: string;
  image: string;
  /** The container's environment (plain and secure values alike, as the real container sees them). */
  env: Record<string, string>;
  /** Command override; empty or absent runs the image's entrypoint (start.sh). */
  command?: string[];
  record: ContainerRecord;
  /**
   * Who the container's first process is: root (the default, what ACI and a Batch pool-scope admin
   * auto-user give) or an unprivileged user (a Batch nonadmin task user mapped into the container).
   */
  user?: 'root' | 'unprivileged';
  onExit(exitCode: number): void;
}

export interface ContainerHandle {
  pid: number;
  /** SIGTERM, then SIGKILL after a grace period; resolves when the process group is gone. */
  stop(): Promise<void>;
}

export interface ContainerRunner {
  /** True for images the emulator can run (the seeded image and its tags). */
  canRun(image: string): boolean;
  start(options: ContainerStartOptions): ContainerHandle;
  stopAll(): Promise<void>;
}

export interface EmulatorOptions {
  /**
   * Extra delay before a container's process starts, to make benchmarks realistic. Applied by the
   * services (ACI: between the Pulling and Pulled events), not by the ContainerRunner.
   */
  containerStartDelayMs: number;
  /** Delay between a container running and its agent starting (the real agent takes time to configure). */
  agentStartDelayMs?: number;
  /** How long an agent stays online after its last poll. */
  agentOnlineWindowMs: number;
  /** Requests per window before devops answers 429 (0 = unlimited). */
  devopsRateLimit: number;
  devopsRateWindowMs: number;
  /** How long an agent's message poll waits for work before answering empty (default 2000). */
  devopsLongPollMs?: number;
  /**
   * Life of the access tokens Entra issues (client credentials), in seconds; 0 or absent: a random
   * 60 to 90 minutes, as Entra assigns by default.
   */
  entraTokenLifetimeSeconds?: number;
  /** How long a Batch node takes to allocate after a pool's target grows (default 0). */
  batchNodeAllocationMs?: number;
}

export interface EmulatorContext {
  seed: Seed;
  store: Store;
  tokens: TokenService;
  urls: EmulatorUrls;
  containers: ContainerRunner;
  options: EmulatorOptions;
  caCertPath: string;
  /** Diagnostics to stderr, never a secret. */
  log(message: string): void;
}
