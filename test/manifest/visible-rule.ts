// Parses a task.json visibleRule the way the task editor reads it: clauses `input op value` joined
// by `&&` or by `||`, never both (the editor has no precedence or parentheses).
export const VISIBLE_RULE_OPERATORS = [
  '==', '!=', '<=', '>=', '=', '<', '>',
  'NotContains', 'NotStartsWith', 'NotEndsWith', 'Contains', 'StartsWith', 'EndsWith',
] as const;

export interface VisibleRuleClause {
  input: string;
  operator: string;
  value: string;
}

export interface VisibleRule {
  joiner: '&&' | '||' | undefined;
  clauses: VisibleRuleClause[];
}

const WORD_OPERATORS = VISIBLE_RULE_OPERATORS.filter((op) => /^[A-Za-z]/.test(op));
const SYMBOL_OPERATORS = VISIBLE_RULE_OPERATORS.filter((op) => !/^[A-Za-z]/.test(op));
const CLAUSE = new RegExp(
  `^\\s*([A-Za-z][A-Za-z0-9]*)\\s*(?:(${SYMBOL_OPERATORS.map((op) => op.replace(/[<>=!]/g, '\\$&')).join('|')})|\\s(${WORD_OPERATORS.join('|')})\\s)\\s*(\\S.*?)\\s*$`,
);

/** Throws an Error saying what is wrong with `rule`. */
export function parseVisibleRule(rule: string): VisibleRule {
  const hasAnd = rule.includes('&&');
  const hasOr = rule.includes('||');
  if (hasAnd && hasOr) throw new Error(`visibleRule '${rule}' mixes && and ||, which the task editor cannot evaluate`);
  const joiner = hasAnd ? '&&' : hasOr ? '||' : undefined;
  const clauses = (joiner ? rule.split(joiner) : [rule]).map((text) => {
    const match = CLAUSE.exec(text);
    if (!match) throw new Error(`visibleRule '${rule}': clause '${text.trim()}' is not 'input operator value'`);
    return { input: match[1], operator: match[2] ?? match[3], value: match[4] };
  });
  return { joiner, clauses };
}
