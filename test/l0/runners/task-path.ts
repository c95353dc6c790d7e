// The unbundled tsc output of each task, as the L0 runners load it.
import * as path from 'node:path';

export function taskEntry(task: string): string {
  return path.resolve(__dirname, '..', '..', '..', 'tasks', task, 'src', 'index.js');
}
