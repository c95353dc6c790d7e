// Runs a pipeline task the way the Azure Pipelines agent does: a Node process on the task's bundle
// with inputs as INPUT_*, variables as upper-cased environment names, secret variables as SECRET_*,
// service connections as ENDPOINT_* (only those its connectedService inputs name) and the job token
// as the SystemVssConnection endpoint. It reads the task's `##vso[...]` logging commands from stdout,
// the way the agent does, so tests and the demo see outputs, results, issues and summaries exactly as
// a pipeline would. Never shipped.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface ServiceConnection {
  id: string;
  url: string;
  scheme: string;
  parameters: Record<string, string>;
  data?: Record<string, string>;
}

export interface TaskRun {
  /** Path of the task's entry point (the bundle, or tsc's unbundled output). */
  entry: string;
  inputs: Record<string, string>;
  /** Pipeline variables by their dotted names (System.CollectionUri, Build.BuildId, ...). */
  variables?: Record<string, string>;
  secretVariables?: Record<string, string>;
  endpoints?: ServiceConnection[];
  /** The job's access token (System.AccessToken), handed over as the SystemVssConnection endpoint. */
  systemAccessToken?: string;
  /** Extra process environment (e.g. NODE_EXTRA_CA_CERTS). */
  env?: Record<string, string>;
  /** Send SIGINT after this many milliseconds, as the agent does when a job is cancelled. */
  cancelAfterMs?: number;
  /** Send SIGINT when this aborts (a cancel at a chosen moment). */
  cancelSignal?: AbortSignal;
  /** Called with each line the task prints, secrets masked. */
  onLine?: (line: string) => void;
  /** Kills the task at once (SIGKILL) when aborted: for measurements that need only its start. */
  signal?: AbortSignal;
  /** Called right after the process is spawned, with the time it was spawned (ms since the epoch). */
  onSpawn?: (spawnedAt: number) => void;
}

export interface LoggedIssue {
  type: string;
  message: string;
}

export interface TaskOutcome {
  exitCode: number | null;
  /** From `##vso[task.complete result=...]`; `Succeeded` when the task exits 0 without one. */
  result: string;
  message: string;
  /** Every variable the task set, by name (output variables also as `<name>`; the step prefix is the caller's). */
  variables: Record<string, { value: string; isOutput: boolean; isSecret: boolean }>;
  issues: LoggedIssue[];
  summaries: string[];
  /** The whole log with every secret the task registered (and every secret input) masked. */
  log: string;
  /** Everything the task wrote to stdout and stderr, unmasked, as the agent receives it (for leak checks). */
  rawOutput: string;
  durationMs: number;
}

/** Environment variable name the agent uses for a variable: upper case, dots and spaces to underscores. */
export function variableEnvName(name: string): string {
  return name.replace(/[.\s]/g, '_').toUpperCase();
}

export function endpointEnv(endpoint: ServiceConnection): Record<string, string> {
  const id = endpoint.id;
  const env: Record<string, string> = {
    [`ENDPOINT_URL_${id}`]: endpoint.url,
    [`ENDPOINT_AUTH_${id}`]: JSON.stringify({ scheme: endpoint.scheme, parameters: endpoint.parameters }),
    [`ENDPOINT_AUTH_SCHEME_${id}`]: endpoint.scheme,
  };
  for (const [key, value] of Object.entries(endpoint.parameters)) {
    env[`ENDPOINT_AUTH_PARAMETER_${id}_${key.toUpperCase()}`] = value;
  }
  for (const [key, value] of Object.entries(endpoint.data ?? {})) {
    env[`ENDPOINT_DATA_${id}_${key.toUpperCase()}`] = value;
  }
  return env;
}

interface VsoCommand {
  area: string;
  properties: Record<string, string>;
  data: string;
}

