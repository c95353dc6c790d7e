// Runs the Linux entrypoint for real under bash, over a fake agent directory, and checks what a
// user of the image would notice: validation, secret hygiene, restarts, exit codes, idle timeout.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createFakeAgent, EntrypointResult, FakeAgent, FakeAgentBehaviour, runEntrypoint } from './fake-agent';

const repoRoot = path.resolve(__dirname, '../../..');
const startSh = path.join(repoRoot, 'images/linux/start.sh');
const contract = JSON.parse(readFileSync(path.join(repoRoot, 'images/entrypoint-contract.json'), 'utf8')) as {
  variables: { name: string }[];
};
const isRoot = process.getuid?.() === 0;

// A killed process whose parent died stays a zombie until init reaps it: that counts as gone.
const processAlive = (pid: number) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
};

describe('images/linux/start.sh', function () {
  this.timeout(30_000);
  let agent: FakeAgent | undefined;
  let secret: string;

  beforeEach(() => {
    secret = `secret-${randomBytes(12).toString('hex')}`;
  });
  afterEach(async () => {
    await agent?.remove();
    agent = undefined;
  });

  async function start(behaviour: FakeAgentBehaviour, env: Record<string, string | undefined> = {}): Promise<EntrypointResult> {
    agent = await createFakeAgent(secret, behaviour);
    const base: Record<string, string | undefined> = {
      PATH: process.env.PATH,
      LANG: 'C.UTF-8',
      HOME: agent.homeDir,
      AZP_URL: 'https://dev.azure.com/contoso',
      AZP_POOL: 'Ephemeral',
      AZP_AGENT_NAME: 'eph-1',
      AZP_TOKEN: secret,
      AZP_AGENT_DIR: agent.agentDir,
      AZP_WORK: agent.workDir,
      AZP_RUN_AS: '',
      AZP_UPDATE_WAIT_SECONDS: '0',
    };
    const merged = Object.entries({ ...base, ...env }).filter((e): e is [string, string] => e[1] !== undefined);
    return runEntrypoint(startSh, Object.fromEntries(merged));
  }

  describe('validation', () => {
    for (const name of ['AZP_URL', 'AZP_POOL', 'AZP_AGENT_NAME']) {
      it(`exits 2 with a one-line error naming ${name} when it is missing`, async () => {
        const result = await start({}, { [name]: undefined });
        assert.equal(result.code, 2);
        assert.equal(result.stderr, `missing required variable: ${name}\n`);
        assert.equal(await agent!.config(), undefined, 'config.sh must not run');
      });
    }

    it('exits 2 naming AZP_TOKEN and AZP_TOKEN_FILE when neither holds a secret', async () => {
      const result = await start({}, { AZP_TOKEN: '' });
      assert.equal(result.code, 2);
      assert.equal(result.stderr, 'missing required variable: AZP_TOKEN or AZP_TOKEN_FILE\n');
    });

    it('exits 2 on a malformed number or flag', async () => {
      for (const [name, value] of [
        ['AZP_IDLE_TIMEOUT_SECONDS', '10m'],
        ['AZP_UPDATE_WAIT_SECONDS', '-1'],
        ['AZP_CONFIGURE_ONLY', 'yes'],
      ]) {
        const result = await start({}, { [name]: value });
        assert.equal(result.code, 2, name);
        assert.match(result.stderr, new RegExp(`^invalid value for ${name}: .*'${value}'\\n$`));
        await agent!.remove();
      }
    });

    it('reads seconds with a leading zero as decimal', async () => {
      const result = await start({ runBody: 'exit 0' }, { AZP_IDLE_TIMEOUT_SECONDS: '0900', AZP_UPDATE_WAIT_SECONDS: '08' });
      assert.equal(result.code, 0, result.stderr);
    });

    it('exits 2 when AZP_AGENT_DIR holds no agent', async () => {
      const result = await start({}, { AZP_AGENT_DIR: '/nonexistent/agent' });
      assert.equal(result.code, 2);
      assert.match(result.stderr, /^agent not found: \/nonexistent\/agent /);
    });

    it('exits 2 when AZP_RUN_AS names no user', async () => {
      const result = await start({}, { AZP_RUN_AS: 'no-such-user-here' });
      assert.equal(result.code, 2);
      assert.equal(result.stderr, 'no such user: no-such-user-here (AZP_RUN_AS)\n');
    });
  });

  describe('registration secret', () => {
    it('passes the secret to config.sh as an argument only, with the documented arguments', async () => {
      const result = await start({});
      assert.equal(result.code, 0, result.stderr);
      const config = await agent!.config();
      assert.ok(config);
      assert.deepEqual(config.argv, [
        '--unattended',
        '--url', 'https://dev.azure.com/contoso',
        '--auth', 'PAT',
        '--token', secret,
        '--pool', 'Ephemeral',
        '--agent', 'eph-1',
        '--work', agent!.workDir,
        '--replace',
        '--acceptTeeEula',
      ]);
      assert.equal(config.env.AZP_TOKEN, undefined);
      assert.equal(config.env.AZP_TOKEN_FILE, undefined);
      assert.deepEqual(Object.entries(config.env).filter(([, v]) => v.includes(secret)), []);
    });

    it('reads AZP_TOKEN_FILE, deletes it, and keeps it out of config.sh', async () => {
      const tokenDir = await fs.mkdtemp(path.join(os.tmpdir(), 'token-'));
      const tokenFile = path.join(tokenDir, 'token');
      try {
        await fs.writeFile(tokenFile, `${secret}\n`);
        const result = await start({}, { AZP_TOKEN: undefined, AZP_TOKEN_FILE: tokenFile });
        assert.equal(result.code, 0, result.stderr);
        await assert.rejects(fs.stat(tokenFile), { code: 'ENOENT' });
        const config = await agent!.config();
        assert.equal(config?.argv[config.argv.indexOf('--token') + 1], secret);
        assert.equal(config?.env.AZP_TOKEN_FILE, undefined);
        assert.deepEqual((await agent!.runs()).flatMap((run) => run.leaks), []);
      } finally {
        await fs.rm(tokenDir, { recursive: true, force: true });
      }
    });

    it('exits 2 without configuring when AZP_TOKEN_FILE cannot be deleted', async () => {
      // Root may delete anything it can write to, so use a file no one can unlink.
      let tokenFile = '/proc/version';
      let lockedDir: string | undefined;
      if (!isRoot) {
        lockedDir = await fs.mkdtemp(path.join(os.tmpdir(), 'token-'));
        tokenFile = path.join(lockedDir, 'token');
        await fs.writeFile(tokenFile, secret);
        await fs.chmod(lockedDir, 0o555);
      }
      try {
        const result = await start({}, { AZP_TOKEN: undefined, AZP_TOKEN_FILE: tokenFile });
        assert.equal(result.code, 2);
        assert.equal(result.stderr, `cannot delete token file: ${tokenFile} (AZP_TOKEN_FILE)\n`);
        assert.equal(await agent!.config(), undefined);
      } finally {
        if (lockedDir) {
          await fs.chmod(lockedDir, 0o755);
          await fs.rm(lockedDir, { recursive: true, force: true });
        }
      }
    });

    for (const kind of ['symbolic', 'hard'] as const) {
      it(`refuses an AZP_TOKEN_FILE that is a ${kind} link, before reading it`, async () => {
        const tokenDir = await fs.mkdtemp(path.join(os.tmpdir(), 'token-'));
        const target = path.join(tokenDir, 'secret-store');
        const tokenFile = path.join(tokenDir, 'token');
        try {
          await fs.writeFile(target, secret);
          await (kind === 'symbolic' ? fs.symlink(target, tokenFile) : fs.link(target, tokenFile));
          const result = await start({}, { AZP_TOKEN: undefined, AZP_TOKEN_FILE: tokenFile });
          assert.equal(result.code, 2);
          assert.equal(result.stderr, `token file is a link: ${tokenFile}; pass the file itself (AZP_TOKEN_FILE)\n`);
          assert.equal(await agent!.config(), undefined, 'config.sh must not run');
        } finally {
          await fs.rm(tokenDir, { recursive: true, force: true });
        }
      });
    }

    it('stops config.sh and everything it started on SIGTERM while configuring', async () => {
      const configBody = 'sleep 30 & echo $! >"$rec/config-sleep.pid"; wait';
      const running = start({ configBody });
      const sleepPidFile = () => path.join(agent!.agentDir, 'rec/config-sleep.pid');
      while (!agent || !(await fs.stat(sleepPidFile()).catch(() => undefined))) await new Promise((r) => setTimeout(r, 50));
      const config = await agent.config();
      const sleeper = Number(await fs.readFile(sleepPidFile(), 'utf8'));
      const entrypointPid = Number(readFileSync(`/proc/${config!.pid}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
      process.kill(entrypointPid, 'SIGTERM');
      const result = await running;
      try {
        assert.equal(result.code, 128 + 15, `the entrypoint exits with the signal's code: ${result.stderr}`);
        assert.equal(result.stderr, 'stopped by SIGTERM while configuring\n');
        assert.equal(processAlive(config!.pid), false, 'config.sh, which holds the secret, is gone');
        assert.equal(processAlive(sleeper), false, 'what config.sh started is gone');
        assert.deepEqual(await agent.runs(), [], 'the agent never ran');
      } finally {
        for (const pid of [config!.pid, sleeper]) if (processAlive(pid)) process.kill(pid, 'SIGKILL');
      }
    });

    it('leaves no trace of the secret in the job environment or in any process while the job runs', async () => {
      const result = await start({ runBody: 'echo "agent output"; echo "agent warning" >&2; exit 0' });
      assert.equal(result.code, 0, result.stderr);
      const [run] = await agent!.runs();
      assert.ok(run, 'run.sh must run');
      assert.equal(run.env.AZP_TOKEN, undefined);
      assert.equal(run.env.AZP_TOKEN_FILE, undefined);
      assert.deepEqual(Object.entries(run.env).filter(([, v]) => v.includes(secret)), []);
      assert.deepEqual(run.leaks, [], 'processes holding the secret');
      // The scan must have covered the entrypoint itself (PID 1 in a container).
      assert.ok(run.scannedPids.includes(result.pid), 'the entrypoint process was scanned');
      assert.equal(run.ids.ppid, result.pid, 'the run stage replaced the entrypoint process (exec)');
      assert.match(result.stdout, /agent output/);
      assert.match(result.stdout, /agent warning/);
    });
  });

  describe('run stage', () => {
    it('runs run.sh --once in its own process group with a scrubbed environment', async () => {
      const result = await start(
        {},
        { EPHEMERAL_RUN: '4711', EPHEMERAL_SLOT: 'a b', UNRELATED_SETTING: 'x', AZP_EXTRA_SETTING: 'y', NODE_EXTRA_CA_CERTS: '/ca.pem', https_proxy: 'http://proxy:3128' },
      );
      assert.equal(result.code, 0, result.stderr);
      const [run] = await agent!.runs();
      assert.deepEqual(run.argv, ['--once']);
      assert.equal(run.ids.pgid, run.ids.pid, 'run.sh leads its own process group');
      assert.notEqual(run.ids.pgid, result.pid);
      assert.equal(run.env.EPHEMERAL_RUN, '4711');
      assert.equal(run.env.EPHEMERAL_SLOT, 'a b');
      assert.equal(run.env.NODE_EXTRA_CA_CERTS, '/ca.pem');
      assert.equal(run.env.https_proxy, 'http://proxy:3128');
      assert.equal(run.env.PATH, process.env.PATH);
      assert.equal(run.env.UNRELATED_SETTING, undefined);
      assert.deepEqual(Object.keys(run.env).filter((name) => name.startsWith('AZP_')), []);
      const config = await agent!.config();
      assert.equal(config?.env.EPHEMERAL_RUN, '4711', 'capabilities are registered at configuration too');
    });

    it('keeps the variables AZP_ENV_KEEP names, patterns included, but never AZP_*', async () => {
      const result = await start({}, { JAVA_HOME: '/opt/jdk', DOTNET_ROOT: '/opt/dotnet', DOTNET_NOLOGO: '1', AZP_ENV_KEEP: 'JAVA_HOME,DOTNET_*,AZP_POOL' });
      assert.equal(result.code, 0, result.stderr);
      const [run] = await agent!.runs();
      assert.equal(run.env.JAVA_HOME, '/opt/jdk');
      assert.equal(run.env.DOTNET_ROOT, '/opt/dotnet');
      assert.equal(run.env.DOTNET_NOLOGO, '1');
      assert.equal(run.env.AZP_POOL, undefined);
    });

    it('lists every AZP_* name in VSO_AGENT_IGNORE for config.sh and run.sh', async () => {
      const result = await start({}, { AZP_EXTRA_SETTING: 'y', VSO_AGENT_IGNORE: 'MY_SECRET_LOOKING_THING' });
      assert.equal(result.code, 0, result.stderr);
      const expected = [...contract.variables.map((v) => v.name), 'AZP_EXTRA_SETTING', 'MY_SECRET_LOOKING_THING'];
      const config = await agent!.config();
      const [run] = await agent!.runs();
      for (const env of [config!.env, run.env]) {
        const listed = env.VSO_AGENT_IGNORE.split(',');
        for (const name of expected) assert.ok(listed.includes(name), `${name} in ${env.VSO_AGENT_IGNORE}`);
      }
    });

    it('lists every proxy variable it keeps in VSO_AGENT_IGNORE, so no proxy password becomes a capability', async () => {
      const proxies = {
        http_proxy: 'http://user:pass@proxy:3128',
        https_proxy: 'http://user:pass@proxy:3128',
        no_proxy: 'localhost',
        HTTP_PROXY: 'http://user:pass@proxy:3128',
        HTTPS_PROXY: 'http://user:pass@proxy:3128',
        NO_PROXY: 'localhost',
      };
      const result = await start({}, proxies);
      assert.equal(result.code, 0, result.stderr);
      const config = await agent!.config();
      const [run] = await agent!.runs();
      for (const env of [config!.env, run.env]) {
        const listed = env.VSO_AGENT_IGNORE.split(',');
        for (const name of Object.keys(proxies)) {
          assert.ok(listed.includes(name), `${name} in ${env.VSO_AGENT_IGNORE}`);
        }
      }
      assert.equal(run.env.https_proxy, proxies.https_proxy, 'the agent still gets the proxy');
    });

    it('sets AGENT_ALLOW_RUNASROOT=1 only when the agent runs as root', async () => {
      const result = await start({}, { AGENT_ALLOW_RUNASROOT: '1' });
      assert.equal(result.code, 0, result.stderr);
      const [run] = await agent!.runs();
      const config = await agent!.config();
      const expected = isRoot ? '1' : undefined;
      assert.equal(run.env.AGENT_ALLOW_RUNASROOT, expected);
      assert.equal(config?.env.AGENT_ALLOW_RUNASROOT, expected);
    });

    it('runs config.sh and run.sh as AZP_RUN_AS while the entrypoint stays root', async function () {
      if (!isRoot) this.skip();
      const nobodyUid = Number(spawnSync('id', ['-u', 'nobody'], { encoding: 'utf8' }).stdout.trim());
      const result = await start({}, { AZP_RUN_AS: 'nobody' });
      assert.equal(result.code, 0, result.stderr);
      const config = await agent!.config();
      const [run] = await agent!.runs();
      assert.equal(config?.uid, 0, 'config.sh writes into the root-owned agent directory as root');
      assert.equal(config?.env.AGENT_ALLOW_RUNASROOT, '1');
      assert.equal(config?.env.USER, 'nobody', 'capabilities describe the user that runs jobs');
      assert.equal(run.uid, nobodyUid);
      assert.equal(run.key, 'private key\n', 'the files config.sh wrote are handed to the run-as user');
      assert.equal(run.parentUid, 0, 'the entrypoint (PID 1) is another user than the job');
      assert.equal(run.env.USER, 'nobody');
      assert.equal(run.env.AGENT_ALLOW_RUNASROOT, undefined);
      assert.deepEqual(run.leaks, []);
    });

    it('a job running as AZP_RUN_AS cannot change the agent\'s scripts', async function () {
      if (!isRoot) this.skip();
      const runBody = 'if { printf "\\n# changed by the job\\n" >>"$dir/run.sh"; } 2>/dev/null; then echo changed >"$rec/changed"; fi; exit 0';
      const result = await start({ runBody }, { AZP_RUN_AS: 'nobody' });
      assert.equal(result.code, 0, result.stderr);
      assert.equal((await agent!.runs()).length, 1);
      await assert.rejects(fs.stat(path.join(agent!.agentDir, 'rec/changed')), { code: 'ENOENT' });
      assert.ok((await fs.readFile(path.join(agent!.agentDir, 'run.sh'), 'utf8')).endsWith('exit 0\n'), 'run.sh is unchanged');
    });

    it('exits 2 without configuring when AZP_RUN_AS could write the agent\'s files', async function () {
      if (!isRoot) this.skip();
      agent = await createFakeAgent(secret, {});
      await fs.chmod(agent.agentDir, 0o777);
      const env = { PATH: process.env.PATH!, AZP_URL: 'https://dev.azure.com/contoso', AZP_POOL: 'Ephemeral', AZP_AGENT_NAME: 'eph-1', AZP_TOKEN: secret, AZP_AGENT_DIR: agent.agentDir, AZP_WORK: agent.workDir, AZP_RUN_AS: 'nobody' };
      const result = await runEntrypoint(startSh, env);
      assert.equal(result.code, 2);
      assert.equal(result.stderr, `agent files writable by nobody: ${agent.agentDir} must belong to root (AZP_RUN_AS)\n`);
      assert.equal(await agent.config(), undefined);
    });

    it('exits 78 without running the agent when config.sh fails', async () => {
      const result = await start({ configExitCode: 3 });
      assert.equal(result.code, 78);
      assert.equal(result.stderr, 'agent configuration failed: config.sh exited with code 3\n');
      assert.deepEqual(await agent!.runs(), []);
    });

    it('registers and exits 0 without running the agent when AZP_CONFIGURE_ONLY=1', async () => {
      const result = await start({}, { AZP_CONFIGURE_ONLY: '1' });
      assert.equal(result.code, 0, result.stderr);
      assert.ok(await agent!.config());
      assert.deepEqual(await agent!.runs(), []);
      assert.match(result.stdout, /agent configured; exiting because AZP_CONFIGURE_ONLY=1/);
    });

    for (const code of [1, 2, 42]) {
      it(`passes the agent's exit code ${code} through`, async () => {
        const result = await start({ runBody: `exit ${code}` });
        assert.equal(result.code, code);
        assert.equal((await agent!.runs()).length, 1);
      });
    }
  });

  describe('update restarts', () => {
    it('runs the agent again after exit codes 3 and 4, then passes the final code through', async () => {
      const result = await start({ runBody: 'case $n in 1) exit 3 ;; 2) exit 4 ;; *) exit 0 ;; esac' });
      assert.equal(result.code, 0, result.stderr);
      const runs = await agent!.runs();
      assert.equal(runs.length, 3);
      for (const run of runs) assert.deepEqual(run.argv, ['--once']);
      assert.match(result.stdout, /agent updated itself \(exit code 3\); starting it again \(1 of 5\)/);
      assert.match(result.stdout, /agent updated itself \(exit code 4\); starting it again \(2 of 5\)/);
    });

    for (const code of [3, 4]) {
      it(`never starts the agent again once a job has started, even when it exits with ${code}`, async () => {
        const runBody = `echo "2025-01-01 10:00:00Z: Running job: Build"; exit ${code}`;
        const result = await start({ runBody });
        assert.equal(result.code, code);
        assert.equal((await agent!.runs()).length, 1, 'single use: one run, one job');
        assert.equal(result.stderr, `a job has run: not starting the agent again (exit code ${code})\n`);
      });
    }

    it('gives up after 5 restarts with the agent exit code', async () => {
      const result = await start({ runBody: 'exit 4' });
      assert.equal(result.code, 4);
      assert.equal((await agent!.runs()).length, 6, 'the first run and 5 restarts');
      assert.equal(result.stderr, 'agent updated itself 5 times; giving up with exit code 4\n');
    });

    it('waits for bin/Agent.Listener to become executable before running again', async () => {
      const runBody = `
        if [ "$n" = 1 ]; then
          mkdir -p bin && : >bin/Agent.Listener && chmod -x bin/Agent.Listener
          (sleep 1; chmod +x bin/Agent.Listener) >/dev/null 2>&1 &
          exit 3
        fi
        exit 0`;
      const result = await start({ runBody });
      assert.equal(result.code, 0, result.stderr);
      const runs = await agent!.runs();
      assert.equal(runs.length, 2);
      assert.ok(runs[1].startedAtMs - runs[0].startedAtMs >= 900, `restarted after ${runs[1].startedAtMs - runs[0].startedAtMs} ms`);
    });
  });

  describe('idle timeout', () => {
    it('interrupts an agent that gets no job and exits 75', async () => {
      // 3 s: time enough, on a loaded machine, for the agent to start before it is interrupted.
      const runBody = 'echo $$ >"$rec/sleep.pid"; exec sleep 30';
      const result = await start({ runBody }, { AZP_IDLE_TIMEOUT_SECONDS: '3' });
      assert.equal(result.code, 75);
      assert.equal(result.stderr, 'idle timeout: no job within 3 s\n');
      // The agent would sleep 30 s: ending well before says it was interrupted (the bound is not a speed test).
      assert.ok(result.elapsedMs < 25_000, `took ${result.elapsedMs} ms`);
      const sleeper = Number(await fs.readFile(path.join(agent!.agentDir, 'rec/sleep.pid'), 'utf8'));
      assert.equal(processAlive(sleeper), false, 'the whole process group is gone');
    });

    it('kills an agent that ignores the interrupt after 10 s', async function () {
      this.timeout(60_000);
      const runBody = 'trap "" INT; sleep 60 & echo $! >"$rec/sleep.pid"; wait; exit 0';
      const result = await start({ runBody }, { AZP_IDLE_TIMEOUT_SECONDS: '3' });
      assert.equal(result.code, 75);
      assert.equal(result.stderr, 'idle timeout: no job within 3 s\n');
      // Not before the 10 s grace after the 3 s timeout; well before the agent's own 60 s (killed, not waited out).
      assert.ok(result.elapsedMs >= 12_500 && result.elapsedMs < 50_000, `took ${result.elapsedMs} ms`);
      const sleeper = Number(await fs.readFile(path.join(agent!.agentDir, 'rec/sleep.pid'), 'utf8'));
      assert.equal(processAlive(sleeper), false);
    });

    it('leaves an agent alone once it prints "Running job:"', async () => {
      const runBody = 'echo "2025-01-01 10:00:00Z: Running job: Build"; sleep 2; exit 0';
      const result = await start({ runBody }, { AZP_IDLE_TIMEOUT_SECONDS: '1' });
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /Running job: Build/);
    });

    it('never times out with AZP_IDLE_TIMEOUT_SECONDS=0', async () => {
      const result = await start({ runBody: 'sleep 1.2; exit 0' }, { AZP_IDLE_TIMEOUT_SECONDS: '0' });
      assert.equal(result.code, 0, result.stderr);
    });

    it('keeps the idle clock running across update restarts', async () => {
      // Each run lasts 1 s, less than the 2 s idle timeout: a clock restarted with each run would
      // never expire and the entrypoint would give up after 6 runs with code 3.
      const runBody = 'sleep 1; exit 3';
      const result = await start({ runBody }, { AZP_IDLE_TIMEOUT_SECONDS: '2' });
      assert.equal(result.code, 75, result.stderr);
      assert.ok((await agent!.runs()).length < 6, 'the timeout came before the restarts ran out');
    });
  });

  it('passes SIGTERM (docker stop) on to the agent and exits with its code', async () => {
    const runBody = 'echo $$ >"$rec/sleep.pid"; echo started; exec sleep 30';
    const running = start({ runBody }, { AZP_IDLE_TIMEOUT_SECONDS: '0' });
    const pidFile = () => path.join(agent!.agentDir, 'rec/sleep.pid');
    while (!agent || !(await fs.stat(pidFile()).catch(() => undefined))) await new Promise((r) => setTimeout(r, 50));
    const sleeper = Number(await fs.readFile(pidFile(), 'utf8'));
    const startPid = (await agent.runs())[0].ids.ppid;
    process.kill(startPid, 'SIGTERM');
    const result = await running;
    assert.equal(result.code, 128 + 15, 'the agent died of SIGTERM and its code passed through');
    assert.equal(processAlive(sleeper), false);
  });

  it('is shellcheck clean', () => {
    const result = spawnSync('shellcheck', ['--severity=style', startSh], { encoding: 'utf8' });
    assert.equal(result.error, undefined, 'shellcheck must be installed (apt-get install shellcheck)');
    assert.equal(result.stdout + result.stderr, '');
    assert.equal(result.status, 0);
  });
});
