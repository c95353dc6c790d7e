// Turns a pool's task-count history into the 30-second samples autoscale formulas read. The Batch
// service records $ActiveTasks and $RunningTasks every 30 s ($PendingTasks is their sum); the
// emulator keeps only the moments the counts changed and samples that step function on demand.
import { FormulaSamples, Sample, SAMPLE_PERIOD_MS } from './formula';

/** From `time` on (epoch ms), the pool's jobs had this many active and running tasks. */
export interface TaskCountChange {
  time: number;
  active: number;
  running: number;
}

/**
 * Samples at now, now - 30 s, ... back to `since` (the pool's creation or when recording began),
 * at most `maxSamples` of them (the newest). Counts before the first change are 0.
 */
export function sampleTaskCounts(history: readonly TaskCountChange[], since: number, now: number, maxSamples = 2 * 24 * 60 * 7): FormulaSamples {
  const changes = [...history].sort((a, b) => a.time - b.time);
  const pendingTasks: Sample[] = [];
  const activeTasks: Sample[] = [];
  const runningTasks: Sample[] = [];
  const times: number[] = [];
  for (let t = now; t >= since && times.length < maxSamples; t -= SAMPLE_PERIOD_MS) times.push(t);
  times.reverse();
  let next = 0;
  let current = { active: 0, running: 0 };
  for (const time of times) {
    while (next < changes.length && changes[next].time <= time) current = changes[next++];
    activeTasks.push({ time, value: current.active });
    runningTasks.push({ time, value: current.running });
    pendingTasks.push({ time, value: current.active + current.running });
  }
  return { pendingTasks, activeTasks, runningTasks };
}
