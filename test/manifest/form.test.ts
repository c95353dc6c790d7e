// The classic editor's form of every task, rendered for each choice of provider, mode and
// authentication: every field comes after the fields that reveal it or that its picker depends on,
// no pick list starts blank, and a first run needs nothing from a collapsed group.
import assert from 'node:assert/strict';
import { choiceCombinations, choicesOf, defaultValues, type FormValues, prerequisites, renderForm, ruleHolds } from './form';
import { taskFolders } from './manifests';

const folders = taskFolders();

function describeValues(values: FormValues, deciding: string[]): string {
  return deciding.map((name) => `${name}=${values[name]}`).join(', ');
}

describe('task forms in the classic editor', () => {
  describe('the renderer', () => {
    it('evaluates visibleRules with && and || as the editor does, case-insensitively', () => {
      assert.equal(ruleHolds('provider = batch && batchAuthentication = sharedKey', { provider: 'batch', batchAuthentication: 'sharedKey' }), true);
      assert.equal(ruleHolds('provider = batch && batchAuthentication = sharedKey', { provider: 'batch', batchAuthentication: 'azureServiceConnection' }), false);
      assert.equal(ruleHolds('registration = pat || devopsAuthentication = pat', { registration: 'auto', devopsAuthentication: 'pat' }), true);
      assert.equal(ruleHolds('registration = pat || devopsAuthentication = pat', { registration: 'auto', devopsAuthentication: 'auto' }), false);
      assert.equal(ruleHolds('provider != aci', { provider: 'ACI' }), false);
      assert.equal(ruleHolds('provider == Batch', { provider: 'batch' }), true);
      assert.equal(ruleHolds(undefined, {}), true);
    });

    it('lays out ungrouped inputs first, then groups in their order, and hides a group whose rule fails', () => {
      const task = {
        id: 'x', name: 'T', friendlyName: 'T', version: { Major: 1, Minor: 0, Patch: 0 },
        groups: [{ name: 'b', isExpanded: true }, { name: 'a', isExpanded: false, visibleRule: 'kind = two' }],
        inputs: [
          { name: 'inA', type: 'string', groupName: 'a' },
          { name: 'kind', type: 'pickList', groupName: 'b', options: { one: '1', two: '2' }, defaultValue: 'one' },
          { name: 'free', type: 'string' },
        ],
      };
      assert.deepEqual(renderForm(task, defaultValues(task)).map((f) => f.input.name), ['free', 'kind']);
      const two = renderForm(task, { ...defaultValues(task), kind: 'two' });
      assert.deepEqual(two.map((f) => [f.input.name, f.collapsed]), [['free', false], ['kind', false], ['inA', true]]);
      assert.equal(choiceCombinations(task).length, 2);
    });
  });

  for (const { folder, task } of folders) {
    describe(folder, () => {
      const combinations = choiceCombinations(task);
      const deciding = Object.keys(combinations[0]).filter((name) => new Set(combinations.map((c) => c[name])).size > 1);

      it('renders every choice of provider, mode and authentication', () => {
        if (task.inputs.some((i) => i.name === 'provider')) assert.ok(deciding.includes('provider'), 'provider decides what the form shows');
        assert.ok(combinations.length >= 2);
      });

      it('shows every field after the fields that reveal it and those its picker depends on', () => {
        const problems = new Set<string>();
        for (const values of combinations) {
          const form = renderForm(task, values);
          const position = new Map(form.map((f, i) => [f.input.name, i]));
          form.forEach((field, at) => {
            for (const needed of prerequisites(task, field.input)) {
              const where = position.get(needed);
              if (where === undefined) problems.add(`${field.input.name} shows without ${needed} (${describeValues(values, deciding)})`);
              else if (where > at) problems.add(`${field.input.name} shows before ${needed}, which it depends on (${describeValues(values, deciding)})`);
            }
          });
        }
        assert.deepEqual([...problems], []);
      });

      it('offers no blank choice: every pick list starts on one of its options', () => {
        for (const input of task.inputs.filter((i) => (i.type === 'pickList' || i.type === 'radio') && choicesOf(i).length > 0)) {
          assert.ok(choicesOf(input).includes(String(input.defaultValue ?? '')),
            `${input.name}: default '${String(input.defaultValue ?? '')}' is not one of ${choicesOf(input).join(', ')}`);
        }
      });

      it('needs nothing from a collapsed group for a first run, whatever the choices', () => {
        for (const values of combinations) {
          const hidden = renderForm(task, values).filter((f) => f.collapsed && f.input.required === true && String(f.input.defaultValue ?? '') === '');
          assert.deepEqual(hidden.map((f) => f.input.name), [], describeValues(values, deciding));
        }
      });

      it('keeps the default form short: advanced settings start collapsed', () => {
        const open = renderForm(task, defaultValues(task)).filter((f) => !f.collapsed);
        assert.ok(open.length <= 20, `${open.length} fields open by default: ${open.map((f) => f.input.name).join(', ')}`);
      });
    });
  }
});
