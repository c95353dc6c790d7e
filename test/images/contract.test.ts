// Both entrypoints (Linux start.sh, Windows start.ps1) follow one contract: the same variables,
// defaults, messages, exit codes, agent arguments and steps. PowerShell cannot run here, so this
// reads the scripts; the Linux behaviour itself is exercised in start-sh.test.ts.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { contractProblems, EntrypointContract, Platform, stepMarkers } from './entrypoint-contract';

const repoRoot = path.resolve(__dirname, '../../..');
const contract = JSON.parse(readFileSync(path.join(repoRoot, 'images/entrypoint-contract.json'), 'utf8')) as EntrypointContract;
const platforms: Platform[] = ['linux', 'windows'];
const scripts = Object.fromEntries(
  platforms.map((platform) => [platform, readFileSync(path.join(repoRoot, contract.scripts[platform]), 'utf8')]),
) as Record<Platform, string>;

describe('images/entrypoint-contract.json', () => {
  it('is self-consistent: unique ids, exit codes 2, 75 and 78, steps named once', () => {
    const unique = (values: unknown[]) => new Set(values).size === values.length;
    assert.ok(unique(contract.variables.map((v) => v.name)));
    assert.ok(unique(contract.messages.map((m) => m.id)));
    assert.ok(unique(contract.steps.map((s) => s.id)));
    assert.deepEqual(contract.exitCodes.map((e) => e.code), [2, 75, 78]);
    for (const v of contract.variables) assert.match(v.name, /^AZP_[A-Z_]+$/);
    assert.deepEqual(contract.agentArguments.run, ['--once']);
  });

  for (const platform of platforms) {
    it(`${contract.scripts[platform]} follows it`, () => {
      assert.deepEqual(contractProblems(contract, platform, scripts[platform]), []);
    });
  }

  it('both scripts carry the same steps in the same order', () => {
    assert.deepEqual(stepMarkers(scripts.windows), stepMarkers(scripts.linux));
  });

  it('images/README.md documents every variable, default and exit code', () => {
    const readme = readFileSync(path.join(repoRoot, 'images/README.md'), 'utf8');
    for (const variable of contract.variables) {
      const row = readme.split('\n').find((line) => line.startsWith(`| \`${variable.name}\` |`));
      assert.ok(row, `a table row for ${variable.name}`);
      const defaults = variable.default === null ? [] : typeof variable.default === 'string' ? [variable.default] : Object.values(variable.default);
      for (const value of defaults.filter(Boolean)) assert.ok(row.includes(`\`${value}\``), `${variable.name} default ${value}`);
    }
    for (const { code } of contract.exitCodes) assert.match(readme, new RegExp(`^\\| ${code} \\|`, 'm'));
  });

  describe('catches drift', () => {
    const drifts: { what: string; change: (script: string, platform: Platform) => string }[] = [
      { what: 'a reworded message', change: (s) => s.replace('idle timeout: no job within', 'idle timeout: nothing within') },
      { what: 'another default', change: (s) => s.replace(/900/g, '600') },
      { what: 'another exit code', change: (s) => s.replace(/EXIT_CONFIG_FAILED( = |=)78/, (m) => m.replace('78', '1')) },
      { what: 'a dropped agent argument', change: (s) => s.replace('--replace', '') },
      { what: 'swapped steps', change: (s) => s.replace('# step: delete-token-file', '# step: tmp').replace('# step: read-secret', '# step: delete-token-file').replace('# step: tmp', '# step: read-secret') },
      { what: 'a forgotten variable', change: (s) => s.replaceAll('AZP_UPDATE_WAIT_SECONDS', 'AZP_UPDATE_DELAY') },
      { what: 'a different restart cap', change: (s) => s.replace(/MAX_UPDATE_RESTARTS=?( = )?5/, (m) => m.replace('5', '3')) },
      { what: 'a proxy variable left visible', change: (s) => s.replace(/'?NO_PROXY'?\)/, ')') },
      { what: 'proxy variables left out of VSO_AGENT_IGNORE', change: (s) => s.replace(/ \+ \$PROXY_VARIABLES| "\$\{PROXY_VARIABLES\[@\]\}"/, '') },
      { what: 'a restart after a job', change: (s) => s.replace(/a job has run: not starting the agent again/, 'a job has run') },
    ];
    for (const platform of platforms) {
      for (const drift of drifts) {
        it(`in ${platform}: ${drift.what}`, () => {
          const changed = drift.change(scripts[platform], platform);
          assert.notEqual(changed, scripts[platform], 'the drift must change the script');
          assert.notDeepEqual(contractProblems(contract, platform, changed), []);
        });
      }
    }
  });
});
