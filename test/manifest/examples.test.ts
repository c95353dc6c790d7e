// Every pipeline in examples/ and every quick start in overview.md uses our tasks with inputs their
// task.json defines (names or aliases), sets the inputs every run needs, picks values a pick list
// offers, and runs with the least-privilege setup the overview describes.
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

/** Every `demands` list anywhere in a parsed pipeline, as strings. */
function demands(node: unknown): string[] {
  if (Array.isArray(node)) return node.flatMap(demands);
  if (!node || typeof node !== 'object') return [];
  const record = node as Record<string, unknown>;
  const own = Array.isArray(record.demands) ? record.demands.map(String) : typeof record.demands === 'string' ? [record.demands] : [];
  return [...own, ...Object.values(record).flatMap(demands)];
}

/** The fenced YAML blocks of a Markdown file that hold a task step. */
function yamlBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```ya?ml\n([\s\S]*?)^```/gm)].map((m) => m[1]).filter((block) => /^\s*- task:/m.test(block));
}

const ours = new Map<string, TaskJson>(taskFolders().map(({ task }) => [`${task.name}@${String(task.version.Major)}`, task]));
const examplesDir = path.join(root, 'examples');
const examples = readdirSync(examplesDir).filter((f) => /\.ya?ml$/.test(f)).sort();
const quickStarts = yamlBlocks(readFileSync(path.join(root, 'overview.md'), 'utf8'));
const pipelines = [
  ...examples.map((f) => ({ name: `examples/${f}`, text: readFileSync(path.join(examplesDir, f), 'utf8') })),
  ...quickStarts.map((text, i) => ({ name: `overview.md quick start ${i + 1}`, text })),
];

const isMacro = (text: string) => text.includes('$(') || text.includes('${{');

describe('example pipelines (examples/*.yml and the quick starts of overview.md)', () => {
  it('there are examples for ACI, Batch, a matrix and a scheduled scale', () => {
    const text = examples.map((f) => readFileSync(path.join(examplesDir, f), 'utf8')).join('\n');
    assert.ok(examples.length >= 4, examples.join(', '));
    for (const needle of ['provider: aci', 'provider: batch', 'matrix:', 'ScaleAgentPool@1', 'schedules:']) {
      assert.ok(text.includes(needle), `no example contains '${needle}'`);
    }
  });

  it('overview.md has a complete quick start for ACI and one for Batch', () => {
    assert.equal(quickStarts.length, 2, 'two YAML quick starts');
    assert.ok(quickStarts.some((q) => q.includes('provider: aci')) && quickStarts.some((q) => q.includes('provider: batch')));
    for (const q of quickStarts) {
      const names = taskSteps(parse(q)).map((s) => s.task);
      for (const task of ['RequestEphemeralAgent@1', 'WaitForAgent@1', 'ReleaseEphemeralAgent@1']) assert.ok(names.includes(task), `quick start without ${task}`);
      assert.match(q, /registryIdentity:/, 'a quick start pulls from a private registry with registryIdentity');
    }
  });

  for (const { name, text } of pipelines) {
    describe(name, () => {
      const parsed: unknown = parse(text);
      const steps = taskSteps(parsed).filter((s) => ours.has(s.task.replace(/\s+/g, '')));

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
            if (!input?.options || isMacro(text)) continue;
            assert.ok(Object.keys(input.options).includes(text), `${step.task}: ${key}: '${text}' is not one of ${Object.keys(input.options).join(', ')}`);
          }
        }
      });

      it('works with rights on the resource group only: WaitForAgent and Release name it on Container Instances', () => {
        for (const step of steps.filter((s) => /^(WaitForAgent|ReleaseEphemeralAgent)@/.test(s.task))) {
          const inputs = step.inputs ?? {};
          const provider = String(inputs.provider ?? 'aci');
          if (provider === 'aci' && inputs.azureSubscription !== undefined) {
            assert.ok(inputs.resourceGroup ?? inputs.resourceGroupName, `${step.task} on Container Instances without resourceGroup`);
          }
        }
      });

      it('sends credentials only to https endpoints', () => {
        for (const step of steps) {
          for (const [key, value] of Object.entries(step.inputs ?? {})) {
            if (/Url$/i.test(key) && !isMacro(String(value))) assert.match(String(value), /^https:\/\//, `${step.task}: ${key}`);
          }
        }
      });

      it('keeps a readable token off Batch unless the pipeline opts in', () => {
        for (const step of steps.filter((s) => String(s.inputs?.provider) === 'batch')) {
          const registration = String(step.inputs?.registration ?? 'azureServiceConnection');
          if (registration === 'azureServiceConnection') continue;
          const task = ours.get(step.task) as TaskJson;
          if (task.inputs.some((i) => i.name === 'allowReadableTokenOnBatch')) {
            assert.equal(String(step.inputs?.allowReadableTokenOnBatch), 'true', `${step.task}: registration '${registration}' on Batch`);
          }
        }
      });

      it('binds consumer jobs with the demand written directly', () => {
        for (const demand of demands(parsed).filter((d) => d.includes('EPHEMERAL_RUN'))) {
          assert.ok(['EPHEMERAL_RUN -equals $(Build.BuildId)', 'EPHEMERAL_RUN -equals release-$(Release.DeploymentId)'].includes(demand.trim()),
            `demand '${demand}'`);
        }
      });
    });
  }
});
