// ScaleAgentPool end to end over any TaskIO: inputs -> params -> adapters -> use case -> outputs.
import { randomBytes } from 'node:crypto';
import { organizationUrlOf, TaskContext } from '../composition';
import { createRegistrationTokenSource } from '../devops/token-source';
import { readScaleParams } from '../params/scale-params';
import { scalePool } from '../scaler/scale-pool';
import { scaleSummary } from '../scaler/scale-summary';
import type { TaskIO } from '../task-io';

export async function runScaleTask(io: TaskIO): Promise<void> {
  const context = new TaskContext(io);
  await context.run(async () => {
    const params = readScaleParams(io);
    const credential = context.credential(params.connection, params.pipeline);
    const mint = createRegistrationTokenSource(params.registration,
      params.registration.mode === 'azureServiceConnection' ? context.freshCredential(params.registration.connection, params.pipeline) : undefined,
      (token) => context.secret(token), { clock: context.clock, warn: (message) => io.warning(message) });
    const provider = context.provider(params.provider, params.connection, credential);
    const outcome = await scalePool({
      agentPool: params.agentPool,
      namePrefix: params.namePrefix,
      mode: params.mode,
      desiredCount: params.desiredCount,
      queue: params.queue,
      durationMinutes: params.durationMinutes,
      intervalSeconds: params.intervalSeconds,
      sweep: params.sweep,
      image: params.image,
      osType: params.osType,
      cpu: params.cpu,
      memoryGB: params.memoryGB,
      capabilities: params.capabilities,
      tags: params.tags,
      organizationUrl: organizationUrlOf(params.registration, params.pipeline),
      project: params.pipeline.projectId ?? '',
      runId: params.pipeline.runId,
      // Unique per run of the task: two runs at once tell their creates apart by it.
      owner: `${params.pipeline.runId}-${randomBytes(3).toString('hex')}`,
    }, {
      provider,
      devops: context.devopsClient(params.devops, params.pipeline, credential),
      registrationSecret: mint,
      autoscaler: params.autoscale ? context.poolAutoscaler(params.provider, params.autoscale.formula, params.connection, credential) : undefined,
      log: io,
      clock: context.clock,
      signal: context.signals.cancel,
      loc: (key, fallback, ...args) => io.loc(key, fallback, ...args),
    });
    io.setVariable('provisioned', String(outcome.provisioned), { output: true });
    io.setVariable('removed', String(outcome.removed), { output: true });
    io.setVariable('desired', String(outcome.desired), { output: true });
    io.addSummary(io.loc('SummaryTitle', 'Pool scaling'), scaleSummary(outcome, params.mode));
    const message = `Pool '${outcome.pool}': ${outcome.provisioned} agent(s) created, ${outcome.removed} removed, target ${outcome.desired} after ${outcome.passes} pass(es).`;
    io.setResult(outcome.issues.length > 0 ? 'SucceededWithIssues' : 'Succeeded', outcome.issues.length > 0 ? `${message} ${outcome.issues.length} issue(s): ${outcome.issues[0]}` : message);
  });
}
