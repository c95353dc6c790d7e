// The local container runtime: which images it runs, what a container's process sees, exit codes,
// and that stopping or ending a container leaves none of its processes behind.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import type { EmulatorContext } from '../../emulator/src/context';
import { createContainerRunner } from '../../emulator/src/containers';
import type { ContainerRecord } from '../../emulator/src/store';

/** Running (a zombie waiting for its reaper is dead). */
function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

describe('emulator: container runner', () => {
  const ctx = {
    seed: { image: 'ephemeralagents.azurecr.io/azp-agent:linux' },
    caCertPath: '/ca.pem',
    log: () => undefined,
  } as unknown as EmulatorContext;
  const runner = createContainerRunner(ctx);
  const newRecord = (): ContainerRecord => ({ name: 'c', state: 'Waiting', restartCount: 0, events: [], log: '' });

  after(() => runner.stopAll());

  it('runs the seeded image with any tag or digest, and nothing else', () => {
    assert.equal(runner.canRun('ephemeralagents.azurecr.io/azp-agent:linux'), true);
    assert.equal(runner.canRun('ephemeralagents.azurecr.io/azp-agent:ubuntu-24.04'), true);
    assert.equal(runner.canRun('ephemeralagents.azurecr.io/azp-agent@sha256:abcd'), true);
    assert.equal(runner.canRun('ephemeralagents.azurecr.io/other:linux'), false);
    assert.equal(runner.canRun('ubuntu'), false);
  });

  it('gives the process the container environment and its own directories, logs its output and reports its exit code', async () => {
    const record = newRecord();
    const exitCode = await new Promise<number>((resolve) => {
      runner.start({
        label: 'test',
        image: ctx.seed.image,
        env: { GREETING: 'hello', AZP_RUN_AS: 'agent' },
        command: ['/bin/sh', '-c', 'echo "$GREETING run-as=[$AZP_RUN_AS] ca=$NODE_EXTRA_CA_CERTS"; test -x "$AZP_AGENT_DIR/run.sh" && test -d "$AZP_WORK" && echo "$HOME" > "$TMPDIR/home"; exit 3'],
        record,
        onExit: resolve,
      });
    });
    assert.equal(exitCode, 3);
    assert.equal(record.state, 'Terminated');
    assert.equal(record.exitCode, 3);
    assert.match(record.log, /hello run-as=\[\] ca=\/ca\.pem/);
  });

  it('stops a container with SIGTERM and kills whatever it left running', async () => {
    const record = newRecord();
    let exitCode = -1;
    const handle = runner.start({
      label: 'sleeper',
      image: ctx.seed.image,
      env: {},
      command: ['/bin/sh', '-c', 'sleep 30 & echo "child=$!"; wait'],
      record,
      onExit: (code) => (exitCode = code),
    });
    let child: number | undefined;
    for (let i = 0; i < 200 && child === undefined; i++) {
      const match = /child=(\d+)/.exec(record.log);
      if (match) child = Number(match[1]);
      else await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.ok(child && alive(child));
    await handle.stop();
    assert.equal(exitCode, 143);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(alive(child), false);
  });

  it('runs the entrypoint as a non-root user in an unprivileged container, so start.sh cannot switch to the agent user and exits 2', async () => {
    const env = { AZP_URL: 'https://127.0.0.1:9/org', AZP_POOL: 'p', AZP_AGENT_NAME: 'a', AZP_TOKEN: 'x', AZP_IDLE_TIMEOUT_SECONDS: '5' };
    const run = (user: 'root' | 'unprivileged') => {
      const record = newRecord();
      return new Promise<{ code: number; log: string }>((resolve) => {
        runner.start({ label: `entrypoint-${user}`, image: ctx.seed.image, env, record, user, onExit: (code) => resolve({ code, log: record.log }) });
      });
    };
    const unprivileged = await run('unprivileged');
    assert.equal(unprivileged.code, 2);
    assert.match(unprivileged.log, /AZP_RUN_AS=nobody needs the entrypoint to run as root/);
    const root = await run('root');
    assert.notEqual(root.code, 2, root.log);
    assert.doesNotMatch(root.log, /needs the entrypoint to run as root/);
  });
});
