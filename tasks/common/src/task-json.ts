// Where a task's task.json is: next to the bundle (packaged task), or in the task folder when the
// unbundled tsc output runs from build/tasks/<Task>/src (L0 tests, local runs).
import * as path from 'node:path';

export function taskJsonCandidates(dirname: string, taskFolder: string): string[] {
  return [
    path.join(dirname, 'task.json'),
    path.join(dirname, '..', 'task.json'),
    path.resolve(dirname, '..', '..', '..', '..', 'tasks', taskFolder, 'task.json'),
  ];
}
