// Drives the built controller (dist/controller/index.js) as a process against the emulator: its
// configuration file, its environment (the service principal the emulator's Entra knows, read the way
// @azure/identity reads it), its JSON log lines, and its exit.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ScaleWorld } from './scale-support';

export const CONTROLLER = path.resolve(__dirname, '../../../dist/controller/index.js');

export interface LogLine {
  level: string;
  event?: string;
  pool?: string;
  [field: string]: unknown;
}

/** A pool entry of the configuration for the emulator's ACI resource group. */
export function aciPool(world: ScaleWorld, namePrefix: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const seed = world.seed;
  return {
    agentPool: seed.agentPool, namePrefix, image: seed.image, provider: 'aci', subscriptionId: seed.subscriptionId,
    resourceGroup: seed.resourceGroup, cpu: 1, memoryGB: 1, ...extra,
  };
}

export function controllerConfig(world: ScaleWorld, pools: Array<Record<string, unknown>>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const info = world.emu.readyInfo();
  return { organizationUrl: info.devops, resourceManagerEndpoint: info.arm, intervalSeconds: 1, pools, ...extra };
}

/** The environment @azure/identity's EnvironmentCredential reads, for the emulator's service principal. */
export function controllerEnv(world: ScaleWorld, extra: Record<string, string> = {}): Record<string, string> {
  const info = world.emu.readyInfo();
  const env: Record<string, string> = {};
  for (const key of ['PATH', 'HOME', 'SYSTEMROOT', 'TMPDIR']) if (process.env[key]) env[key] = process.env[key] as string;
  return {
    ...env,
    NODE_EXTRA_CA_CERTS: info.caCertPath,
    AZURE_TENANT_ID: world.seed.tenantId,
    AZURE_CLIENT_ID: world.seed.clientId,
    AZURE_CLIENT_SECRET: world.seed.clientSecret,
    AZURE_AUTHORITY_HOST: info.entra,
    ...extra,
  };
}

export function writeConfig(config: unknown): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'controller-')), 'config.json');
  writeFileSync(file, typeof config === 'string' ? config : JSON.stringify(config, null, 2));
  return file;
}

export class ControllerProcess {
  readonly lines: LogLine[] = [];
  stdout = '';
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly child: ChildProcess;

  constructor(args: string[], env: Record<string, string>) {
    this.child = spawn(process.execPath, [CONTROLLER, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let partial = '';
    this.child.stdout?.on('data', (chunk: Buffer) => {
      this.stdout += chunk.toString();
      partial += chunk.toString();
      const parts = partial.split('\n');
      partial = parts.pop() ?? '';
      for (const part of parts) if (part.trim()) this.lines.push(JSON.parse(part) as LogLine);
    });
    this.child.stderr?.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => resolve({ code, signal })));
  }

  kill(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** Waits until a log line matches; fails with the log so far after `timeoutMs`. */
  async until(probe: (line: LogLine) => boolean, what: string, timeoutMs = 30_000): Promise<LogLine> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.lines.find(probe);
      if (hit) return hit;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; stdout:\n${this.stdout}\nstderr:\n${this.stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** Runs the controller to its end. */
export async function runController(args: string[], env: Record<string, string>): Promise<{ code: number | null; process: ControllerProcess }> {
  const proc = new ControllerProcess(args, env);
  const { code } = await proc.exited;
  return { code, process: proc };
}
