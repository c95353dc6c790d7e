// npm run bench: measures what users feel, against the local emulator, and prints one JSON line per
// metric: {"metric": NAME, "value": NUMBER, "unit": UNIT}. Progress goes to stderr.
//   vsix.bytes                  size of the packaged extension
//   startup.ratio.<Task>        median (15 runs) of a bundled task's time from process start to its first
//                               request reaching the emulator, divided by the median of `node -e 0`
//                               (sampled between those runs)
//   wait.lagMs.median / .p95    WaitForAgent noticing agents that come online 5, 10 and 20 s after it starts
//   wait.requestsPerMinute      Azure DevOps requests per minute while waiting (discovery included)
//   scale.aci50.seconds         ScaleAgentPool from 0 to 50 ACI agents (container groups Succeeded) with 2 s latency
//                               on every ARM create, the agents starting a minute after their containers
//   scale.batch50.requests      addtaskcollection requests ScaleAgentPool needs to add 50 Batch agents
//
// The emulator runs in a child process, so serving the tasks never competes with this process's own
// work; this process reads it only through narrow control routes that wait for what it needs
// (GET requests, GET container-groups), never by polling the whole state.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const require = createRequire(import.meta.url);
const { PipelineRun, CONNECTION_IDS } = require(path.join(root, 'build/emulator/src/pipeline-run.js'));
const { callControl } = require(path.join(root, 'build/emulator/src/control-client.js'));
const { runTask } = require(path.join(root, 'build/emulator/src/pipeline-agent.js'));

const only = process.argv.slice(2);
const wanted = (name) => only.length === 0 || only.some((prefix) => name.startsWith(prefix));
const progress = (text) => process.stderr.write(`bench: ${text}\n`);
const metric = (name, value, unit) => console.log(JSON.stringify({ metric: name, value: Number(value.toFixed(3)), unit }));

const median = (values) => percentile(values, 50);
function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const low = Math.floor(rank);
  return sorted[low] + (sorted[Math.min(low + 1, sorted.length - 1)] - sorted[low]) * (rank - low);
}

const control = (world, method, route, body) => callControl(world.control, method, route, body, world.caCertPath);

