// Loads the extension's manifests for the manifest tests: every tasks/<Folder>/task.json and
// vss-extension.json, plus the packaging scripts (ES modules, imported at run time).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/** The repository root (this file runs from build/test/manifest/). */
export const root = path.resolve(__dirname, '..', '..', '..');

export interface TaskInput {
  name: string;
  type: string;
  label?: string;
  defaultValue?: unknown;
  required?: unknown;
  helpMarkDown?: string;
  groupName?: string;
  visibleRule?: string;
  options?: Record<string, string>;
  properties?: Record<string, unknown>;
  aliases?: string[];
}

export interface TaskGroup {
  name: string;
  displayName?: string;
  isExpanded?: unknown;
  visibleRule?: string;
}

export interface DataSourceBinding {
  target?: string;
  endpointId?: string;
  dataSourceName?: string;
  endpointUrl?: string;
  resultSelector?: string;
  resultTemplate?: string;
  parameters?: Record<string, string>;
}

export interface TaskJson {
  $schema?: string;
  id: string;
  name: string;
  friendlyName: string;
  description?: string;
  helpMarkDown?: string;
  category?: string;
  author?: string;
  version: { Major: unknown; Minor: unknown; Patch: unknown };
  minimumAgentVersion?: string;
  instanceNameFormat?: string;
  groups?: TaskGroup[];
  inputs: TaskInput[];
  dataSourceBindings?: DataSourceBinding[];
  outputVariables?: Array<{ name: string; description?: string }>;
  restrictions?: { settableVariables?: { allowed?: string[] } };
  execution?: Record<string, { target?: string }>;
  messages?: Record<string, unknown>;
}

export interface TaskFolder {
  folder: string;
  dir: string;
  task: TaskJson;
}

export interface Contribution {
  id: string;
  type: string;
  description?: string;
  targets?: string[];
  properties?: Record<string, unknown> & { name?: string };
}

export interface ExtensionManifest {
  manifestVersion: number;
  id: string;
  publisher: string;
  version: string;
  name: string;
  description: string;
  public?: boolean;
  categories?: string[];
  targets?: Array<{ id: string }>;
  icons?: { default?: string };
  content?: Record<string, { path: string }>;
  links?: Record<string, { uri: string }>;
  files?: Array<{ path: string; addressable?: boolean }>;
  contributions?: Contribution[];
}

export const TASK_CONTRIBUTION = 'ms.vss-distributed-task.task';
export const ENDPOINT_TYPE_CONTRIBUTION = 'ms.vss-endpoint.service-endpoint-type';

function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

/** Every task folder (tasks/<Name>V<Major>) that has a task.json. */
export function taskFolders(): TaskFolder[] {
  return readdirSync(path.join(root, 'tasks'), { withFileTypes: true })
    .filter((d) => d.isDirectory() && /V\d+$/.test(d.name) && existsSync(path.join(root, 'tasks', d.name, 'task.json')))
    .map((d) => d.name)
    .sort()
    .map((folder) => {
      const dir = path.join(root, 'tasks', folder);
      return { folder, dir, task: readJson<TaskJson>(path.join(dir, 'task.json')) };
    });
}

export function extensionManifest(): ExtensionManifest {
  return readJson<ExtensionManifest>(path.join(root, 'vss-extension.json'));
}

export function packageVersion(): string {
  return readJson<{ version: string }>(path.join(root, 'package.json')).version;
}

export function contributedTaskFolders(manifest = extensionManifest()): string[] {
  return (manifest.contributions ?? []).filter((c) => c.type === TASK_CONTRIBUTION).map((c) => String(c.properties?.name));
}

/** Whether the task's code exists yet (a task.json may land before its code). */
export function hasCode(folder: string): boolean {
  return existsSync(path.join(root, 'tasks', folder, 'src', 'index.ts'));
}

/** Width and height of a PNG file, from its IHDR chunk; undefined when it is not a PNG. */
export function pngSize(file: string): { width: number; height: number } | undefined {
  const bytes = readFileSync(file);
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  if (bytes.length < 24 || !bytes.subarray(0, 8).equals(signature) || bytes.toString('latin1', 12, 16) !== 'IHDR') return undefined;
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

/** Imports one of the ES-module scripts under scripts/. */
export async function importScript<T>(name: string): Promise<T> {
  return (await import(pathToFileURL(path.join(root, 'scripts', name)).href)) as T;
}
