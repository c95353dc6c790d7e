// WaitForAgent@1 entry point: wiring only. The agent's task-lib is the TaskIO; the core does the rest.
import { runWaitTask } from '../../common/src/entry/wait-task';
import { TaskLibIO } from '../../common/src/task-lib-io';
import { taskJsonCandidates } from '../../common/src/task-json';

async function run(): Promise<void> {
  await runWaitTask(new TaskLibIO({ taskJsonCandidates: taskJsonCandidates(__dirname, 'WaitForAgentV1') }));
}

void run();
