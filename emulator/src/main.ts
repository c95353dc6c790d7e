// `npm run emulator`: starts every emulated service, prints one JSON line (the URLs, the CA path and
// the seed) on stdout when ready, logs to stderr, and on SIGTERM/SIGINT (or when its parent process
// exits) stops everything it started.
import { parseArgs } from 'node:util';
import type { EmulatorOptions } from './context';
import { startEmulator, type ServerName, type StartEmulatorOptions } from './emulator';

const USAGE = `usage: node build/emulator/src/main.js [--tls-dir DIR] [--seed FILE]
  [--entra-port N] [--arm-port N] [--batch-port N] [--devops-port N] [--control-port N]
  [--container-start-delay-ms N] [--agent-start-delay-ms N] [--devops-rate-limit N] [--devops-rate-window-ms N]
  [--entra-token-lifetime-seconds N] [--batch-node-allocation-ms N]`;

const PORT_FLAGS: Record<string, ServerName> = {
  'entra-port': 'entra', 'arm-port': 'arm', 'batch-port': 'batch', 'devops-port': 'devops', 'control-port': 'control',
};
const OPTION_FLAGS: Record<string, keyof EmulatorOptions> = {
  'container-start-delay-ms': 'containerStartDelayMs',
  'agent-start-delay-ms': 'agentStartDelayMs',
  'devops-rate-limit': 'devopsRateLimit',
  'devops-rate-window-ms': 'devopsRateWindowMs',
  'entra-token-lifetime-seconds': 'entraTokenLifetimeSeconds',
  'batch-node-allocation-ms': 'batchNodeAllocationMs',
};

function nonNegativeInteger(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${flag} must be a non-negative integer, got '${value}'`);
  return n;
}

function parseCommandLine(argv: string[]): StartEmulatorOptions {
  const numeric = Object.fromEntries([...Object.keys(PORT_FLAGS), ...Object.keys(OPTION_FLAGS)].map((f) => [f, { type: 'string' as const }]));
  const { values } = parseArgs({
    args: argv,
    options: { 'tls-dir': { type: 'string' }, seed: { type: 'string' }, help: { type: 'boolean' }, ...numeric },
    strict: true,
  });
  if (values.help) {
    process.stderr.write(`${USAGE}\n`);
    process.exit(0);
  }
  const ports: Partial<Record<ServerName, number>> = {};
  const options: Partial<EmulatorOptions> = {};
  const given = values as Record<string, string | boolean | undefined>;
  for (const [flag, server] of Object.entries(PORT_FLAGS)) {
    if (typeof given[flag] === 'string') ports[server] = nonNegativeInteger(flag, given[flag]);
  }
  for (const [flag, option] of Object.entries(OPTION_FLAGS)) {
    if (typeof given[flag] === 'string') options[option] = nonNegativeInteger(flag, given[flag]);
  }
  return { tlsDir: values['tls-dir'], seedFile: values.seed, ports, options };
}

async function main(): Promise<void> {
  let options: StartEmulatorOptions;
  try {
    options = parseCommandLine(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
  const emulator = await startEmulator(options);
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`[emulator] ${signal}: stopping\n`);
    emulator.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`[emulator] stop failed: ${(error as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  // `npm run emulator` starts us under `sh -c`, which dies on npm's forwarded SIGTERM without passing
  // it on: when our parent goes away we are orphaned (reparented), and stop as if signalled.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) shutdown('parent exited');
  }, 500).unref();
  process.stdout.write(`${JSON.stringify(emulator.readyInfo())}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`[emulator] failed to start: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
