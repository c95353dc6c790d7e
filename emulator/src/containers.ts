// The emulator's container runtime: a "container" of the seeded image is our real entrypoint,
// images/linux/start.sh, run under bash as a local process group in its own session, over a fresh
// copy of the fake agent, with the container's environment. Its output is the container log; the
// entrypoint's exit stops the container (every process left in it is killed), as in Docker.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ContainerHandle, ContainerRunner, ContainerStartOptions, EmulatorContext } from './context';

/** How long a container gets between SIGTERM and SIGKILL. */
export const STOP_GRACE_MS = 5000;
/** Logs beyond this are trimmed from the front, as the logs route returns at most 4 MB. */
const MAX_LOG_CHARS = 4 * 1024 * 1024;
/** The file, next to the agent directory, that tells the fake job which process is the container's first. */
export const CONTAINER_PID_FILE = 'container.pid';

/**
 * A container's environment variable that overrides `containerStartDelayMs` for that container alone
 * (the image pull time), so a benchmark can have agents come up at chosen times. Emulator-only.
 */
export const START_DELAY_VARIABLE = 'EMULATOR_START_DELAY_MS';
/** A container's own agentStartDelayMs (test knob). */
export const AGENT_START_DELAY_VARIABLE = 'EMULATOR_AGENT_START_DELAY_MS';

/** The pull delay for a container with these environment values (the largest, for a group). */
export function startDelayMs(ctx: EmulatorContext, envs: Array<Record<string, string | undefined>>): number {
  const overrides = envs.map((env) => Number(env[START_DELAY_VARIABLE])).filter((n) => Number.isFinite(n) && n >= 0);
  return overrides.length > 0 ? Math.max(...overrides) : ctx.options.containerStartDelayMs;
}

/** build/emulator/src -> the repository root. */
function repoRoot(): string {
  return path.resolve(__dirname, '..', '..', '..');
}

/** `registry/repo:tag` or `registry/repo@sha256:...` -> `registry/repo` (lowercase). */
export function repositoryOf(image: string): string {
  const withoutDigest = image.split('@')[0];
  const lastSlash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.indexOf(':', lastSlash + 1);
  return (colon >= 0 ? withoutDigest.slice(0, colon) : withoutDigest).toLowerCase();
}

export interface ContainerDirs {
  root: string;
  agent: string;
  work: string;
  home: string;
  tmp: string;
}

/** A fresh agent directory: config.sh/run.sh, the compiled fake agent and the Node it runs on. */
export function prepareDirs(): ContainerDirs {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'emu-container-'));
  const dirs = { root, agent: path.join(root, 'agent'), work: path.join(root, 'work'), home: path.join(root, 'home'), tmp: path.join(root, 'tmp') };
  for (const dir of [dirs.agent, dirs.work, dirs.home, dirs.tmp]) fs.mkdirSync(dir, { mode: 0o755 });
  const source = path.join(repoRoot(), 'emulator', 'fake-agent');
  const compiled = path.join(repoRoot(), 'build', 'emulator', 'fake-agent');
  if (!fs.existsSync(path.join(compiled, 'agent.js'))) {
    throw new Error(`the fake agent is not built: ${path.join(compiled, 'agent.js')} is missing (run tsc)`);
  }
  for (const script of ['config.sh', 'run.sh']) {
    fs.copyFileSync(path.join(source, script), path.join(dirs.agent, script));
    fs.chmodSync(path.join(dirs.agent, script), 0o755);
  }
  const lib = path.join(dirs.agent, 'lib');
  fs.mkdirSync(lib);
  for (const file of fs.readdirSync(compiled)) {
    if (file.endsWith('.js')) fs.copyFileSync(path.join(compiled, file), path.join(lib, file));
  }
  // The real agent ships its own Node (externals/node20); ours is the emulator's.
  fs.symlinkSync(process.execPath, path.join(lib, 'node'));
  return dirs;
}

/**
 * The image's run-as user stands for itself in an unprivileged container: start.sh is asked to switch
 * to it, which only root may do, so it fails as the real image does when Batch maps a nonadmin user in.
 */
export const UNPRIVILEGED_RUN_AS = 'nobody';
/** The user an unprivileged container's first process runs as when the emulator itself is root. */
const UNPRIVILEGED_USER = 'daemon';

/** uid/gid for spawn: a non-root user when the emulator is root; nothing to change otherwise (it is not root). */
function unprivilegedIds(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(spawnSync('id', [flag, UNPRIVILEGED_USER], { encoding: 'utf8' }).stdout.trim());
  const uid = id('-u');
  const gid = id('-g');
  if (!Number.isInteger(uid) || uid === 0 || !Number.isInteger(gid)) throw new Error(`the emulator runs as root and needs the user '${UNPRIVILEGED_USER}' to run an unprivileged container`);
  return { uid, gid };
}

function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  const number = signal ? (osConstants.signals as Record<string, number>)[signal] : undefined;
  return 128 + (number ?? 9);
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}

