// Lints every tasks/<Folder>/task.json: what the task editor, the YAML schema and the agent rely on.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ENDPOINT_TYPE_CONTRIBUTION, extensionManifest, pngSize, type TaskFolder, type TaskInput, taskFolders } from './manifests';
import { parseVisibleRule } from './visible-rule';

const SCHEMA = 'https://raw.githubusercontent.com/Microsoft/azure-pipelines-task-lib/master/tasks.schema.json';
// The first agent with the Node20_1 handler (microsoft/azure-pipelines-tasks docs/migrateNode20.md).
const FIRST_AGENT_WITH_NODE20_1 = [3, 232, 1];
const CATEGORIES = ['Build', 'Utility', 'Test', 'Package', 'Deploy', 'Azure Repos', 'Azure Boards', 'Azure Pipelines', 'Azure Test Plans', 'Azure Artifacts'];
const INPUT_TYPES = ['boolean', 'filePath', 'multiLine', 'pickList', 'radio', 'secureFile', 'string'];
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const IDENTIFIER = /^[A-Za-z][A-Za-z0-9]*$/;

const folders = taskFolders();

function inputNamed(task: TaskFolder['task'], name: string): TaskInput | undefined {
  return task.inputs.find((i) => i.name === name);
}

/** Checks one visibleRule against the task's inputs; returns the problems found. */
function visibleRuleProblems(rule: string, task: TaskFolder['task'], owner: string): string[] {
  let parsed;
  try {
    parsed = parseVisibleRule(rule);
  } catch (error) {
    return [`${owner}: ${(error as Error).message}`];
  }
  const problems: string[] = [];
  for (const clause of parsed.clauses) {
    const target = inputNamed(task, clause.input);
    if (!target) {
      problems.push(`${owner}: visibleRule names unknown input '${clause.input}'`);
      continue;
    }
    if (clause.input === owner) problems.push(`${owner}: visibleRule refers to the input itself`);
    const allowed = target.type === 'boolean' ? ['true', 'false'] : target.options ? Object.keys(target.options) : undefined;
    if (allowed && ['=', '==', '!='].includes(clause.operator) && !allowed.includes(clause.value)) {
      problems.push(`${owner}: visibleRule compares '${clause.input}' with '${clause.value}', not one of ${allowed.join(', ')}`);
    }
  }
  return problems;
}

/** Paths of string values 'true'/'false' where task.json expects JSON booleans. */
function stringBooleans(value: unknown, at: string): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => stringBooleans(v, `${at}[${i}]`));
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) =>
      (typeof v === 'string' && /^(true|false)$/i.test(v) && ['required', 'isExpanded', 'defaultValue', 'isConfidential'].includes(k)
        ? [`${at}.${k}`]
        : stringBooleans(v, `${at}.${k}`)));
  }
  return [];
}

