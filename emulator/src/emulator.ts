// Assembles the emulator: TLS material, token service, seed and store, one HTTPS server per service
// plus the control API, and the container runner; and takes it all down again.
import path from 'node:path';
import type { ContainerRunner, EmulatorContext, EmulatorOptions, EmulatorUrls, Service } from './context';
import { handleControl } from './control';
import { FaultBook } from './faults';
import { createDefaultSeed, createStore, loadSeedFile } from './seed';
import { serviceHandler, startHttpsServer, writeReply, type RunningServer } from './server';
import type { Seed, ServiceName } from './store';
import { ensureTlsMaterial } from './tls';
import { createTokenService } from './tokens';
import { APP_SERVICE_PATH } from './managed-identity';

export type ServerName = ServiceName | 'control';

export interface StartEmulatorOptions {
  /** Where ca.pem, server.pem and server.key live or are created; default $EMULATOR_TLS_DIR or <repo>/.tls. */
  tlsDir?: string;
  /** A seed file whose keys replace the defaults. */
  seedFile?: string;
  /** Seed values that replace the defaults (after the seed file). */
  seed?: Partial<Seed>;
  /** Fixed ports; absent or 0 = a free port. */
  ports?: Partial<Record<ServerName, number>>;
  options?: Partial<EmulatorOptions>;
  /** Replaces the real container runner (tests that must not start processes). */
  createContainerRunner?: (ctx: EmulatorContext) => ContainerRunner;
  /** Replaces services (tests of one service without the others). */
  services?: Partial<Record<ServiceName, Service>>;
  /** Diagnostics sink; default stderr. */
  log?: (message: string) => void;
}

/** The line `npm run emulator` prints when ready. */
export interface ReadyInfo extends EmulatorUrls {
  caCertPath: string;
  seed: Seed;
}

export interface Emulator {
  urls: EmulatorUrls;
  seed: Seed;
  caCertPath: string;
  ctx: EmulatorContext;
  readyInfo(): ReadyInfo;
  /** What `POST reset` does: seed state back, containers stopped, faults and logs cleared. */
  reset(): Promise<void>;
  /** Stops every server and every process the emulator started. */
  stop(): Promise<void>;
}

export const DEFAULT_OPTIONS: EmulatorOptions = {
  containerStartDelayMs: 0,
  agentStartDelayMs: 0,
  agentOnlineWindowMs: 15_000,
  devopsRateLimit: 0,
  devopsRateWindowMs: 60_000,
  devopsLongPollMs: 2000,
  entraTokenLifetimeSeconds: 0,
  batchNodeAllocationMs: 0,
};

const SERVICE_NAMES: readonly ServiceName[] = ['entra', 'arm', 'batch', 'devops'];

export function defaultTlsDir(): string {
  // build/emulator/src -> repository root
  return process.env.EMULATOR_TLS_DIR || path.resolve(__dirname, '..', '..', '..', '.tls');
}

// Loaded on demand, so a test that injects its own service or runner does not load the default one.
async function defaultService(name: ServiceName): Promise<Service> {
  switch (name) {
    case 'entra':
      return (await import('./entra.js')).createEntraService();
    case 'arm':
      return (await import('./arm/service.js')).createArmService();
    case 'batch':
      return (await import('./batch/service.js')).createBatchService();
    case 'devops':
      return (await import('./devops/service.js')).createDevOpsService();
  }
}

async function defaultRunner(ctx: EmulatorContext): Promise<ContainerRunner> {
  return (await import('./containers.js')).createContainerRunner(ctx);
}

export async function startEmulator(opts: StartEmulatorOptions = {}): Promise<Emulator> {
  const log = opts.log ?? ((message: string) => process.stderr.write(`[emulator] ${message}\n`));
  const tls = await ensureTlsMaterial(opts.tlsDir ?? defaultTlsDir());
  const tokens = createTokenService();
  let seed = createDefaultSeed(tokens);
  if (opts.seedFile) seed = await loadSeedFile(opts.seedFile, seed);
  seed = { ...seed, ...opts.seed };

  const ctx: EmulatorContext = {
    seed,
    store: createStore(seed),
    tokens,
    urls: { entra: '', arm: '', batch: '', devops: '', managedIdentity: '', control: '' },
    containers: undefined as unknown as ContainerRunner,
    options: { ...DEFAULT_OPTIONS, ...opts.options },
    caCertPath: tls.caPath,
    log,
  };
  ctx.containers = opts.createContainerRunner ? opts.createContainerRunner(ctx) : await defaultRunner(ctx);

  const services = {} as Record<ServiceName, Service>;
  for (const name of SERVICE_NAMES) services[name] = opts.services?.[name] ?? (await defaultService(name));
  const faults = new FaultBook();

  const reset = async (): Promise<void> => {
    await ctx.containers.stopAll();
    const fresh = createStore(ctx.seed);
    for (const key of Object.keys(fresh) as (keyof typeof fresh)[]) (ctx.store as unknown as Record<string, unknown>)[key] = fresh[key];
    faults.clear();
    for (const service of Object.values(services)) service.reset?.(ctx);
  };

  const servers: RunningServer[] = [];
  const stopServers = () => Promise.all(servers.map((s) => s.close()));
  try {
    const origins = {} as Record<ServerName, string>;
    for (const name of SERVICE_NAMES) {
      const server = await startHttpsServer(tls, opts.ports?.[name] ?? 0, serviceHandler(services[name], ctx, faults), log);
      servers.push(server);
      origins[name] = server.origin;
    }
    const control = await startHttpsServer(tls, opts.ports?.control ?? 0, async (req, res) => {
      writeReply(res, await handleControl(req, ctx, { faults, reset }));
    }, log);
    servers.push(control);
    Object.assign(ctx.urls, {
      entra: origins.entra,
      arm: origins.arm,
      batch: origins.batch,
      devops: `${origins.devops}/${encodeURIComponent(seed.organization)}/`,
      managedIdentity: `${origins.entra}${APP_SERVICE_PATH}`,
      control: control.origin,
    } satisfies EmulatorUrls);
  } catch (error) {
    await stopServers();
    throw new Error('the emulator could not start its servers', { cause: error });
  }

  let stopped: Promise<void> | undefined;
  return {
    urls: ctx.urls,
    seed,
    caCertPath: tls.caPath,
    ctx,
    readyInfo: () => ({ ...ctx.urls, caCertPath: tls.caPath, seed: ctx.seed }),
    reset,
    stop: () => (stopped ??= (async () => {
      for (const service of Object.values(services)) service.stop?.(ctx);
      await ctx.containers.stopAll();
      await stopServers();
    })()),
  };
}
