// Renders a task's form as the classic editor lays it out: inputs without a group first, then each
// group in the order of `groups`, inputs in the order of `inputs`; an input shows when its own
// visibleRule and its group's hold for the current values (hidden inputs keep their values).
import type { TaskInput, TaskJson } from './manifests';
import { parseVisibleRule, type VisibleRuleClause } from './visible-rule';

export type FormValues = Record<string, string>;

export interface FormField {
  input: TaskInput;
  /** Whether the field sits in a collapsed group (shown only after the user expands it). */
  collapsed: boolean;
}

function compare(clause: VisibleRuleClause, actual: string): boolean {
  const left = actual.toLowerCase();
  const right = clause.value.toLowerCase();
  switch (clause.operator) {
    case '=': case '==': return left === right;
    case '!=': return left !== right;
    case 'Contains': return left.includes(right);
    case 'NotContains': return !left.includes(right);
    case 'StartsWith': return left.startsWith(right);
    case 'NotStartsWith': return !left.startsWith(right);
    case 'EndsWith': return left.endsWith(right);
    case 'NotEndsWith': return !left.endsWith(right);
    case '<': return Number(actual) < Number(clause.value);
    case '>': return Number(actual) > Number(clause.value);
    case '<=': return Number(actual) <= Number(clause.value);
    case '>=': return Number(actual) >= Number(clause.value);
    default: throw new Error(`unknown visibleRule operator '${clause.operator}'`);
  }
}

/** Whether `rule` holds for `values`: clauses joined by && all hold, by || one holds. */
export function ruleHolds(rule: string | undefined, values: FormValues): boolean {
  if (!rule) return true;
  const { joiner, clauses } = parseVisibleRule(rule);
  const results = clauses.map((c) => compare(c, values[c.input] ?? ''));
  return joiner === '||' ? results.some(Boolean) : results.every(Boolean);
}

/** Inputs a rule refers to. */
export function ruleInputs(rule: string | undefined): string[] {
  return rule ? parseVisibleRule(rule).clauses.map((c) => c.input) : [];
}

/** The value each input starts with: its default (booleans as 'true'/'false'). */
export function defaultValues(task: TaskJson): FormValues {
  return Object.fromEntries(task.inputs.map((i) => [i.name, String(i.defaultValue ?? '')]));
}

/** The inputs in the order the editor lays them out, visible or not. */
export function layout(task: TaskJson): TaskInput[] {
  const groups = task.groups ?? [];
  const ungrouped = task.inputs.filter((i) => !i.groupName || !groups.some((g) => g.name === i.groupName));
  return [...ungrouped, ...groups.flatMap((g) => task.inputs.filter((i) => i.groupName === g.name))];
}

/** The fields a form shows for `values`, in order. */
export function renderForm(task: TaskJson, values: FormValues): FormField[] {
  const groups = new Map((task.groups ?? []).map((g) => [g.name, g]));
  return layout(task)
    .filter((input) => {
      const group = input.groupName ? groups.get(input.groupName) : undefined;
      return ruleHolds(group?.visibleRule, values) && ruleHolds(input.visibleRule, values);
    })
    .map((input) => ({ input, collapsed: input.groupName ? groups.get(input.groupName)?.isExpanded === false : false }));
}

/** The choices of a pick list, radio or boolean input. */
export function choicesOf(input: TaskInput): string[] {
  if (input.type === 'boolean') return ['true', 'false'];
  return Object.keys(input.options ?? {});
}

/**
 * Every combination of the choices that decide what the form shows (the pick lists and booleans
 * that a visibleRule of an input or a group refers to), each applied over the defaults.
 */
export function choiceCombinations(task: TaskJson): FormValues[] {
  const rules = [...task.inputs.map((i) => i.visibleRule), ...(task.groups ?? []).map((g) => g.visibleRule)];
  const deciding = [...new Set(rules.flatMap(ruleInputs))]
    .map((name) => task.inputs.find((i) => i.name === name))
    .filter((i): i is TaskInput => i !== undefined && choicesOf(i).length > 0);
  let combinations: FormValues[] = [defaultValues(task)];
  for (const input of deciding) {
    combinations = combinations.flatMap((values) => choicesOf(input).map((choice) => ({ ...values, [input.name]: choice })));
  }
  return combinations;
}

/** The inputs a field needs before it: those its rules refer to and those its picker's data source uses. */
export function prerequisites(task: TaskJson, input: TaskInput): string[] {
  const group = (task.groups ?? []).find((g) => g.name === input.groupName);
  const fromRules = [...ruleInputs(input.visibleRule), ...ruleInputs(group?.visibleRule)];
  const fromBindings = (task.dataSourceBindings ?? []).filter((b) => b.target === input.name).flatMap((b) => {
    const text = [b.endpointId ?? '', b.endpointUrl ?? '', ...Object.values(b.parameters ?? {})].join(' ');
    return [...text.matchAll(/\$\(([A-Za-z][A-Za-z0-9]*)\)/g)].map((m) => m[1]);
  });
  return [...new Set([...fromRules, ...fromBindings])].filter((name) => name !== input.name);
}
