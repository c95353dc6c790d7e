// What each bundled task loads before its first request: only the SDK chunk that request needs, and
// not Node's fetch implementation (undici). Start-up time is measured by `npm run bench`; this test
// keeps the structure that makes it fast from regressing (a provider created early, an SDK module
// evaluated at load, a global that pulls in undici).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runTask, type TaskOutcome } from '../../emulator/src/pipeline-agent';
import { CONNECTION_IDS } from '../../emulator/src/pipeline-run';
import { World } from './harness';

// Preloaded with --require: records the lazy chunk files loaded and the built-in modules loaded when
// the task opens its first TLS connection, then lets the task go on.
const PROBE = `
const fs = require('node:fs');
const Module = require('node:module');
const path = require('node:path');
const tls = require('node:tls');
const chunks = [];
const loadJs = Module._extensions['.js'];
Module._extensions['.js'] = function (module, filename) {
  if (/^lazy-/.test(path.basename(filename))) chunks.push(path.basename(filename));
  return loadJs.apply(this, arguments);
};
const connect = tls.connect;
let recorded = false;
tls.connect = function () {
  if (!recorded) {
    recorded = true;
    fs.writeFileSync(process.env.STARTUP_PROBE_OUT, JSON.stringify({ chunks, builtins: process.moduleLoadList }));
  }
  return connect.apply(this, arguments);
};
`;

interface Probe {
  chunks: string[];
  builtins: string[];
}

describe('e2e: what a task loads before its first request', function () {
  this.timeout(60_000);
  let world: World;
  let dir: string;

  before(async () => {
    world = await World.start();
    dir = mkdtempSync(path.join(os.tmpdir(), 'startup-probe-'));
    writeFileSync(path.join(dir, 'probe.js'), PROBE);
  });
  after(async () => {
    await world?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function probe(task: string, inputs: Record<string, string>): Promise<Probe> {
    const run = world.run();
    const out = path.join(dir, `${task}.json`);
    const abort = new AbortController();
    const running = runTask({
      entry: run.entryOf(task),
      inputs,
      variables: { ...run.variables(), 'System.JobId': `probe-${task}` },
      endpoints: run.endpoints,
      systemAccessToken: world.seed.systemAccessToken,
      env: { ...run.env, NODE_OPTIONS: `--require ${path.join(dir, 'probe.js')}`, STARTUP_PROBE_OUT: out },
      signal: abort.signal,
    });
    let exited: TaskOutcome | undefined;
    void running.then((outcome) => { exited = outcome; });
    const deadline = Date.now() + 20_000;
    let text = '';
    while (!text && !exited && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      try {
        text = readFileSync(out, 'utf8');
      } catch {
        // not yet
      }
    }
    abort.abort();
    const outcome = await running;
    assert.ok(text, `${task} opened no connection (result ${outcome.result}: ${outcome.message})`);
    return JSON.parse(text) as Probe;
  }

  const aci = () => ({ azureSubscription: CONNECTION_IDS.secret, agentPool: world.seed.agentPool, provider: 'aci', resourceGroup: world.seed.resourceGroup });
  const cases: Array<[string, () => Record<string, string>, string]> = [
    ['RequestEphemeralAgent', () => ({ ...aci(), image: world.seed.image }), 'lazy-identity.js'],
    ['WaitForAgent', () => ({ agentPool: world.seed.agentPool, agentNames: 'nobody', timeoutMinutes: '1' }), 'lazy-devops.js'],
    ['ReleaseEphemeralAgent', aci, 'lazy-identity.js'],
    ['ScaleAgentPool', () => ({ ...aci(), image: world.seed.image, namePrefix: 'probe', mode: 'fixed', desiredCount: '0' }), 'lazy-identity.js'],
  ];
  for (const [task, inputs, chunk] of cases) {
    it(`${task} loads only ${chunk} and does not load undici before its first request`, async () => {
      const seen = await probe(task, inputs());
      assert.deepEqual(seen.chunks, [chunk]);
      assert.ok(!seen.builtins.some((m) => m.includes('undici')), `undici was loaded: ${seen.builtins.filter((m) => m.includes('undici')).join(', ')}`);
    });
  }
});
