// The life of a container group's containers: pull (the configured start delay), start as local
// processes through the container runner, exit, restart per restartPolicy, and stop. Also the
// asynchronous operations ARM reports through Azure-AsyncOperation.
import { randomUUID } from 'node:crypto';
import type { ContainerHandle, EmulatorContext } from '../context';
import { startDelayMs } from '../containers';
import type { ContainerEvent, ContainerGroupRecord, ContainerRecord } from '../store';
import { isObject } from './validation';

type Json = Record<string, unknown>;

export type OperationStatus = 'InProgress' | 'Succeeded' | 'Failed';

export interface AsyncOperation {
  id: string;
  status: OperationStatus;
  startTime: string;
  endTime?: string;
  error?: { code: string; message: string };
}

/** Restart back-off for restartPolicy Always/OnFailure: doubles from 1 s, capped at 30 s. */
function restartDelayMs(restartCount: number): number {
  return Math.min(30_000, 1000 * 2 ** Math.min(restartCount, 5));
}

function addEvent(record: ContainerRecord, name: string, message: string, type: 'Normal' | 'Warning' = 'Normal'): void {
  const now = new Date().toISOString();
  const existing = record.events.find((e) => e.name === name && e.message === message);
  if (existing) {
    existing.count += 1;
    existing.lastTimestamp = now;
    return;
  }
  const event: ContainerEvent = { count: 1, firstTimestamp: now, lastTimestamp: now, name, message, type };
  record.events.push(event);
}

/** The container's environment as the process sees it: plain and secure values alike. */
function environmentOf(container: Json): Record<string, string> {
  const env: Record<string, string> = {};
  const props = container.properties as Json;
  for (const variable of (props.environmentVariables as Json[] | undefined) ?? []) {
    const value = variable.secureValue ?? variable.value ?? '';
    env[String(variable.name)] = String(value);
  }
  return env;
}

export function newContainerRecords(containers: Json[]): ContainerRecord[] {
  return containers.map((c) => ({ name: String(c.name), state: 'Waiting', restartCount: 0, events: [], log: '' }));
}

export class ContainerGroupRuntime {
  private readonly handles = new Map<ContainerRecord, ContainerHandle>();
  private readonly operations = new Map<string, AsyncOperation>();
  private readonly timers = new Set<NodeJS.Timeout>();

  operation(id: string): AsyncOperation | undefined {
    return this.operations.get(id);
  }

  newOperation(): AsyncOperation {
    const op: AsyncOperation = { id: randomUUID(), status: 'InProgress', startTime: new Date().toISOString() };
    this.operations.set(op.id, op);
    return op;
  }

  private finish(op: AsyncOperation, status: OperationStatus, error?: AsyncOperation['error']): void {
    op.status = status;
    op.endTime = new Date().toISOString();
    if (error) op.error = error;
  }

  private later(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
  }

  /** True while `records` are still the group's current containers in the current store. */
  private current(ctx: EmulatorContext, group: ContainerGroupRecord, records: ContainerRecord[]): boolean {
    return ctx.store.containerGroups.includes(group) && group.containers === records && !group.stopped;
  }

  /**
   * Pulls and starts every container of the group (its `containers` records, fresh): Pending until
   * all run, then Succeeded; Failed when a container cannot be started.
   */
  provision(ctx: EmulatorContext, group: ContainerGroupRecord, op: AsyncOperation): void {
    const records = group.containers;
    const specs = group.properties.containers as Json[];
    group.provisioningState = 'Pending';
    records.forEach((record, i) => addEvent(record, 'Pulling', `pulling image "${String((specs[i].properties as Json).image)}"`));
    this.later(startDelayMs(ctx, specs.map(environmentOf)), () => {
      if (!this.current(ctx, group, records)) {
        this.finish(op, 'Failed', { code: 'Canceled', message: 'The operation was superseded by a later request.' });
        return;
      }
      try {
        records.forEach((record, i) => {
          addEvent(record, 'Pulled', `Successfully pulled image "${String((specs[i].properties as Json).image)}"`);
          this.startContainer(ctx, group, record, specs[i]);
        });
        group.provisioningState = 'Succeeded';
        this.finish(op, 'Succeeded');
      } catch (error) {
        ctx.log(`container group ${group.name}: start failed: ${(error as Error).message}`);
        group.provisioningState = 'Failed';
        this.finish(op, 'Failed', { code: 'ContainerGroupDeploymentFailed', message: `Failed to start container group '${group.name}'.` });
      }
    });
  }

