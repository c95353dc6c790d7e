// ReleaseEphemeralAgent@1 entry point: wiring only. The agent's task-lib is the TaskIO; the core does the rest.
import { runReleaseTask } from '../../common/src/entry/release-task';
import { TaskLibIO } from '../../common/src/task-lib-io';
import { taskJsonCandidates } from '../../common/src/task-json';

async function run(): Promise<void> {
  await runReleaseTask(new TaskLibIO({ taskJsonCandidates: taskJsonCandidates(__dirname, 'ReleaseEphemeralAgentV1') }));
}

void run();
