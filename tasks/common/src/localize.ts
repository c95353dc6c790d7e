// How the core words a user-facing line: the task.json message `key`, or `fallback` (util.format style)
// when the caller gave no localizer (unit tests, tools that run the core without a task).
import { format } from 'node:util';

export type Localize = (key: string, fallback: string, ...args: unknown[]) => string;

export const formatFallback: Localize = (_key, fallback, ...args) => format(fallback, ...args);