/** `npm run emulator` in a child process: resolves with its ready line and a stop function. */
async function startEmulatorProcess() {
  const child = spawn(process.execPath, [path.join(root, 'build/emulator/src/main.js')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let errors = '';
  child.stderr.on('data', (chunk) => {
    errors = `${errors}${chunk}`.slice(-4000);
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const lines = createInterface({ input: child.stdout });
  const ready = await Promise.race([
    new Promise((resolve) => lines.once('line', resolve)),
    exited.then((code) => {
      throw new Error(`the emulator exited (${code}) before it was ready:\n${errors}`);
    }),
  ]);
  lines.on('line', () => undefined);
  const world = JSON.parse(ready);
  return {
    world,
    reset: () => control(world, 'POST', 'reset'),
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** The request log from index `from` on, once it holds a request past it (or `waitMs` has passed). */
const requestsFrom = async (world, from, waitMs = 0) => (await control(world, 'GET', `requests?from=${from}&waitMs=${waitMs}`));

async function benchVsix() {
  const { packageExtension } = await import(path.join(root, 'scripts/package.mjs'));
  const outDir = mkdtempSync(path.join(os.tmpdir(), 'bench-vsix-'));
  try {
    const { bytes } = await packageExtension({ outDir });
    metric('vsix.bytes', bytes, 'bytes');
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

function bareNodeMs() {
  const started = process.hrtime.bigint();
  spawnSync(process.execPath, ['-e', '0']);
  return Number(process.hrtime.bigint() - started) / 1e6;
}

/** Inputs that make each task's first move a request to the emulator (a token, a lookup or a list). */
function startupInputs(world) {
  const { seed } = world;
  const aci = { azureSubscription: CONNECTION_IDS.secret, agentPool: seed.agentPool, provider: 'aci', resourceGroup: seed.resourceGroup };
  return {
    RequestEphemeralAgent: { ...aci, image: seed.image },
    WaitForAgent: { agentPool: seed.agentPool, agentNames: 'bench-nobody', timeoutMinutes: '1' },
    ReleaseEphemeralAgent: aci,
    ScaleAgentPool: { ...aci, image: seed.image, namePrefix: 'bench', mode: 'fixed', desiredCount: '0' },
  };
}

async function benchStartup(emulator, world) {
  const runs = 15;
  // Bare node is sampled right after each task run, and each task is divided by the median of its own
  // bare samples: both sides of the ratio then see the machine in the same state (a busy neighbour
  // for half a minute moves both, not one).
  bareNodeMs(); // warms the file cache for the node binary, like the task runs before it
  const pipeline = new PipelineRun(world);
  for (const [task, inputs] of Object.entries(startupInputs(world))) {
    const entry = pipeline.entryOf(task);
    if (!existsSync(entry)) {
      progress(`${task}: no bundle at ${entry}, skipped`);
      continue;
    }
    const samples = [];
    const bare = [];
    for (let i = 0; i < runs; i++) {
      await emulator.reset();
      const abort = new AbortController();
      let spawnedAt = 0;
      const running = runTask({
        entry, inputs, variables: { ...pipeline.variables(), 'System.JobId': `bench-${i}` }, endpoints: pipeline.endpoints,
        systemAccessToken: world.seed.systemAccessToken, env: pipeline.env, signal: abort.signal, onSpawn: (t) => { spawnedAt = t; },
      });
      // The emulator answers as soon as the task's first request has arrived.
      const { requests } = await requestsFrom(world, 0, 10_000);
      abort.abort();
      await running;
      if (requests.length === 0) throw new Error(`${task} sent no request within 10 s`);
      samples.push(Date.parse(requests[0].time) - spawnedAt);
      bare.push(bareNodeMs());
    }
    const ms = median(samples);
    const baseline = median(bare);
    progress(`${task}: first request after a median ${ms.toFixed(1)} ms; node -e 0 a median ${baseline.toFixed(1)} ms`);
    metric(`startup.ratio.${task}`, ms / baseline, 'ratio');
  }
  await emulator.reset();
}

async function benchWait(emulator, world) {
  const { seed } = world;
  const run = new PipelineRun(world);
  const delays = [5000, 10_000, 20_000];
  const aci = { azureSubscription: CONNECTION_IDS.secret, agentPool: seed.agentPool, provider: 'aci', resourceGroup: seed.resourceGroup };
  // Three provisioning jobs whose containers take 5, 10 and 20 s to start (the emulator's per-container
  // pull delay); WaitForAgent starts as soon as the three container groups exist.
  const requests = delays.map((delay) => run.job(`provision_${delay}`).step('RequestEphemeralAgent',
    { ...aci, image: seed.image, capabilities: `EMULATOR_START_DELAY_MS=${delay}` }));
  const { containerGroups } = await control(world, 'GET', `container-groups?count=${delays.length}&waitMs=60000`);
  if (containerGroups.length < delays.length) throw new Error(`only ${containerGroups.length} of ${delays.length} container groups were created within a minute`);
  const names = containerGroups.map((g) => g.name);
  const noticed = new Map();
  const firstRequest = (await requestsFrom(world, 0)).total;
  const waitStarted = Date.now();
  const outcome = await run.job('wait').step('WaitForAgent', { ...aci, agentNames: names.join(','), timeoutMinutes: '2' }, {
    onLine: (line) => {
      const match = /Agent (\S+) is online/.exec(line);
      if (match) noticed.set(match[1], Date.now());
    },
  });
  const waitEnded = Date.now();
  if (outcome.result !== 'Succeeded') throw new Error(`WaitForAgent failed: ${outcome.message}`);
  for (const request of await Promise.all(requests)) {
    if (request.result !== 'Succeeded') throw new Error(`RequestEphemeralAgent failed: ${request.message}`);
  }
  const state = await control(world, 'GET', 'state');
  const lags = names.map((name) => noticed.get(name) - Date.parse(state.agents.find((a) => a.name === name).statusChangedOn));
  progress(`agents online ${names.map((n) => (Date.parse(state.agents.find((a) => a.name === n).statusChangedOn) - waitStarted) / 1000).join(', ')} s after the wait started; lags ${lags.map((l) => l.toFixed(0)).join(', ')} ms`);
  // Only the task's requests count, not the agents' own (registration, sessions, messages, tokens).
  const { requests: since } = await requestsFrom(world, firstRequest);
  const devopsRequests = since
    .filter((r) => r.service === 'devops' && Date.parse(r.time) >= waitStarted && !/^VSTSAgent/.test(r.userAgent ?? '')).length;
  if (process.env.BENCH_VERBOSE) {
    for (const r of since) {
      if (r.service === 'devops' && !/^VSTSAgent/.test(r.userAgent ?? '')) progress(`  ${((Date.parse(r.time) - waitStarted) / 1000).toFixed(1)} s ${r.method} ${r.path}`);
    }
  }
  metric('wait.lagMs.median', median(lags), 'ms');
  metric('wait.lagMs.p95', percentile(lags, 95), 'ms');
  metric('wait.requestsPerMinute', devopsRequests / ((waitEnded - waitStarted) / 60_000), 'requests/min');
  await emulator.reset();
}

async function benchScale(emulator, world) {
  const { seed } = world;
  const run = new PipelineRun(world);
  if (!existsSync(run.entryOf('ScaleAgentPool'))) {
    progress('ScaleAgentPool has no bundle yet: scale metrics skipped');
    return;
  }
  const agent = { azureSubscription: CONNECTION_IDS.secret, agentPool: seed.agentPool, image: seed.image, mode: 'fixed', desiredCount: '50', sweep: 'false' };

  await control(world, 'POST', 'faults', { service: 'arm', method: 'PUT', path: 'containerGroups', latencyMs: 2000, count: 50 });
  // Agents configure for a while inside their running containers, as real ones do (tens of seconds):
  // 50 emulated agents starting on this machine at once would take the CPU from the task measured.
  const options = await control(world, 'GET', 'config');
  await control(world, 'POST', 'config', { agentStartDelayMs: 60_000 });
  const started = Date.now();
  const aci = await run.job('scale_aci').step('ScaleAgentPool', { ...agent, provider: 'aci', resourceGroup: seed.resourceGroup, namePrefix: 'bench-aci' });
  if (aci.result !== 'Succeeded') throw new Error(`ScaleAgentPool (aci) failed: ${aci.message}`);
  // The emulator answers once 50 groups have Succeeded (each wait at most a minute).
  for (;;) {
    const { containerGroups } = await control(world, 'GET', 'container-groups?prefix=bench-aci-&count=50&provisioningState=Succeeded&waitMs=60000');
    if (containerGroups.filter((g) => g.provisioningState === 'Succeeded').length >= 50) break;
    if (Date.now() - started > 300_000) throw new Error('50 ACI agents did not reach Succeeded within 5 minutes');
  }
  metric('scale.aci50.seconds', (Date.now() - started) / 1000, 's');
  await control(world, 'POST', 'config', { agentStartDelayMs: options.agentStartDelayMs });
  if (process.env.BENCH_VERBOSE) {
    const { requests } = await requestsFrom(world, 0);
    const at = (r) => ((Date.parse(r.time) - started) / 1000).toFixed(1);
    for (const kind of ['PUT', 'GET']) progress(`  ARM ${kind} containerGroups at ${requests.filter((r) => r.service === 'arm' && r.method === kind && /containerGroups\//.test(r.path)).map(at).join(' ')} s`);
    progress(`  ARM operation polls at ${requests.filter((r) => r.service === 'arm' && /operations\//.test(r.path)).map(at).join(' ')} s`);
    progress(`  first request at ${at(requests[0])} s`);
  }
  await emulator.reset();

  const batch = await run.job('scale_batch').step('ScaleAgentPool', {
    ...agent, provider: 'batch', namePrefix: 'bench-batch', batchAccountUrl: world.batch, batchPoolId: seed.batchPoolId,
    batchAuthentication: 'sharedKey', batchAccountName: seed.batchAccountName, batchAccountKey: seed.batchAccountKey,
  });
  if (batch.result !== 'Succeeded') throw new Error(`ScaleAgentPool (batch) failed: ${batch.message}`);
  const { requests } = await requestsFrom(world, 0);
  metric('scale.batch50.requests', requests.filter((r) => r.service === 'batch' && /addtaskcollection/i.test(r.path)).length, 'requests');
  await emulator.reset();
}

async function main() {
  if (wanted('vsix')) await benchVsix();
  const emulator = await startEmulatorProcess();
  const { world } = emulator;
  process.env.NODE_EXTRA_CA_CERTS = world.caCertPath;
  try {
    if (wanted('startup')) await benchStartup(emulator, world);
    if (wanted('wait')) await benchWait(emulator, world);
    if (wanted('scale')) await benchScale(emulator, world);
  } finally {
    await emulator.stop();
  }
}

await main();
