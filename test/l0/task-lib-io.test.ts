// TaskLibIO reads secret inputs, secret variables and endpoint parameters from task-lib's vault
// (`_vault`, `_getVariableKey`, `_knownVariableMap` in azure-pipelines-task-lib/internal), because
// task-lib's public getters write `##vso[task.debug]<name>=<value>` before the task can mask the value.
// Those are task-lib internals, so package.json pins task-lib exactly; this test runs the adapter in
// a process set up as the agent sets up a task's and fails when a task-lib update changes them.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ADAPTER = path.resolve(__dirname, '..', '..', 'tasks', 'common', 'src', 'task-lib-io.js');

const SECRETS = { input: 'input-secret-3f9a', variable: 'variable-secret-81c2', endpoint: 'endpoint-secret-5d7e' };

describe('TaskLibIO over the pinned task-lib internals', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => { dir = mkdtempSync(path.join(os.tmpdir(), 'task-lib-io-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads secrets quietly from the vault and masks them before anything is logged', () => {
    const script = `
      const { TaskLibIO } = require(${JSON.stringify(ADAPTER)});
      const io = new TaskLibIO({ taskJsonCandidates: [] });
      const read = {
        input: io.getSecretInput('registrationToken'),
        variable: io.getSecretVariable('My.Token'),
        plainVariable: io.getSecretVariable('Plain.Token'),
        endpoint: io.getEndpoint('conn')?.authParameter('serviceprincipalkey'),
        missing: io.getSecretInput('absent'),
      };
      process.stdout.write('RESULT ' + JSON.stringify(read) + '\\n');`;
    const run = spawnSync(process.execPath, ['-e', script], {
      cwd: dir,
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH,
        SYSTEM_DEBUG: 'true',
        AGENT_TEMPDIRECTORY: dir,
        INPUT_REGISTRATIONTOKEN: SECRETS.input,
        SECRET_MY_TOKEN: SECRETS.variable,
        VSO_PUBLIC_VARIABLES: JSON.stringify(['Plain.Token']),
        PLAIN_TOKEN: 'plain-value',
        ENDPOINT_URL_conn: 'https://management.azure.com/',
        ENDPOINT_AUTH_conn: JSON.stringify({ scheme: 'ServicePrincipal', parameters: { serviceprincipalid: 'id' } }),
        ENDPOINT_AUTH_PARAMETER_conn_SERVICEPRINCIPALKEY: SECRETS.endpoint,
      },
    });
    assert.equal(run.status, 0, run.stderr);
    const result = JSON.parse(run.stdout.split('\n').find((l) => l.startsWith('RESULT '))?.slice('RESULT '.length) ?? '{}');
    assert.deepEqual(result, { input: SECRETS.input, variable: SECRETS.variable, plainVariable: 'plain-value', endpoint: SECRETS.endpoint });
    const lines = run.stdout.split('\n');
    // Secret inputs and variables are registered at once; endpoint parameters are the agent's own secrets.
    for (const secret of [SECRETS.input, SECRETS.variable]) assert.ok(lines.includes(`##vso[task.setsecret]${secret}`), `${secret} is registered with the agent`);
    for (const secret of Object.values(SECRETS)) {
      assert.deepEqual(lines.filter((l) => l.includes(secret) && !l.startsWith('##vso[task.setsecret]') && !l.startsWith('RESULT ')), [], `${secret} is never written otherwise`);
    }
  });
});
