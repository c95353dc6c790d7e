// Every pipeline in examples/ uses our tasks with inputs their task.json defines (names or aliases),
// sets the inputs every run needs, and picks values a pick list offers.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { root, type TaskJson, taskFolders } from './manifests';

interface TaskStep {
  task: string;
  inputs?: Record<string, unknown>;
}

/** Every `- task: X@N` step anywhere in a parsed pipeline (stages, jobs, templates' steps). */
function taskSteps(node: unknown): TaskStep[] {
  if (Array.isArray(node)) return node.flatMap(taskSteps);
  if (!node || typeof node !== 'object') return [];
  const record = node as Record<string, unknown>;
  const own = typeof record.task === 'string' ? [record as unknown as TaskStep] : [];
  return [...own, ...Object.values(record).flatMap(taskSteps)];
}

const ours = new Map<string, TaskJson>(taskFolders().map(({ task }) => [`${task.name}@${String(task.version.Major)}`, task]));
const examplesDir = path.join(root, 'examples');
const examples = readdirSync(examplesDir).filter((f) => /\.ya?ml$/.test(f)).sort();

describe('examples/*.yml', () => {
  it('there are examples for ACI, Batch, a matrix and a scheduled scale', () => {
    const text = examples.map((f) => readFileSync(path.join(examplesDir, f), 'utf8')).join('\n');
    assert.ok(examples.length >= 4, examples.join(', '));
    for (const needle of ['provider: aci', 'provider: batch', 'matrix:', 'ScaleAgentPool@1', 'schedules:']) {
      assert.ok(text.includes(needle), `no example contains '${needle}'`);
    }
  });

  for (const file of examples) {
    describe(file, () => {
      const steps = taskSteps(parse(readFileSync(path.join(examplesDir, file), 'utf8'))).filter((s) => ours.has(s.task.replace(/\s+/g, '')));

      it('uses at least one of our tasks', () => {
        assert.ok(steps.length > 0);
      });

      it('uses only inputs the task defines, sets the inputs every run needs, and valid pick-list values', () => {
        for (const step of steps) {
          const task = ours.get(step.task) as TaskJson;
          const byName = new Map(task.inputs.flatMap((i) => [i.name, ...(i.aliases ?? [])].map((n) => [n, i] as const)));
          const given = Object.keys(step.inputs ?? {});
          for (const key of given) assert.ok(byName.has(key), `${step.task}: input '${key}' is not defined in its task.json`);
          for (const input of task.inputs.filter((i) => i.required && !i.visibleRule && (i.defaultValue ?? '') === '')) {
            const names = [input.name, ...(input.aliases ?? [])];
            assert.ok(names.some((n) => given.includes(n)), `${step.task}: required input '${input.name}' is missing`);
          }
          for (const [key, value] of Object.entries(step.inputs ?? {})) {
            const input = byName.get(key);
            const text = String(value);
            if (!input?.options || text.includes('$(') || text.includes('${{')) continue;
            assert.ok(Object.keys(input.options).includes(text), `${step.task}: ${key}: '${text}' is not one of ${Object.keys(input.options).join(', ')}`);
          }
        }
      });
    });
  }
});
