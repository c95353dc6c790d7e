// RequestEphemeralAgent@1 entry point: wiring only. The agent's task-lib is the TaskIO; the core does the rest.
import { runRequestTask } from '../../common/src/entry/request-task';
import { TaskLibIO } from '../../common/src/task-lib-io';
import { taskJsonCandidates } from '../../common/src/task-json';

async function run(): Promise<void> {
  await runRequestTask(new TaskLibIO({ taskJsonCandidates: taskJsonCandidates(__dirname, 'RequestEphemeralAgentV1') }));
}

void run();
