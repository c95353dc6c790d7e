// The standing controller, the bundle, against the emulator: a bad configuration, --once bringing a
// pool to minAgents, a running controller serving queued jobs within maxAgents and back to zero (with
// /metrics, /healthz and SIGTERM), a standby schedule, and a controller next to a ScaleAgentPool run.
import assert from 'node:assert/strict';
import { aciPool, controllerConfig, controllerEnv, ControllerProcess, runController, writeConfig } from './controller-support';
import { ScaleWorld } from './scale-support';

describe('the standing controller against the emulator', function () {
  this.timeout(120_000);
  let world: ScaleWorld;

  before(async () => {
    world = await ScaleWorld.start();
  });
  after(async () => {
    await world?.stop();
  });
  afterEach(async () => {
    await world.reset();
  });

  const online = (s: Awaited<ReturnType<ScaleWorld['state']>>, prefix: string) =>
    s.agents.filter((a) => a.name.startsWith(`${prefix}-`) && a.status === 'online');

  it('refuses a bad configuration with exit code 2 and one line naming the key, before any call', async () => {
    const file = writeConfig(controllerConfig(world, [aciPool(world, 'bad', { maxAgents: 'ten' })]));
    const { code, process: proc } = await runController(['--config', file, '--once'], controllerEnv(world));
    assert.equal(code, 2);
    const lines = proc.stderr.trim().split('\n');
    assert.equal(lines.length, 1, proc.stderr);
    assert.match(lines[0], /pools\[0\]\.maxAgents/);
    assert.equal(proc.stdout, '');

    const typo = writeConfig(controllerConfig(world, [aciPool(world, 'bad', { maxAgent: 3 })]));
    const second = await runController(['--config', typo], controllerEnv(world));
    assert.equal(second.code, 2);
    assert.match(second.process.stderr, /pools\[0\]\.maxAgent\b.*not a known key/);

    // Rules of the task's own inputs hold too.
    const inverted = writeConfig(controllerConfig(world, [aciPool(world, 'bad', { minAgents: 5, maxAgents: 2 })]));
    const third = await runController(['--config', inverted, '--once'], controllerEnv(world));
    assert.equal(third.code, 2);
    assert.match(third.process.stderr, /pools\[0\]\.minAgents.*maxAgents/);
    const s = await world.state();
    assert.equal(s.requests.length, 0, 'no request reached the emulator');
  });

  it('--once brings a pool to minAgents and exits 0', async () => {
    const file = writeConfig(controllerConfig(world, [aciPool(world, 'once', { minAgents: 2, maxAgents: 4, scaleInDelayMinutes: 0 })]));
    const { code, process: proc } = await runController(['--config', file, '--once'], controllerEnv(world));
    assert.equal(code, 0, proc.stdout + proc.stderr);
    const pass = proc.lines.find((l) => l.event === 'pass');
    assert.ok(pass, proc.stdout);
    assert.equal(pass.target, 2);
    assert.equal(pass.created, 2);
    assert.equal(proc.lines.filter((l) => l.event === 'created').length, 2);
    const s = await world.until((st) => online(st, 'once').length === 2, 'two agents online');
    assert.deepEqual(online(s, 'once').map((a) => a.name).sort(), ['once-0', 'once-1']);
    assert.equal(s.agents.find((a) => a.name === 'tpl-once')?.enabled, false, 'the template registration');
    assert.deepEqual(s.secretsSeen, []);
  });

  it('--once as a user-assigned managed identity (IDENTITY_ENDPOINT/IDENTITY_HEADER, as in Container Apps)', async () => {
    const info = world.emu.readyInfo();
    const env = controllerEnv(world, { IDENTITY_ENDPOINT: info.managedIdentity, IDENTITY_HEADER: world.seed.identityHeader, AZURE_CLIENT_ID: world.seed.userIdentityClientId });
    delete env.AZURE_CLIENT_SECRET;
    delete env.AZURE_TENANT_ID;
    const file = writeConfig(controllerConfig(world, [aciPool(world, 'mi', { minAgents: 1, maxAgents: 2 })]));
    const { code, process: proc } = await runController(['--config', file, '--once'], env);
    assert.equal(code, 0, proc.stdout + proc.stderr);
    assert.match(String(proc.lines.find((l) => l.event === 'started')?.identity), /managed identity/);
    await world.until((st) => online(st, 'mi').length === 1, 'one agent online, registered with the identity\'s token');
  });

  it('running: serves five queued jobs within maxAgents, scales back to zero, answers /metrics and /healthz, stops on SIGTERM', async () => {
    const file = writeConfig(controllerConfig(world, [aciPool(world, 'run', { minAgents: 0, maxAgents: 3, scaleInDelayMinutes: 0 })]));
    const proc = new ControllerProcess(['--config', file, '--metrics-port', '0'], controllerEnv(world));
    try {
      const port = (await proc.until((l) => l.event === 'metrics', 'the metrics server')).port as number;
      const base = `http://127.0.0.1:${port}`;
      await proc.until((l) => l.event === 'pass', 'the first pass (template registration)');
      assert.equal((await fetch(`${base}/healthz`)).status, 200);

      const jobs = await Promise.all(Array.from({ length: 5 }, () => world.queue([], 1500)));
      assert.ok(jobs.every((j) => j.result === undefined), 'the jobs wait (the template matches)');
      let most = 0;
      await world.until((st) => {
        most = Math.max(most, st.containerGroups.filter((g) => g.name.startsWith('run-') && g.containers[0]?.state !== 'Terminated').length);
        return jobs.every((j) => st.jobRequests.find((r) => r.requestId === j.requestId)?.result === 'succeeded');
      }, 'five jobs served', 90_000);
      assert.ok(most > 0 && most <= 3, `at most maxAgents containers at once (saw ${most})`);
      await world.until((st) => st.containerGroups.filter((g) => g.name.startsWith('run-')).length === 0 &&
        st.agents.filter((a) => a.name.startsWith('run-')).length === 0, 'back to zero', 60_000);

      const metrics = await (await fetch(`${base}/metrics`)).text();
      for (const name of ['ephemeral_agents_agents{pool="Ephemeral",state="idle"}', 'ephemeral_agents_waiting_jobs{pool="Ephemeral"}', 'ephemeral_agents_target{pool="Ephemeral"}', 'ephemeral_agents_pass_seconds_count', 'ephemeral_agents_pass_errors_total']) {
        assert.ok(metrics.includes(name), `${name} in\n${metrics}`);
      }
      assert.ok(proc.lines.some((l) => l.event === 'created') && proc.lines.some((l) => l.event === 'removed'), 'change lines');
      assert.ok(proc.lines.every((l) => typeof l.time === 'string' && typeof l.level === 'string'), 'structured lines');
    } finally {
      const started = Date.now();
      proc.kill('SIGTERM');
      const { code } = await proc.exited;
      assert.equal(code, 0, proc.stderr);
      assert.ok(Date.now() - started < 10_000, 'stopped within 10 s');
    }
    assert.ok(proc.lines.some((l) => l.event === 'stopped' || l.event === 'stopping'));
  });

  it('a standby schedule covering now overrides minAgents', async () => {
    const hour = new Date().getUTCHours();
    const later = (h: number) => `${String((hour + h) % 24).padStart(2, '0')}:00`;
    const schedules = [
      { days: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'], from: later(2), to: later(3), timeZone: 'UTC', minAgents: 3 },
      { days: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'], from: '00:00', to: '24:00', timeZone: 'Europe/Paris', minAgents: 1, minIdle: 0 },
    ];
    const file = writeConfig(controllerConfig(world, [aciPool(world, 'sch', { minAgents: 0, maxAgents: 4, schedules })]));
    const { code, process: proc } = await runController(['--config', file, '--once'], controllerEnv(world));
    assert.equal(code, 0, proc.stdout + proc.stderr);
    const pass = proc.lines.find((l) => l.event === 'pass');
    assert.equal(pass?.schedule, 1, proc.stdout);
    assert.equal(pass?.minAgents, 1);
    assert.equal(pass?.created, 1);
    await world.until((st) => online(st, 'sch').length === 1, 'one standby agent');
  });

  it('two controllers passing at the same moment on one pool stay within maxAgents', async () => {
    const file = writeConfig(controllerConfig(world, [aciPool(world, 'two', { minAgents: 3, maxAgents: 3 })]));
    const [a, b] = await Promise.all([runController(['--config', file, '--once'], controllerEnv(world)), runController(['--config', file, '--once'], controllerEnv(world))]);
    assert.deepEqual([a.code, b.code], [0, 0], a.process.stdout + b.process.stdout);
    const s = await world.until((st) => online(st, 'two').length === 3, 'three agents online');
    assert.deepEqual(s.containerGroups.filter((g) => g.name.startsWith('two-')).map((g) => g.name).sort(), ['two-0', 'two-1', 'two-2']);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const after = await world.state();
    assert.equal(after.containerGroups.filter((g) => g.name.startsWith('two-')).length, 3, 'still three: no name was created twice');
  });

  it('a controller and a ScaleAgentPool run on one pool: within maxAgents together, neither removes the other\'s agents', async () => {
    const file = writeConfig(controllerConfig(world, [aciPool(world, 'sh', { minAgents: 2, maxAgents: 3, scaleInDelayMinutes: 0 })]));
    const proc = new ControllerProcess(['--config', file], controllerEnv(world));
    try {
      await world.until((st) => online(st, 'sh').length === 2, 'the controller\'s two agents online', 60_000);
      // The same prefix, nothing to do: the run would scale in the idle agents, but they are the controller's.
      // Their names and the template's are the controller's: left alone, with a warning naming each.
      const same = await world.scale({ ...world.aci('sh'), mode: 'queue', minAgents: '0', maxAgents: '3', scaleInDelayMinutes: '0' });
      assert.equal(same.result, 'SucceededWithIssues', same.log);
      for (const name of ['sh-0', 'sh-1', 'tpl-sh']) assert.match(same.log, new RegExp(`Agent ${name} in pool '[^']+' has a name of this scaler's but is not its`));
      assert.equal(same.variables.removed?.value, '0', same.log);
      let s = await world.state();
      assert.deepEqual(online(s, 'sh').map((a) => a.name).sort(), ['sh-0', 'sh-1']);
      // Another prefix asking for three: the controller's two count against maxAgents 3.
      const other = await world.scale({ ...world.aci('tk'), mode: 'queue', minAgents: '3', maxAgents: '3', scaleInDelayMinutes: '0' });
      assert.equal(other.result, 'Succeeded', other.log);
      assert.equal(other.variables.provisioned?.value, '1', other.log);
      s = await world.until((st) => online(st, 'tk').length === 1, 'the run\'s agent online');
      await new Promise((resolve) => setTimeout(resolve, 2500));
      s = await world.state();
      const live = s.containerGroups.filter((g) => /^(sh|tk)-/.test(g.name) && g.containers[0]?.state !== 'Terminated');
      assert.equal(live.length, 3, JSON.stringify(live.map((g) => g.name)));
      assert.deepEqual(online(s, 'sh').map((a) => a.name).sort(), ['sh-0', 'sh-1'], 'the controller removed nothing of the run\'s and kept its own');
    } finally {
      proc.kill('SIGTERM');
      assert.equal((await proc.exited).code, 0, proc.stderr);
    }
  });
});
