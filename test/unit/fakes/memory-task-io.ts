// An in-memory TaskIO: inputs, variables and endpoints from plain objects; everything the task
// writes (variables, secrets, result, log lines, summaries) recorded for assertions.
import { format } from 'node:util';
import type { CertificateConfig, Endpoint, ProxyConfig, TaskIO, TaskResult } from '../../../tasks/common/src/task-io';

export interface FakeEndpoint {
  url?: string;
  scheme?: string;
  parameters?: Record<string, string>;
  data?: Record<string, string>;
}

export interface LogLine {
  kind: 'debug' | 'info' | 'warning' | 'error' | 'group' | 'endgroup' | 'progress';
  text: string;
}

export class MemoryTaskIO implements TaskIO {
  readonly secrets: string[] = [];
  readonly variables = new Map<string, { value: string; secret: boolean; output: boolean }>();
  readonly log: LogLine[] = [];
  readonly summaries: Array<{ title: string; markdown: string }> = [];
  result?: { result: TaskResult; message: string };
  proxy?: ProxyConfig;
  certificates?: CertificateConfig;

  constructor(
    public inputs: Record<string, string> = {},
    public vars: Record<string, string> = {},
    public endpoints: Record<string, FakeEndpoint> = {},
  ) {}

  getInput(name: string): string | undefined {
    const value = this.inputs[name]?.trim();
    return value ? value : undefined;
  }

  getSecretInput(name: string): string | undefined {
    const value = this.getInput(name);
    if (value) this.setSecret(value);
    return value;
  }

  getVariable(name: string): string | undefined {
    const value = this.vars[name] ?? this.variables.get(name)?.value;
    return value?.trim() ? value.trim() : undefined;
  }

  getSecretVariable(name: string): string | undefined {
    const value = this.getVariable(name);
    if (value) this.setSecret(value);
    return value;
  }

  getEndpoint(id: string): Endpoint | undefined {
    const e = this.endpoints[id];
    if (!e) return undefined;
    return {
      id,
      url: e.url,
      scheme: e.scheme,
      authParameter: (key) => Object.entries(e.parameters ?? {}).find(([k]) => k.toLowerCase() === key.toLowerCase())?.[1],
      data: (key) => Object.entries(e.data ?? {}).find(([k]) => k.toLowerCase() === key.toLowerCase())?.[1],
    };
  }

  setSecret(value: string): void {
    this.secrets.push(value);
  }

  setVariable(name: string, value: string, options: { secret?: boolean; output?: boolean } = {}): void {
    this.variables.set(name, { value, secret: options.secret ?? false, output: options.output ?? false });
  }

  setResult(result: TaskResult, message: string): void {
    this.result = { result, message };
  }

  addSummary(title: string, markdown: string): void {
    this.summaries.push({ title, markdown });
  }

  loc(_key: string, fallback: string, ...args: unknown[]): string {
    return format(fallback, ...args);
  }

  getProxy(): ProxyConfig | undefined {
    return this.proxy;
  }

  getCertificates(): CertificateConfig | undefined {
    return this.certificates;
  }

  debug(text: string): void { this.log.push({ kind: 'debug', text }); }
  info(text: string): void { this.log.push({ kind: 'info', text }); }
  warning(text: string): void { this.log.push({ kind: 'warning', text }); }
  error(text: string): void { this.log.push({ kind: 'error', text }); }
  group(text: string): void { this.log.push({ kind: 'group', text }); }
  endGroup(): void { this.log.push({ kind: 'endgroup', text: '' }); }
  progress(percent: number, text: string): void { this.log.push({ kind: 'progress', text: `${percent}% ${text}` }); }

  lines(kind?: LogLine['kind']): string[] {
    return this.log.filter((l) => !kind || l.kind === kind).map((l) => l.text);
  }
}
