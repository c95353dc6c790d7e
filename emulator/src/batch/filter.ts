// The subset of OData `$filter` the list operations accept here: `<property> eq '<value>'` clauses
// joined by `and` or `or` (no parentheses), over top-level string properties of the wire object.
import { BatchHttpError } from './errors';

type Predicate = (item: Record<string, unknown>) => boolean;

function invalidFilter(filter: string): BatchHttpError {
  return new BatchHttpError(400, 'InvalidQueryParameterValue', 'Value for one of the query parameters specified in the request URI is invalid.', [
    { key: 'QueryParameterName', value: '$filter' },
    { key: 'QueryParameterValue', value: filter },
    { key: 'Reason', value: 'The emulator supports only clauses of the form property eq \'value\' joined by and/or.' },
  ]);
}

function clause(text: string, filter: string): Predicate {
  const match = /^\s*([A-Za-z][A-Za-z0-9]*)\s+(eq|ne)\s+'((?:[^']|'')*)'\s*$/.exec(text);
  if (!match) throw invalidFilter(filter);
  const [, property, op, raw] = match;
  const value = raw.replace(/''/g, "'").toLowerCase();
  return (item) => {
    const actual = String(item[property] ?? '').toLowerCase();
    return op === 'eq' ? actual === value : actual !== value;
  };
}

export function parseFilter(filter: string | null): Predicate {
  if (!filter || !filter.trim()) return () => true;
  const alternatives = filter.split(/\s+or\s+/i).map((alt) => alt.split(/\s+and\s+/i).map((c) => clause(c, filter)));
  return (item) => alternatives.some((all) => all.every((p) => p(item)));
}