/** Parses one `##vso[area.event k=v;k=v]data` line, unescaping as the agent does. */
export function parseVsoCommand(line: string): VsoCommand | null {
  const match = /##vso\[([^\s\]]+)([^\]]*)\](.*)$/.exec(line);
  if (!match) return null;
  const unescape = (s: string) =>
    s.replace(/%3B/gi, ';').replace(/%0D/gi, '\r').replace(/%0A/gi, '\n').replace(/%5D/gi, ']').replace(/%25/gi, '%');
  const properties: Record<string, string> = {};
  for (const part of match[2].trim().split(';')) {
    if (!part.trim()) continue;
    const eq = part.indexOf('=');
    const key = (eq < 0 ? part : part.slice(0, eq)).trim().toLowerCase();
    properties[key] = eq < 0 ? '' : unescape(part.slice(eq + 1));
  }
  return { area: match[1].toLowerCase(), properties, data: unescape(match[3]) };
}

function maskAll(text: string, secrets: Set<string>): string {
  let out = text;
  for (const secret of secrets) if (secret) out = out.split(secret).join('***');
  return out;
}

interface TaskDefinitionInput {
  name: string;
  type?: string;
  aliases?: string[];
}

/** The task.json of the task an entry point belongs to: beside it (the vsix layout), else in the repository's tasks/<folder>. */
export function taskDefinitionOf(entry: string): { inputs: TaskDefinitionInput[] } | undefined {
  const folder = path.resolve(entry).split(path.sep).find((part) => /V\d+$/.test(part));
  const candidates = [path.join(path.dirname(entry), 'task.json')];
  if (folder) candidates.push(path.join(__dirname, '..', '..', '..', 'tasks', folder, 'task.json'));
  for (const file of candidates) {
    if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as { inputs: TaskDefinitionInput[] };
  }
  return undefined;
}

/**
 * Inputs under their task.json names (the pipeline resolves aliases before the agent sees them), and
 * the service connections the agent hands over: only those named by a connectedService input, plus the
 * system connection (the agent's TaskRunner does the same). Without a definition, everything given.
 */
export function agentView(definition: { inputs: TaskDefinitionInput[] } | undefined, inputs: Record<string, string>, endpoints: ServiceConnection[]): { inputs: Record<string, string>; endpoints: ServiceConnection[] } {
  if (!definition) return { inputs, endpoints };
  const byName = new Map<string, TaskDefinitionInput>();
  for (const input of definition.inputs) for (const name of [input.name, ...(input.aliases ?? [])]) byName.set(name.toLowerCase(), input);
  const named: Record<string, string> = {};
  for (const [key, value] of Object.entries(inputs)) named[byName.get(key.toLowerCase())?.name ?? key] = value;
  const referenced = new Set<string>();
  for (const input of definition.inputs) {
    if (!input.type?.toLowerCase().startsWith('connectedservice:')) continue;
    for (const id of (named[input.name] ?? '').split(',')) if (id.trim()) referenced.add(id.trim().toLowerCase());
  }
  return { inputs: named, endpoints: endpoints.filter((endpoint) => referenced.has(endpoint.id.toLowerCase())) };
}