class LocalContainer implements ContainerHandle {
  readonly pid: number;
  private exited = false;
  private readonly exitedPromise: Promise<void>;

  constructor(
    private readonly child: ChildProcess,
    private readonly options: ContainerStartOptions,
    private readonly dirs: ContainerDirs | undefined,
    private readonly onGone: (c: LocalContainer) => void,
  ) {
    if (child.pid === undefined) throw new Error(`container ${options.label}: the process did not start`);
    this.pid = child.pid;
    const append = (chunk: Buffer) => {
      const log = options.record.log + chunk.toString('utf8');
      options.record.log = log.length > MAX_LOG_CHARS ? log.slice(log.length - MAX_LOG_CHARS) : log;
    };
    child.stdout?.on('data', append);
    child.stderr?.on('data', append);
    this.exitedPromise = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exited = true;
        // The container ends with its first process: nothing it left behind survives.
        killGroup(this.pid, 'SIGKILL');
        const exitCode = exitCodeOf(code, signal);
        const record = options.record;
        record.state = 'Terminated';
        record.exitCode = exitCode;
        record.finishTime = new Date().toISOString();
        record.pid = undefined;
        if (this.dirs) fs.rmSync(this.dirs.root, { recursive: true, force: true });
        this.onGone(this);
        try {
          options.onExit(exitCode);
        } finally {
          resolve();
        }
      });
    });
  }

  async stop(): Promise<void> {
    if (this.exited) return this.exitedPromise;
    killGroup(this.pid, 'SIGTERM');
    const timer = setTimeout(() => killGroup(this.pid, 'SIGKILL'), STOP_GRACE_MS);
    try {
      await this.exitedPromise;
    } finally {
      clearTimeout(timer);
    }
  }
}

export function createContainerRunner(ctx: EmulatorContext): ContainerRunner {
  const running = new Set<LocalContainer>();
  return {
    canRun(image: string): boolean {
      return image !== '' && repositoryOf(image) === repositoryOf(ctx.seed.image);
    },
    start(options: ContainerStartOptions): ContainerHandle {
      const entrypoint = !options.command || options.command.length === 0;
      const dirs = prepareDirs();
      // The image's files are readable by any user of the container, as in the real image.
      if (options.user === 'unprivileged') fs.chmodSync(dirs.root, 0o755);
      const env: Record<string, string> = {
        ...options.env,
        AZP_AGENT_DIR: dirs.agent,
        AZP_WORK: dirs.work,
        HOME: dirs.home,
        TMPDIR: dirs.tmp,
        // A root container stays the emulator's user (a local process does not switch users); an
        // unprivileged one keeps the image's request to switch, which start.sh refuses without root.
        AZP_RUN_AS: options.user === 'unprivileged' ? UNPRIVILEGED_RUN_AS : '',
        NODE_EXTRA_CA_CERTS: ctx.caCertPath,
        PATH: `${path.dirname(process.execPath)}:${process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin'}`,
      };
      const startSh = path.join(repoRoot(), 'images', 'linux', 'start.sh');
      // agentStartDelayMs models an agent that needs time to start inside a running container (as the
      // real one does to configure): the container's first process sleeps, then becomes start.sh.
      // EMULATOR_AGENT_START_DELAY_MS in the container's environment sets it for one container (tests).
      const ownDelay = Number(options.env[AGENT_START_DELAY_VARIABLE]);
      const delaySeconds = (Number.isFinite(ownDelay) && ownDelay >= 0 ? ownDelay : ctx.options?.agentStartDelayMs ?? 0) / 1000;
      const [command, args] = !entrypoint
        ? [options.command![0], options.command!.slice(1)]
        : delaySeconds > 0
          ? ['bash', ['-c', `sleep ${delaySeconds.toFixed(3)} && exec bash "$0"`, startSh]]
          : ['bash', [startSh]];
      let child: ChildProcess;
      try {
        const ids = options.user === 'unprivileged' ? unprivilegedIds() : undefined;
        child = spawn(command, args, { cwd: dirs.work, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'], ...ids });
      } catch (err) {
        fs.rmSync(dirs.root, { recursive: true, force: true });
        throw new Error(`container ${options.label}: cannot start ${command}`, { cause: err });
      }
      child.on('error', (err) => ctx.log(`container ${options.label}: ${err.message}`));
      if (child.pid === undefined) {
        fs.rmSync(dirs.root, { recursive: true, force: true });
        throw new Error(`container ${options.label}: cannot start ${command}`);
      }
      fs.writeFileSync(path.join(dirs.root, CONTAINER_PID_FILE), String(child.pid));
      const container = new LocalContainer(child, options, dirs, (c) => running.delete(c));
      running.add(container);
      options.record.state = 'Running';
      options.record.pid = container.pid;
      options.record.startTime = new Date().toISOString();
      options.record.exitCode = undefined;
      options.record.finishTime = undefined;
      ctx.log(`container ${options.label}: started (pid ${container.pid})`);
      return container;
    },
    async stopAll(): Promise<void> {
      await Promise.all([...running].map((c) => c.stop()));
    },
  };
}
