// ScaleAgentPool@1 entry point: wiring only. The agent's task-lib is the TaskIO; the core does the rest.
import { runScaleTask } from '../../common/src/entry/scale-task';
import { TaskLibIO } from '../../common/src/task-lib-io';
import { taskJsonCandidates } from '../../common/src/task-json';

async function run(): Promise<void> {
  await runScaleTask(new TaskLibIO({ taskJsonCandidates: taskJsonCandidates(__dirname, 'ScaleAgentPoolV1') }));
}

void run();