export async function runTask(run: TaskRun): Promise<TaskOutcome> {
  const started = Date.now();
  const tempDir = mkdtempSync(path.join(os.tmpdir(), 'agent-temp-'));
  const secrets = new Set<string>();
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? tempDir,
    AGENT_TEMPDIRECTORY: tempDir,
    AGENT_WORKFOLDER: tempDir,
    AGENT_VERSION: '4.260.0',
    AGENT_NAME: 'Hosted Agent',
    AGENT_OS: 'Linux',
    SYSTEM_HOSTTYPE: 'build',
    SYSTEM_SERVERTYPE: 'Hosted',
    ...run.env,
  };
  for (const [name, value] of Object.entries(run.variables ?? {})) env[variableEnvName(name)] = value;
  for (const [name, value] of Object.entries(run.secretVariables ?? {})) {
    env[`SECRET_${variableEnvName(name)}`] = value;
    secrets.add(value);
  }
  env.VSTS_PUBLIC_VARIABLES = JSON.stringify(Object.keys(run.variables ?? {}));
  env.VSTS_SECRET_VARIABLES = JSON.stringify(Object.keys(run.secretVariables ?? {}));
  const given = agentView(taskDefinitionOf(run.entry), run.inputs, run.endpoints ?? []);
  for (const [name, value] of Object.entries(given.inputs)) env[`INPUT_${variableEnvName(name)}`] = value;
  const endpoints = [...given.endpoints];
  if (run.systemAccessToken) {
    const collectionUri = run.variables?.['System.CollectionUri'] ?? '';
    endpoints.push({ id: 'SYSTEMVSSCONNECTION', url: collectionUri, scheme: 'OAuth', parameters: { AccessToken: run.systemAccessToken } });
    secrets.add(run.systemAccessToken);
  }
  for (const endpoint of endpoints) {
    Object.assign(env, endpointEnv(endpoint));
    for (const value of Object.values(endpoint.parameters)) if (value.length >= 8) secrets.add(value);
  }

  const outcome: TaskOutcome = { exitCode: null, result: '', message: '', variables: {}, issues: [], summaries: [], log: '', rawOutput: '', durationMs: 0 };
  const spawnedAt = Date.now();
  const child = spawn(process.execPath, [run.entry], { env, cwd: tempDir, stdio: ['ignore', 'pipe', 'pipe'] });
  run.onSpawn?.(spawnedAt);
  const kill = () => child.kill('SIGKILL');
  if (run.signal?.aborted) kill();
  run.signal?.addEventListener('abort', kill, { once: true });
  const cancelTimer = run.cancelAfterMs !== undefined ? setTimeout(() => child.kill('SIGINT'), run.cancelAfterMs) : undefined;
  const cancel = () => child.kill('SIGINT');
  run.cancelSignal?.addEventListener('abort', cancel, { once: true });

  const onLine = (raw: string) => {
    outcome.rawOutput += raw + '\n';
    const command = parseVsoCommand(raw);
    if (command) {
      const { area, properties, data } = command;
      if (area === 'task.setsecret') secrets.add(data);
      if (area === 'task.setvariable') {
        const isSecret = properties.issecret === 'true';
        if (isSecret) secrets.add(data);
        outcome.variables[properties.variable] = { value: data, isOutput: properties.isoutput === 'true', isSecret };
      }
      if (area === 'task.complete') {
        outcome.result = properties.result ?? '';
        outcome.message = data;
      }
      if (area === 'task.logissue') outcome.issues.push({ type: properties.type ?? '', message: data });
      if (area === 'task.uploadsummary') {
        try {
          outcome.summaries.push(readFileSync(data, 'utf8'));
        } catch {
          outcome.issues.push({ type: 'agent', message: `summary file not found: ${data}` });
        }
      }
    }
    const masked = maskAll(raw, secrets);
    outcome.log += masked + '\n';
    run.onLine?.(masked);
  };
  const pump = (stream: NodeJS.ReadableStream) => {
    let pending = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      pending += chunk;
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        onLine(pending.slice(0, nl).replace(/\r$/, ''));
        pending = pending.slice(nl + 1);
      }
    });
    return new Promise<void>((resolve) =>
      stream.on('end', () => {
        if (pending) onLine(pending);
        resolve();
      }),
    );
  };
  const done = Promise.all([pump(child.stdout), pump(child.stderr)]);
  outcome.exitCode = await new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  await done;
  if (cancelTimer) clearTimeout(cancelTimer);
  run.signal?.removeEventListener('abort', kill);
  run.cancelSignal?.removeEventListener('abort', cancel);
  if (!outcome.result) outcome.result = outcome.exitCode === 0 ? 'Succeeded' : 'Failed';
  outcome.durationMs = Date.now() - started;
  rmSync(tempDir, { recursive: true, force: true });
  return outcome;
}
