// Entry point of the fake Azure Pipelines agent behind config.sh and run.sh (emulator only):
// `agent.js configure|run <agent directory> [options]`.
import { configure } from './configure';
import { listen } from './listener';

async function main(): Promise<number> {
  const [command, agentDir, ...args] = process.argv.slice(2);
  if (!agentDir) {
    console.error('usage: agent.js configure|run <agent directory> [options]');
    return 2;
  }
  switch (command) {
    case 'configure':
      await configure(args, agentDir);
      return 0;
    case 'run':
      return listen(args, agentDir);
    default:
      console.error('usage: agent.js configure|run <agent directory> [options]');
      return 2;
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(`error: ${(err as Error).message}`);
    process.exitCode = 1;
  },
);
