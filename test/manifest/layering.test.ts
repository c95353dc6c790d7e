// The layering rules in eslint.config.mjs catch what they are meant to: each case lints a small
// in-memory file at a real path with ESLint's Node API and expects the import rule to fire (or not).
import assert from 'node:assert/strict';
import { ESLint } from 'eslint';
import { root } from './manifests';

const RULE = '@typescript-eslint/no-restricted-imports';

async function flagged(filePath: string, imports: string[]): Promise<number[]> {
  const code = `${imports.join('\n')}\nexport const used = [${imports.map((_, i) => `v${i}`).join(', ')}];\n`;
  const [result] = await new ESLint({ cwd: root }).lintText(code, { filePath });
  const other = result.messages.filter((m) => m.ruleId !== RULE && m.ruleId !== '@typescript-eslint/no-unused-vars');
  assert.deepEqual(other, [], 'only the import rule speaks');
  // A line may break more than one rule: each flagged line counts once.
  return [...new Set(result.messages.filter((m) => m.ruleId === RULE).map((m) => m.line))];
}

describe('layering enforced by lint', function () {
  this.timeout(60_000);

  it('the product never imports the emulator or the tests', async () => {
    assert.deepEqual(await flagged('tasks/common/src/wait.ts', [
      "import { v0 } from '../../../emulator/src/main';",
      "import { v1 } from '../../../test/unit/fakes/fake-clock';",
      "import { v2 } from './clock';",
    ]), [1, 2]);
  });

  it('only the task-lib adapter imports azure-pipelines-task-lib', async () => {
    const taskLib = ["import * as v0 from 'azure-pipelines-task-lib/task';", "import v1 from 'azure-pipelines-task-lib';"];
    assert.deepEqual(await flagged('tasks/common/src/composition.ts', taskLib), [1, 2]);
    assert.deepEqual(await flagged('tasks/WaitForAgentV1/src/index.ts', taskLib), [1, 2]);
    assert.deepEqual(await flagged('tasks/common/src/task-lib-io.ts', taskLib), []);
  });

  it('pure decision modules import no provider, client or SDK; the ports\' types are fine', async () => {
    assert.deepEqual(await flagged('tasks/common/src/scaler/policy.ts', [
      "import { v0 } from '../providers/aci';",
      "import { v1 } from '../devops/node-api-pool-client';",
      "import { v2 } from '@azure/batch';",
      "import { v3 } from 'node:https';",
      "import { v4 } from './scale-pool';",
      "import { v5 } from '../providers/provider';",
      "import { v6 } from '../devops/agent-pool-client';",
      "import type { v7 } from '../providers/batch';",
    ]), [1, 2, 3, 4, 5]);
    assert.deepEqual(await flagged('tasks/common/src/scaler/sweep.ts', ["import { v0 } from '../providers/factory';"]), [1]);
    // An orchestration module may use the ports and the clients it is handed.
    assert.deepEqual(await flagged('tasks/common/src/scaler/scale-pool.ts', ["import { v0 } from '../providers/provider';", "import { v1 } from '../devops/node-api-pool-client';"]), []);
  });

  it('outside providers/, the core knows no concrete provider, Batch or ACI type, even as a type', async () => {
    assert.deepEqual(await flagged('tasks/common/src/scaler/scale-pool.ts', [
      "import type { v0 } from '../providers/batch';",
      "import { v1 } from '../providers/batch-autoscale';",
      "import type { v2 } from '@azure/batch';",
      "import { v3 } from '../providers/aci';",
      "import { v4 } from '../providers/pool-autoscaler';",
    ]), [1, 2, 3, 4]);
    assert.deepEqual(await flagged('tasks/common/src/entry/scale-task.ts', ["import type { v0 } from '../providers/batch';"]), [1]);
    // The factory builds them.
    assert.deepEqual(await flagged('tasks/common/src/providers/factory.ts', ["import { v0 } from './batch';", "import type { v1 } from '@azure/batch';"]), []);
  });

  it('the emulator never imports the tests or the product, the controller included', async () => {
    assert.deepEqual(await flagged('emulator/src/main.ts', [
      "import { v0 } from '../../test/unit/fakes/fake-clock';",
      "import { v1 } from '../../tasks/common/src/naming';",
      "import { v2 } from './clock';",
      "import { v3 } from '../../controller/src/config';",
    ]), [1, 2, 4]);
  });

  it('the controller uses the shared core but never the emulator, the tests or the task library', async () => {
    assert.deepEqual(await flagged('controller/src/pool-runner.ts', [
      "import { v0 } from '../../emulator/src/main';",
      "import { v1 } from '../../test/unit/fakes/fake-clock';",
      "import * as v2 from 'azure-pipelines-task-lib/task';",
      "import { v3 } from '../../tasks/common/src/scaler/scale-pool';",
      "import { v4 } from './config';",
    ]), [1, 2, 3]);
  });

  it('the tasks never import the controller', async () => {
    const controller = ["import { v0 } from '../../../controller/src/config';"];
    assert.deepEqual(await flagged('tasks/common/src/wait.ts', controller), [1]);
    assert.deepEqual(await flagged('tasks/common/src/scaler/policy.ts', ["import type { v0 } from '../../../../controller/src/config';"]), [1]);
    assert.deepEqual(await flagged('tasks/common/src/task-lib-io.ts', controller), [1]);
    assert.deepEqual(await flagged('tasks/WaitForAgentV1/src/index.ts', ["import { v0 } from '../../../controller/src/main';"]), [1]);
  });
});
