// Checks an entrypoint script's text against images/entrypoint-contract.json. PowerShell cannot
// run here, so the Windows entrypoint is held to the contract by reading it; the Linux one too,
// which keeps both in step with each other.
export type Platform = 'linux' | 'windows';

export interface ContractVariable {
  name: string;
  required: boolean;
  default: string | null | Record<Platform, string>;
  platforms?: Platform[];
  meaning: string;
}

export interface ContractMessage {
  id: string;
  text: string;
  stream: 'stdout' | 'stderr';
  exitCode: number | null | 'agent' | 'signal';
  platforms?: Platform[];
}

export interface EntrypointContract {
  scripts: Record<Platform, string>;
  agentScripts: Record<Platform, { config: string; run: string }>;
  variables: ContractVariable[];
  exitCodes: { code: number; name: string; meaning: string }[];
  messages: ContractMessage[];
  agentArguments: { config: string[]; run: string[] };
  updateLoop: { exitCodes: number[]; maxRestarts: number };
  constants: Record<string, number | string>;
  capabilityIgnore: { variable: string };
  proxyVariables: { names: string[] };
  passThrough: { prefix: string };
  steps: { id: string }[];
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const appliesTo = (platform: Platform, item: { platforms?: Platform[] }) => !item.platforms || item.platforms.includes(platform);

/** How each script spells the things the contract names. */
const dialects: Record<
  Platform,
  {
    comment: string;
    exitCodeDefinition: (name: string, code: number) => RegExp;
    constantDefinition: (name: string, value: number | string) => RegExp;
    defaultValue: (name: string, value: string) => RegExp;
  }
> = {
  linux: {
    comment: '#',
    exitCodeDefinition: (name, code) => new RegExp(`^readonly ${name}=${code}$`, 'm'),
    constantDefinition: (name, value) =>
      new RegExp(`^readonly ${name}=${typeof value === 'number' ? value : `'${escapeRegExp(value)}'`}$`, 'm'),
    // ${NAME:-default} (empty counts as unset) or ${NAME-default} (empty is a value of its own)
    defaultValue: (name, value) => new RegExp(`\\$\\{${name}:?-${escapeRegExp(value)}\\}`),
  },
  windows: {
    comment: '#',
    exitCodeDefinition: (name, code) => new RegExp(`^\\$${name} = ${code}$`, 'm'),
    constantDefinition: (name, value) =>
      new RegExp(`^\\$${name} = ${typeof value === 'number' ? value : `'${escapeRegExp(value)}'`}$`, 'm'),
    defaultValue: (name, value) => new RegExp(`Get-Setting '${name}' '${escapeRegExp(value)}'`),
  },
};

/** The `# step: <id>` markers of a script, in order. */
export function stepMarkers(script: string): string[] {
  return [...script.matchAll(/^\s*# step: ([a-z-]+)\s*$/gm)].map((m) => m[1]);
}

/** The text between a step marker and the next one. */
function stepSection(script: string, step: string): string {
  const lines = script.split('\n');
  const start = lines.findIndex((line) => line.trim() === `# step: ${step}`);
  if (start < 0) return '';
  const end = lines.findIndex((line, i) => i > start && /^\s*# step: /.test(line));
  return lines.slice(start, end < 0 ? undefined : end).join('\n');
}

/** True when one line of the script holds every fragment, in order. */
function lineWithFragments(script: string, fragments: string[]): string | undefined {
  return script.split('\n').find((line) => {
    let at = 0;
    for (const fragment of fragments) {
      const found = line.indexOf(fragment, at);
      if (found < 0) return false;
      at = found + fragment.length;
    }
    return true;
  });
}

/** Every way the script departs from the contract; empty when it follows it. */
export function contractProblems(contract: EntrypointContract, platform: Platform, script: string): string[] {
  const problems: string[] = [];
  const dialect = dialects[platform];
  const names = contract.agentScripts[platform];

  for (const variable of contract.variables) {
    if (!script.includes(variable.name)) problems.push(`variable ${variable.name} is not mentioned`);
    if (!appliesTo(platform, variable)) continue;
    const value = variable.default === null || typeof variable.default === 'string' ? variable.default : variable.default[platform];
    if (value !== null && !dialect.defaultValue(variable.name, value).test(script)) {
      problems.push(`variable ${variable.name} does not default to '${value}'`);
    }
  }
  const required = contract.variables.filter((v) => v.required).map((v) => v.name);
  if (!lineWithFragments(stepSection(script, 'read-settings'), required)) {
    problems.push(`no line of step read-settings checks all required variables (${required.join(', ')})`);
  }

  for (const { code, name } of contract.exitCodes) {
    if (!dialect.exitCodeDefinition(name, code).test(script)) problems.push(`exit code ${name}=${code} is not defined`);
  }
  for (const [name, value] of Object.entries(contract.constants)) {
    if (!dialect.constantDefinition(name, value).test(script)) problems.push(`constant ${name}=${value} is not defined`);
  }

  for (const message of contract.messages.filter((m) => appliesTo(platform, m))) {
    const text = message.text.replaceAll('{config}', names.config).replaceAll('{run}', names.run);
    const fragments = text.split(/\{[^}]+\}/).filter(Boolean);
    const line = lineWithFragments(script, fragments);
    if (!line) {
      problems.push(`message ${message.id} ("${text}") is not printed`);
      continue;
    }
    const exitName = contract.exitCodes.find((e) => e.code === message.exitCode)?.name;
    if (exitName && !line.includes(exitName)) problems.push(`message ${message.id} does not exit with ${exitName}`);
  }

  const configure = stepSection(script, 'configure');
  const literalArguments = contract.agentArguments.config.filter((arg) => !arg.startsWith('{'));
  let at = configure.indexOf(names.config);
  if (at < 0) problems.push(`step configure does not run ${names.config}`);
  for (const arg of literalArguments) {
    const found = configure.indexOf(arg, Math.max(at, 0));
    if (found < 0) problems.push(`step configure does not pass ${arg} (in order)`);
    else at = found + arg.length;
  }
  if (!/--token "?\$\w*secret/i.test(configure)) problems.push('step configure does not pass the secret with --token');
  const runArguments = contract.agentArguments.run.join(' ');
  if (!script.includes(names.run) || !lineWithFragments(script, [` ${runArguments} `])) {
    problems.push(`${names.run} is not run with ${runArguments}`);
  }
  if (platform === 'linux' && !script.includes(`${contract.passThrough.prefix}*`)) {
    problems.push(`${contract.passThrough.prefix}* variables do not pass through`);
  }

  const updateLoop = stepSection(script, 'update-loop');
  for (const code of contract.updateLoop.exitCodes) {
    if (!new RegExp(`\\b${code}\\b`).test(updateLoop)) problems.push(`step update-loop does not handle exit code ${code}`);
  }
  if (!updateLoop.includes('MAX_UPDATE_RESTARTS')) problems.push('step update-loop is not capped by MAX_UPDATE_RESTARTS');
  if (!script.includes(contract.capabilityIgnore.variable)) problems.push(`${contract.capabilityIgnore.variable} is not set`);

  // Single use: the update loop refuses to restart once a job has started, before it restarts.
  const singleUse = contract.messages.find((m) => m.id === 'singleUse');
  const singleUseFragments = singleUse ? singleUse.text.split(/\{[^}]+\}/).filter(Boolean) : [];
  const singleUseAt = updateLoop.split('\n').findIndex((line) => singleUseFragments.every((f) => line.includes(f)));
  const restartAt = updateLoop.split('\n').findIndex((line) => line.includes('starting it again'));
  if (singleUseAt < 0 || (restartAt >= 0 && singleUseAt > restartAt)) {
    problems.push('step update-loop does not stop before restarting once a job has started');
  }

  // Every proxy variable is defined in one list, in the contract's order, and that list is hidden.
  const proxyList = script.split('\n').find((line) => /PROXY_VARIABLES\s*=/.test(line)) ?? '';
  if (!lineWithFragments(proxyList, contract.proxyVariables.names)) {
    problems.push(`PROXY_VARIABLES does not list ${contract.proxyVariables.names.join(', ')}`);
  }
  if (!stepSection(script, 'hide-settings-from-capabilities').includes('PROXY_VARIABLES')) {
    problems.push('step hide-settings-from-capabilities does not hide the proxy variables');
  }

  const expectedSteps = contract.steps.map((s) => s.id);
  const steps = stepMarkers(script);
  if (steps.join(',') !== expectedSteps.join(',')) {
    problems.push(`steps are [${steps.join(', ')}], the contract says [${expectedSteps.join(', ')}]`);
  }
  return problems;
}
