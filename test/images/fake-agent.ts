// A fake Azure Pipelines agent directory (config.sh, run.sh) that records how the entrypoint
// called it: argv, environment, user, process group, and every process that held the secret.
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface FakeAgentBehaviour {
  /** Exit code of config.sh. */
  configExitCode?: number;
  /** Bash run by config.sh after recording and writing its files, before it exits. */
  configBody?: string;
  /** Bash run by run.sh after recording; `$n` holds the 1-based number of this run. Default: exit 0. */
  runBody?: string;
}

export interface ProcessIds {
  pid: number;
  ppid: number;
  pgid: number;
  sid: number;
}

export interface RunRecord {
  argv: string[];
  env: Record<string, string>;
  uid: number;
  ids: ProcessIds;
  /** Uid of run.sh's parent, i.e. the entrypoint's run stage. */
  parentUid: number;
  /** Files under /proc (environ, cmdline) that contained the secret while run.sh ran. */
  leaks: string[];
  /** What run.sh could read of the private key config.sh wrote ('' when it could not). */
  key: string;
  /** Pids whose environment the scan could read. */
  scannedPids: number[];
  startedAtMs: number;
}

export interface ConfigRecord {
  argv: string[];
  env: Record<string, string>;
  uid: number;
  pid: number;
}

export interface FakeAgent {
  root: string;
  agentDir: string;
  workDir: string;
  homeDir: string;
  config(): Promise<ConfigRecord | undefined>;
  runs(): Promise<RunRecord[]>;
  remove(): Promise<void>;
}

const recorderPrelude = `#!/usr/bin/env bash
set -u
dir=$(cd "$(dirname "$0")" && pwd)
rec=$dir/rec
read_ids() { # pid -> "pid ppid pgid sid"
  local stat rest
  read -r stat <"/proc/$1/stat"
  rest=\${stat##*) }
  read -r _ ppid pgid sid _ <<<"$rest"
  printf '%s %s %s %s\\n' "$1" "$ppid" "$pgid" "$sid"
}
`;

const configScript = (exitCode: number, body: string) => `${recorderPrelude}
printf '%s\\0' "$@" >"$rec/config.argv"
env -0 >"$rec/config.env"
id -u >"$rec/config.uid"
echo $$ >"$rec/config.pid"
# What the real config.sh leaves in the agent directory: settings and a private key (mode 0600).
printf '{"agentName":"fake"}\\n' >"$dir/.agent"
(umask 077 && printf 'private key\\n' >"$dir/.credentials_rsaparams")
${body}
exit ${exitCode}
`;

const runScript = (body: string) => `${recorderPrelude}
n=$(($(cat "$rec/run.count" 2>/dev/null || echo 0) + 1))
echo "$n" >"$rec/run.count"
date +%s%3N >"$rec/run.$n.started"
printf '%s\\0' "$@" >"$rec/run.$n.argv"
env -0 >"$rec/run.$n.env"
id -u >"$rec/run.$n.uid"
read_ids $$ >"$rec/run.$n.ids"
awk '/^Uid:/ { print $2 }' "/proc/$PPID/status" >"$rec/run.$n.parent-uid"
cat "$dir/.credentials_rsaparams" >"$rec/run.$n.key" 2>/dev/null
# Every process on the machine whose environment or command line holds the secret. The pattern
# comes from a file so that grep's own command line does not hold it.
grep -lsF -f "$dir/secret.pattern" /proc/[0-9]*/environ /proc/[0-9]*/cmdline >"$rec/run.$n.leaks"
scanned=()
for f in /proc/[0-9]*/environ; do
  { : <"$f"; } 2>/dev/null && scanned+=("\${f//[!0-9]/}")
done
printf '%s\\n' "\${scanned[@]}" >"$rec/run.$n.scanned"
${body}
`;

function parseEnv(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of text.split('\0')) {
    const eq = entry.indexOf('=');
    if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return env;
}

const parseArgv = (text: string) => text.split('\0').slice(0, -1);

async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`cannot read ${file}`, { cause: error });
  }
}

/** Creates a fake agent; the secret goes into a pattern file so run.sh can look for it. */
export async function createFakeAgent(secret: string, behaviour: FakeAgentBehaviour = {}): Promise<FakeAgent> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'fake-agent-'));
  const agentDir = path.join(root, 'agent');
  const rec = path.join(agentDir, 'rec');
  const workDir = path.join(root, 'work');
  const homeDir = path.join(root, 'home');
  for (const dir of [agentDir, rec, workDir, homeDir]) await fs.mkdir(dir, { recursive: true });
  await fs.writeFile(path.join(agentDir, 'secret.pattern'), `${secret}\n`);
  await fs.writeFile(path.join(agentDir, 'config.sh'), configScript(behaviour.configExitCode ?? 0, behaviour.configBody ?? ''), { mode: 0o755 });
  await fs.writeFile(path.join(agentDir, 'run.sh'), runScript(behaviour.runBody ?? 'exit 0'), { mode: 0o755 });
  // The recordings, work and home directories are writable by whichever user AZP_RUN_AS names;
  // the agent directory, as in the image, only by its owner.
  for (const dir of [root, rec, workDir, homeDir]) await fs.chmod(dir, 0o777);
  await fs.chmod(agentDir, 0o755);
  await fs.chmod(path.join(agentDir, 'secret.pattern'), 0o644);

  return {
    root,
    agentDir,
    workDir,
    homeDir,
    async config() {
      const argv = await readIfExists(path.join(rec, 'config.argv'));
      if (argv === undefined) return undefined;
      return {
        argv: parseArgv(argv),
        env: parseEnv((await readIfExists(path.join(rec, 'config.env'))) ?? ''),
        uid: Number(await readIfExists(path.join(rec, 'config.uid'))),
        pid: Number(await readIfExists(path.join(rec, 'config.pid'))),
      };
    },
    async runs() {
      const count = Number((await readIfExists(path.join(rec, 'run.count'))) ?? 0);
      const records: RunRecord[] = [];
      for (let n = 1; n <= count; n++) {
        const file = (name: string) => readIfExists(path.join(rec, `run.${n}.${name}`)).then((text) => text ?? '');
        const [pid, ppid, pgid, sid] = (await file('ids')).trim().split(' ').map(Number);
        records.push({
          argv: parseArgv(await file('argv')),
          env: parseEnv(await file('env')),
          uid: Number(await file('uid')),
          ids: { pid, ppid, pgid, sid },
          parentUid: Number(await file('parent-uid')),
          leaks: (await file('leaks')).split('\n').filter(Boolean),
          key: await file('key'),
          scannedPids: (await file('scanned')).split('\n').filter(Boolean).map(Number),
          startedAtMs: Number(await file('started')),
        });
      }
      return records;
    },
    async remove() {
      await fs.rm(root, { recursive: true, force: true });
    },
  };
}

export interface EntrypointResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  pid: number;
  elapsedMs: number;
}

/** Runs `bash <script>` with exactly the given environment and collects what it printed. */
export function runEntrypoint(script: string, env: Record<string, string>, timeoutMs = 25_000): Promise<EntrypointResult> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn('bash', [script], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${script}`, { cause: error }));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, pid: child.pid ?? -1, elapsedMs: Date.now() - started });
    });
  });
}
