// The task reference in docs/tasks/ is what scripts/gen-docs.mjs makes of each task.json.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { importScript, root, type TaskJson } from './manifests';

interface GenDocs {
  docTargets(): Array<{ folder: string; task: TaskJson; doc: string }>;
  renderTaskDoc(task: TaskJson, folder: string): string;
}

describe('docs/tasks', () => {
  let genDocs: GenDocs;
  before(async () => {
    genDocs = await importScript<GenDocs>('gen-docs.mjs');
  });

  it('has one up-to-date page per task, generated from its task.json', () => {
    const targets = genDocs.docTargets();
    assert.ok(targets.length >= 3);
    for (const { folder, task, doc } of targets) {
      const relative = path.relative(root, doc);
      assert.ok(existsSync(doc), `${relative} is missing: run node scripts/gen-docs.mjs`);
      assert.ok(readFileSync(doc, 'utf8') === genDocs.renderTaskDoc(task, folder),
        `${relative} disagrees with tasks/${folder}/task.json: run node scripts/gen-docs.mjs`);
    }
  });

  it('documents every input, alias and output variable of the task', () => {
    for (const { folder, task } of genDocs.docTargets()) {
      const text = genDocs.renderTaskDoc(task, folder);
      for (const input of task.inputs) {
        assert.ok(text.includes(`| \`${input.name}\` |`), `${task.name}: input ${input.name}`);
        for (const alias of input.aliases ?? []) assert.ok(text.includes(`\`${alias}\``), `${task.name}: alias ${alias}`);
      }
      for (const output of task.outputVariables ?? []) assert.ok(text.includes(`| \`${output.name}\` |`), `${task.name}: output ${output.name}`);
      assert.ok(text.includes(`- task: ${task.name}@${String(task.version.Major)}`), `${task.name}: YAML snippet`);
    }
  });
});