describe('task.json of every task', () => {
  it('there are task folders to check', () => {
    assert.ok(folders.length >= 3, `expected the task folders under tasks/, found ${folders.map((f) => f.folder).join(', ')}`);
  });

  it('task ids are GUIDs, unique across tasks', () => {
    const ids = folders.map((f) => f.task.id.toLowerCase());
    for (const f of folders) assert.match(f.task.id, GUID, `${f.folder}: id`);
    assert.equal(new Set(ids).size, ids.length, `duplicate task ids: ${ids.join(', ')}`);
  });

  it('task names are unique', () => {
    const names = folders.map((f) => f.task.name);
    assert.equal(new Set(names).size, names.length);
  });

  for (const { folder, dir, task } of folders) {
    describe(folder, () => {
      const groups = task.groups ?? [];

      it('has the schema, identity and descriptive fields', () => {
        assert.equal(task.$schema, SCHEMA);
        assert.match(task.name, /^[A-Za-z0-9-]+$/);
        assert.equal(`${task.name}V${String(task.version.Major)}`, folder, 'folder = <name>V<Major>');
        for (const field of ['friendlyName', 'description', 'helpMarkDown', 'author', 'instanceNameFormat'] as const) {
          assert.ok(typeof task[field] === 'string' && task[field].trim() !== '', `${field} is required`);
        }
        assert.ok(task.friendlyName.length <= 40, `friendlyName '${task.friendlyName}' is over 40 characters`);
        assert.ok(CATEGORIES.includes(String(task.category)), `category '${task.category}'`);
      });

      it('has a numeric version whose Major is the folder suffix', () => {
        const { Major, Minor, Patch } = task.version;
        for (const [k, v] of Object.entries({ Major, Minor, Patch })) assert.equal(typeof v, 'number', `version.${k} must be a number`);
        assert.equal(Major, Number(/V(\d+)$/.exec(folder)?.[1]));
      });

      it('runs on Node20_1 and Node24 only, from index.js, and demands an agent that has Node20_1', () => {
        const handlers = Object.keys(task.execution ?? {}).sort();
        assert.deepEqual(handlers, ['Node20_1', 'Node24'], 'handlers (never Node, Node10 or Node16)');
        for (const handler of handlers) assert.equal(task.execution?.[handler].target, 'index.js');
        const version = (task.minimumAgentVersion ?? '').split('.').map(Number);
        assert.equal(version.length, 3, `minimumAgentVersion '${task.minimumAgentVersion}'`);
        const cmp = version.map((n, i) => n - FIRST_AGENT_WITH_NODE20_1[i]).find((d) => d !== 0) ?? 0;
        assert.ok(cmp >= 0, `minimumAgentVersion ${task.minimumAgentVersion} predates the Node20_1 handler (3.232.1)`);
      });

      it('has well-formed groups, advanced ones collapsed', () => {
        const names = groups.map((g) => g.name);
        assert.equal(new Set(names).size, names.length, 'group names unique');
        for (const group of groups) {
          assert.ok(group.displayName, `group ${group.name}: displayName`);
          assert.equal(typeof group.isExpanded, 'boolean', `group ${group.name}: isExpanded must be a boolean`);
          if (/advanced/i.test(group.name)) assert.equal(group.isExpanded, false, `group ${group.name} must be collapsed`);
          if (group.visibleRule) assert.deepEqual(visibleRuleProblems(group.visibleRule, task, `group ${group.name}`), []);
        }
        const used = new Set(task.inputs.map((i) => i.groupName));
        for (const name of names) assert.ok(used.has(name), `group ${name} holds no input`);
      });

      it('inputs have a unique name, a known type, a label, help that gives the default, and an existing group', () => {
        const names = task.inputs.map((i) => i.name);
        assert.equal(new Set(names).size, names.length, 'input names unique');
        for (const input of task.inputs) {
          const at = `input ${input.name}`;
          assert.match(input.name, IDENTIFIER, at);
          assert.ok(INPUT_TYPES.includes(input.type) || /^connectedService:.+$/.test(input.type), `${at}: type '${input.type}'`);
          assert.ok(input.label?.trim(), `${at}: label`);
          assert.ok(input.helpMarkDown?.trim(), `${at}: helpMarkDown`);
          assert.match(input.helpMarkDown ?? '', /default|required/i, `${at}: helpMarkDown should say its default (or that it is required)`);
          assert.ok(input.groupName && groups.some((g) => g.name === input.groupName), `${at}: groupName '${input.groupName}' is not a group`);
          if (input.required !== undefined) assert.equal(typeof input.required, 'boolean', `${at}: required must be a boolean`);
          if (input.defaultValue !== undefined) {
            assert.ok(['string', 'boolean'].includes(typeof input.defaultValue), `${at}: defaultValue must be a string or boolean`);
          }
          if (input.type === 'boolean') assert.equal(typeof input.defaultValue, 'boolean', `${at}: a boolean input's default is a JSON boolean`);
        }
      });

      it('uses JSON booleans, never the strings "true"/"false"', () => {
        assert.deepEqual(stringBooleans(task, 'task'), []);
      });

      it('visibleRules name known inputs and values, with known operators, never mixing && and ||', () => {
        const problems = task.inputs.flatMap((i) => (i.visibleRule ? visibleRuleProblems(i.visibleRule, task, i.name) : []));
        assert.deepEqual(problems, []);
      });

      it('pick lists offer options or are filled by a data source binding, and default to one of them', () => {
        const bound = new Set((task.dataSourceBindings ?? []).map((b) => b.target));
        for (const input of task.inputs.filter((i) => i.type === 'pickList' || i.type === 'radio')) {
          const options = Object.keys(input.options ?? {});
          if (options.length === 0) {
            assert.ok(bound.has(input.name), `${input.name}: a pick list without options needs a data source binding`);
            assert.equal(input.properties?.EditableOptions, 'True', `${input.name}: a bound pick list must accept typed values`);
          } else if (input.defaultValue !== undefined && input.defaultValue !== '') {
            assert.ok(options.includes(String(input.defaultValue)), `${input.name}: default '${String(input.defaultValue)}' is not an option`);
          } else {
            assert.notEqual(input.required, true, `${input.name}: a required pick list needs a default`);
          }
        }
      });

      it('an Azure Resource Manager connection is the input azureSubscription; other connections are contributed types', () => {
        const endpointTypes = (extensionManifest().contributions ?? [])
          .filter((c) => c.type === ENDPOINT_TYPE_CONTRIBUTION).map((c) => String(c.properties?.name));
        for (const input of task.inputs) {
          const type = /^connectedService:(.+)$/.exec(input.type)?.[1];
          if (!type) continue;
          if (type === 'AzureRM') assert.equal(input.name, 'azureSubscription');
          else assert.ok(endpointTypes.includes(type), `${input.name}: service connection type '${type}' is not contributed by vss-extension.json`);
        }
      });

      it('data source bindings target inputs and use a connection input and existing inputs as parameters', () => {
        for (const binding of task.dataSourceBindings ?? []) {
          const at = `binding for ${binding.target}`;
          const target = inputNamed(task, String(binding.target));
          assert.ok(target, `${at}: no such input`);
          const endpoint = /^\$\(([A-Za-z][A-Za-z0-9]*)\)$/.exec(binding.endpointId ?? '')?.[1];
          assert.ok(endpoint && inputNamed(task, endpoint)?.type.startsWith('connectedService:'), `${at}: endpointId must be $(<connection input>)`);
          assert.ok(binding.dataSourceName || (binding.endpointUrl && binding.resultSelector), `${at}: needs dataSourceName, or endpointUrl and resultSelector`);
          const text = `${binding.endpointUrl ?? ''} ${Object.values(binding.parameters ?? {}).join(' ')}`;
          for (const [, name] of text.matchAll(/\$\(([^)]+)\)/g)) assert.ok(inputNamed(task, name), `${at}: refers to unknown input $(${name})`);
          if (binding.resultTemplate) assert.doesNotThrow(() => JSON.parse(binding.resultTemplate!.replace(/\{\{\{?[^}]+\}?\}\}/g, 'x')), `${at}: resultTemplate`);
        }
      });

      it('aliases are identifiers, unique across every name and alias of the task', () => {
        const all = task.inputs.flatMap((i) => [i.name, ...(i.aliases ?? [])]);
        for (const alias of task.inputs.flatMap((i) => i.aliases ?? [])) assert.match(alias, IDENTIFIER);
        const lower = all.map((n) => n.toLowerCase());
        assert.equal(new Set(lower).size, lower.length, `names and aliases collide: ${all.join(', ')}`);
      });

      it('output variables are declared settable, and the settable list is explicit', () => {
        const allowed = task.restrictions?.settableVariables?.allowed;
        assert.ok(Array.isArray(allowed), 'restrictions.settableVariables.allowed must list what the task sets');
        const outputs = (task.outputVariables ?? []).map((o) => o.name);
        assert.equal(new Set(outputs).size, outputs.length, 'output variable names unique');
        for (const output of task.outputVariables ?? []) {
          assert.match(output.name, IDENTIFIER);
          assert.ok(output.description?.trim(), `output ${output.name}: description`);
          assert.ok(allowed.includes(output.name), `output ${output.name} is not in settableVariables.allowed`);
        }
      });

      it('instanceNameFormat refers only to inputs', () => {
        for (const [, name] of (task.instanceNameFormat ?? '').matchAll(/\$\(([^)]+)\)/g)) assert.ok(inputNamed(task, name), `$(${name})`);
      });

      it('has user-facing messages for tl.loc', () => {
        const messages = Object.entries(task.messages ?? {});
        assert.ok(messages.length > 0, 'messages is empty');
        for (const [key, text] of messages) {
          assert.match(key, /^[A-Za-z][A-Za-z0-9_]*$/, `message key ${key}`);
          assert.ok(typeof text === 'string' && text.trim() !== '', `message ${key} is empty`);
        }
      });

      it('has a PNG icon of at least 32x32', () => {
        const icon = path.join(dir, 'icon.png');
        assert.ok(existsSync(icon), `${folder}/icon.png is missing`);
        const size = pngSize(icon);
        assert.ok(size && size.width >= 32 && size.height >= 32, `${folder}/icon.png: ${JSON.stringify(size)}`);
      });
    });
  }
});
