// The fake agent behind the emulator's containers: config.sh registers through the emulated REST
// routes with the capabilities a real agent reports, run.sh --once takes one job and exits, and
// the job reports a registration secret it can see.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { prepareDirs, type ContainerDirs } from '../../emulator/src/containers';
import { callControl } from '../../emulator/src/control-client';
import { queueJob } from '../../emulator/src/devops/queue';
import { eventually, startTestEmulator, type TestEmulator } from './core-harness';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(script: string, args: string[], env: Record<string, string>, cwd: string): { done: Promise<Run>; kill(signal: NodeJS.Signals): void } {
  const child = spawn('bash', [script, ...args], { cwd, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const done = new Promise<Run>((resolve) => child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr })));
  return { done, kill: (signal) => child.kill(signal) };
}

describe('emulator: fake agent', () => {
  let emu: TestEmulator;
  let dirs: ContainerDirs;

  function baseEnv(extra: Record<string, string> = {}): Record<string, string> {
    return { HOME: dirs.home, TMPDIR: dirs.tmp, NODE_EXTRA_CA_CERTS: emu.caCertPath, ...extra };
  }

  function configure(agentName: string, token: string, env: Record<string, string> = {}) {
    const args = ['--unattended', '--url', emu.urls.devops, '--auth', 'PAT', '--token', token, '--pool', emu.seed.agentPool, '--agent', agentName, '--work', dirs.work, '--replace', '--acceptTeeEula'];
    return run(path.join(dirs.agent, 'config.sh'), args, baseEnv(env), dirs.agent).done;
  }

  before(async () => {
    emu = await startTestEmulator({ options: { devopsLongPollMs: 500 } });
  });
  after(async () => emu?.stop());
  beforeEach(async () => {
    await emu.reset();
    dirs = prepareDirs();
  });
  afterEach(() => fs.rmSync(dirs.root, { recursive: true, force: true }));

  it('registers with its environment as capabilities, minus VSO_AGENT_IGNORE and long values, and keeps no secret', async () => {
    const result = await configure('agent-1', emu.seed.pat, {
      EPHEMERAL_RUN: '42',
      AZP_POOL: 'hidden',
      VSO_AGENT_IGNORE: 'AZP_POOL,VSO_AGENT_IGNORE',
      LONG_VALUE: 'x'.repeat(1024),
    });
    assert.equal(result.code, 0, result.stderr);
    const agent = emu.ctx.store.agents.find((a) => a.name === 'agent-1');
    assert.ok(agent);
    assert.equal(agent.systemCapabilities.EPHEMERAL_RUN, '42');
    assert.equal(agent.systemCapabilities['Agent.Name'], 'agent-1');
    assert.equal(agent.systemCapabilities.AZP_POOL, undefined);
    assert.equal(agent.systemCapabilities.LONG_VALUE, undefined);
    assert.equal(fs.statSync(path.join(dirs.agent, '.credentials_rsaparams')).mode & 0o777, 0o600);
    for (const file of fs.readdirSync(dirs.agent)) {
      const full = path.join(dirs.agent, file);
      if (fs.statSync(full).isFile()) assert.ok(!fs.readFileSync(full, 'utf8').includes(emu.seed.pat), `${file} holds the secret`);
    }

    const again = await configure('agent-1', emu.seed.pat);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(emu.ctx.store.agents.filter((a) => a.name === 'agent-1').length, 1, '--replace keeps one registration');
  });

  it('fails clearly with a wrong token', async () => {
    const result = await configure('agent-x', 'not-the-pat');
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /401|not authorized/);
  });

  it('cannot register with an Entra token that expired before config.sh ran: 401, as the real service answers', async () => {
    emu.ctx.options.entraTokenLifetimeSeconds = 1;
    let token: string;
    try {
      const res = await fetch(`${emu.urls.entra}/${emu.seed.tenantId}/oauth2/v2.0/token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', client_id: emu.seed.clientId, client_secret: emu.seed.clientSecret,
          scope: '499b84ac-1321-427f-aa17-267ca6975798/.default' }).toString(),
      });
      token = String(((await res.json()) as { access_token: string }).access_token);
    } finally {
      emu.ctx.options.entraTokenLifetimeSeconds = 0;
    }
    // The token's exp is whole seconds: two seconds later it has expired whatever the rounding.
    await new Promise((resolve) => setTimeout(resolve, 2100));
    const result = await configure('agent-late', token);
    assert.equal(result.code, 1, 'config.sh fails as the real one does (start.sh turns this into exit 78)');
    assert.match(result.stderr, /401|not authorized/);
    assert.equal(emu.ctx.store.agents.some((a) => a.name === 'agent-late'), false);
  });

  it('goes online, takes one job, prints "Running job:", reports it finished and exits 0 with --once', async () => {
    assert.equal((await configure('agent-2', emu.seed.pat, { EPHEMERAL_RUN: '7' })).code, 0);
    const listener = run(path.join(dirs.agent, 'run.sh'), ['--once'], baseEnv({ EPHEMERAL_RUN: '7' }), dirs.agent);
    await eventually(() => (emu.ctx.store.agents.find((a) => a.name === 'agent-2')?.status === 'online' ? true : undefined), 20_000, 'agent online');
    const { requestId } = queueJob(emu.ctx, { pool: emu.seed.agentPool, demands: ['EPHEMERAL_RUN -equals 7'], durationMs: 200 });
    const result = await listener.done;
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, new RegExp(`Running job: job-${requestId}`));
    const request = emu.ctx.store.jobRequests.find((r) => r.requestId === requestId)!;
    assert.equal(request.result, 'succeeded');
    assert.deepEqual(emu.ctx.store.secretsSeen, []);
    assert.equal(emu.ctx.store.agents.find((a) => a.name === 'agent-2')?.status, 'offline', 'the session is closed');
  });

  it('reports where its job found the registration secret', async () => {
    assert.equal((await configure('leaky', emu.seed.pat)).code, 0);
    fs.writeFileSync(path.join(dirs.work, 'token.txt'), `token=${emu.seed.pat}\n`);
    const listener = run(path.join(dirs.agent, 'run.sh'), ['--once'], baseEnv({ EPHEMERAL_LEAK: emu.seed.pat }), dirs.agent);
    await eventually(() => (emu.ctx.store.agents.find((a) => a.name === 'leaky')?.status === 'online' ? true : undefined), 20_000, 'agent online');
    queueJob(emu.ctx, { pool: emu.seed.agentPool, demands: [], durationMs: 0 });
    assert.equal((await listener.done).code, 0);
    const where = emu.ctx.store.secretsSeen.filter((s) => s.agentName === 'leaky').map((s) => s.where);
    assert.ok(where.includes('environment'), where.join(', '));
    assert.ok(where.includes(`file:${path.join(dirs.work, 'token.txt')}`), where.join(', '));
    assert.ok(where.some((w) => /^\/proc\/\d+\/environ/.test(w)), where.join(', '));
  });

  describe('retries transient failures as the real agent does', () => {
    const fault = (rule: Record<string, unknown>) => callControl(emu.urls.control, 'POST', 'faults', rule, emu.caCertPath);
    const agentRequests = (method: string, pathPart: string) =>
      emu.ctx.store.requests.filter((r) => r.service === 'devops' && r.method === method && r.path.includes(pathPart) && r.userAgent?.startsWith('VSTSAgentCore'));

    it('configures through 502, 503, 504 and a reset (VssHttpRetryMessageHandler)', async () => {
      await fault({ service: 'devops', method: 'GET', path: '/_apis/distributedtask/pools', reset: true, count: 1 });
      await fault({ service: 'devops', method: 'POST', path: '/agents', status: 503, count: 1 });
      await fault({ service: 'devops', method: 'POST', path: '/agents', status: 502, count: 1 });
      await fault({ service: 'devops', method: 'POST', path: '/agents', status: 504, count: 1 });
      const result = await configure('flaky-net', emu.seed.pat);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(emu.ctx.store.agents.filter((a) => a.name === 'flaky-net').length, 1, 'one registration');
      assert.deepEqual(agentRequests('POST', '/agents').map((r) => r.status), [503, 502, 504, 200]);
    });

    it('gives up after 3 retries (MaxRetryRequest), and never retries a 500', async () => {
      await fault({ service: 'devops', method: 'POST', path: '/agents', status: 503, count: 10 });
      const persistent = await configure('down', emu.seed.pat);
      assert.notEqual(persistent.code, 0);
      assert.equal(agentRequests('POST', '/agents').length, 4, 'the first attempt and 3 retries');

      await emu.reset();
      await fault({ service: 'devops', method: 'POST', path: '/agents', status: 500, count: 1 });
      const internal = await configure('internal', emu.seed.pat);
      assert.notEqual(internal.code, 0);
      assert.equal(agentRequests('POST', '/agents').length, 1, 'a 500 is not retryable for the HTTP client');
    });

    it('keeps trying to open its session through 500s and resets, then takes its job', async () => {
      assert.equal((await configure('patient', emu.seed.pat, { EPHEMERAL_RUN: '11' })).code, 0);
      await fault({ service: 'entra', reset: true, count: 1 });
      await fault({ service: 'devops', method: 'POST', path: '/sessions', status: 500, count: 3 });
      await fault({ service: 'devops', method: 'POST', path: '/sessions', reset: true, count: 1 });
      const listener = run(path.join(dirs.agent, 'run.sh'), ['--once'], baseEnv({ EPHEMERAL_RUN: '11' }), dirs.agent);
      await eventually(() => (emu.ctx.store.agents.find((a) => a.name === 'patient')?.status === 'online' ? true : undefined), 15_000, 'agent online');
      const { requestId } = queueJob(emu.ctx, { pool: emu.seed.agentPool, demands: ['EPHEMERAL_RUN -equals 11'], durationMs: 100 });
      const result = await listener.done;
      assert.equal(result.code, 0, result.stderr);
      assert.equal(emu.ctx.store.jobRequests.find((r) => r.requestId === requestId)?.result, 'succeeded');
      assert.deepEqual(agentRequests('POST', '/sessions').map((r) => r.status), [500, 500, 500, 0, 200]);
    });

    it('stops at once when its registration is gone (401, 403, 404 are final for the real listener)', async () => {
      assert.equal((await configure('removed', emu.seed.pat)).code, 0);
      const agent = emu.ctx.store.agents.find((a) => a.name === 'removed')!;
      emu.ctx.store.agents.splice(emu.ctx.store.agents.indexOf(agent), 1);
      const result = await run(path.join(dirs.agent, 'run.sh'), ['--once'], baseEnv(), dirs.agent).done;
      assert.notEqual(result.code, 0);
      assert.deepEqual(agentRequests('POST', '/oauth2/token').map((r) => r.status), [401], 'one attempt, no retry');
      assert.deepEqual(agentRequests('POST', '/sessions'), []);
    });
  });

  it('closes its session and exits on SIGTERM', async () => {
    assert.equal((await configure('agent-3', emu.seed.pat)).code, 0);
    const listener = run(path.join(dirs.agent, 'run.sh'), [], baseEnv(), dirs.agent);
    await eventually(() => (emu.ctx.store.agents.find((a) => a.name === 'agent-3')?.status === 'online' ? true : undefined), 20_000, 'agent online');
    listener.kill('SIGTERM');
    assert.equal((await listener.done).code, 0);
    assert.equal(emu.ctx.store.agents.find((a) => a.name === 'agent-3')?.sessionId, undefined);
  });
});
