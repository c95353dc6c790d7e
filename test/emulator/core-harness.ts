// Shared by the emulator's core tests: an in-process emulator whose containers are simulated (no
// child processes), so tests of Entra, ARM and the control API stay fast and deterministic.
import type { ContainerHandle, ContainerRunner, ContainerStartOptions, EmulatorContext, Service } from '../../emulator/src/context';
import { startEmulator, type Emulator, type StartEmulatorOptions } from '../../emulator/src/emulator';

export interface SimulatedContainer {
  options: ContainerStartOptions;
  stopped: boolean;
  /** Makes the simulated process exit with `code`. */
  exit(code: number): void;
}

/**
 * A runner that runs nothing: it can run the seeded image only, records what it was asked to start,
 * writes a line of log, and exits when told to (or with SIMULATED_EXIT_CODE after SIMULATED_RUN_MS).
 */
export class SimulatedRunner implements ContainerRunner {
  readonly started: SimulatedContainer[] = [];
  private nextPid = 40_000;

  constructor(private readonly ctx: EmulatorContext) {}

  canRun(image: string): boolean {
    return image === this.ctx.seed.image;
  }

  start(options: ContainerStartOptions): ContainerHandle {
    const pid = this.nextPid++;
    let exited = false;
    const container: SimulatedContainer = {
      options,
      stopped: false,
      exit: (code) => {
        if (exited) return;
        exited = true;
        options.record.pid = undefined;
        options.onExit(code);
      },
    };
    options.record.log += `simulated container ${options.label} started\nline 2\nline 3\n`;
    this.started.push(container);
    const runMs = Number(options.env.SIMULATED_RUN_MS ?? 'NaN');
    if (Number.isFinite(runMs)) setTimeout(() => container.exit(Number(options.env.SIMULATED_EXIT_CODE ?? 0)), runMs);
    return {
      pid,
      stop: async () => {
        container.stopped = true;
        container.exit(143);
      },
    };
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.started.filter((c) => !c.stopped).map(async (c) => {
      c.stopped = true;
      c.exit(143);
    }));
  }
}

/** A service that answers 501 to everything: stands in for services a test does not exercise. */
export function idleService(name: Service['name']): Service {
  const errorReply = (status: number, code: string, message: string) => ({ status, body: { code, message } });
  return { name, handle: async () => errorReply(501, 'NotImplemented', 'not part of this test'), errorReply };
}

export interface TestEmulator extends Emulator {
  runner: SimulatedRunner;
}

/** Starts an emulator with simulated containers and an idle Batch service. */
export async function startTestEmulator(opts: StartEmulatorOptions = {}): Promise<TestEmulator> {
  let runner: SimulatedRunner | undefined;
  const emulator = await startEmulator({
    log: () => undefined,
    ...opts,
    services: { batch: idleService('batch'), ...opts.services },
    createContainerRunner: (ctx) => (runner = new SimulatedRunner(ctx)),
  });
  const resetEmulator = emulator.reset;
  // Each test starts with no container started, as after a fresh start.
  const reset = async () => {
    await resetEmulator();
    runner?.started.splice(0);
  };
  return Object.assign(emulator, { runner: runner as SimulatedRunner, reset });
}

/** Polls `probe` until it returns a value other than undefined, or fails after `timeoutMs` (generous: it only bounds a failure). */
export async function eventually<T>(probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 20_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