  private startContainer(ctx: EmulatorContext, group: ContainerGroupRecord, record: ContainerRecord, spec: Json): void {
    const props = spec.properties as Json;
    const command = Array.isArray(props.command) && props.command.length > 0 ? (props.command as string[]) : undefined;
    const handle = ctx.containers.start({
      label: `aci:${group.name}/${record.name}`,
      image: String(props.image),
      env: environmentOf(spec),
      command,
      record,
      onExit: (exitCode) => this.onExit(ctx, group, record, spec, exitCode),
    });
    this.handles.set(record, handle);
    record.pid = handle.pid;
    record.state = 'Running';
    record.startTime = new Date().toISOString();
    record.exitCode = undefined;
    record.finishTime = undefined;
    addEvent(record, 'Started', 'Started container');
  }

  private onExit(ctx: EmulatorContext, group: ContainerGroupRecord, record: ContainerRecord, spec: Json, exitCode: number): void {
    this.handles.delete(record);
    record.state = 'Terminated';
    record.exitCode = exitCode;
    record.finishTime = new Date().toISOString();
    record.pid = undefined;
    const policy = String(group.properties.restartPolicy ?? 'Never');
    const restart = policy === 'Always' || (policy === 'OnFailure' && exitCode !== 0);
    if (!restart || !this.current(ctx, group, group.containers) || !group.containers.includes(record)) return;
    const records = group.containers;
    this.later(restartDelayMs(record.restartCount), () => {
      if (!this.current(ctx, group, records) || record.state !== 'Terminated') return;
      record.restartCount += 1;
      try {
        this.startContainer(ctx, group, record, spec);
      } catch (error) {
        ctx.log(`container group ${group.name}: restart failed: ${(error as Error).message}`);
      }
    });
  }

  /** Stops the group's running containers (Killing events); resolves when their processes are gone. */
  async stopContainers(group: ContainerGroupRecord): Promise<void> {
    const stops: Promise<void>[] = [];
    for (const record of group.containers) {
      const handle = this.handles.get(record);
      if (!handle) continue;
      addEvent(record, 'Killing', `Killing container with id ${record.name}.`);
      stops.push(handle.stop());
    }
    await Promise.all(stops);
  }

  hasRunningContainers(group: ContainerGroupRecord): boolean {
    return group.containers.some((record) => this.handles.has(record));
  }

  /** Runs `work`, recording its outcome in a new operation. */
  track(work: () => Promise<void>): AsyncOperation {
    const op = this.newOperation();
    work().then(
      () => this.finish(op, 'Succeeded'),
      (error: unknown) => this.finish(op, 'Failed', { code: 'InternalServerError', message: (error as Error).message }),
    );
    return op;
  }

  /** Forgets operations and pending timers (containers are stopped by the runner's stopAll). */
  reset(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.handles.clear();
    this.operations.clear();
  }
}

/** Fills the read-only ids of a managed identity, as ARM does when it creates the identities. */
export function materializeIdentity(identity: Json | undefined, tenantId: string, previous?: Json): Json | undefined {
  if (!identity) return undefined;
  const type = String(identity.type ?? 'None');
  const out: Json = { type };
  if (type.includes('SystemAssigned')) {
    out.principalId = previous?.principalId ?? randomUUID();
    out.tenantId = tenantId;
  }
  if (type.includes('UserAssigned') && isObject(identity.userAssignedIdentities)) {
    const old = isObject(previous?.userAssignedIdentities) ? previous.userAssignedIdentities : {};
    out.userAssignedIdentities = Object.fromEntries(
      Object.keys(identity.userAssignedIdentities).map((id) => [
        id,
        isObject(old[id]) ? old[id] : { principalId: randomUUID(), clientId: randomUUID() },
      ]),
    );
  }
  return out;
}
