// `config.sh --unattended --url U --auth PAT --token T --pool P --agent N --work W --replace
// --acceptTeeEula`: finds the pool, adds the agent (or replaces one of the same name), and stores
// its settings and key in the agent directory. The token is used for these calls only.
import os from 'node:os';
import path from 'node:path';
import { requestJson } from './client';
import { AGENT_VERSION, systemCapabilities } from './capabilities';
import { newKeyPair } from './keys';
import { saveSettings } from './settings';

interface Options {
  url: string;
  token: string;
  pool: string;
  agent: string;
  work: string;
  replace: boolean;
}

function parseOptions(argv: string[]): Options {
  const values = new Map<string, string>();
  const flags = new Set<string>();
  const valued = new Set(['--url', '--auth', '--token', '--pool', '--agent', '--work']);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (valued.has(arg)) {
      if (i + 1 >= argv.length) throw new Error(`missing value for ${arg}`);
      values.set(arg, argv[++i]);
    } else if (['--unattended', '--replace', '--acceptTeeEula'].includes(arg)) {
      flags.add(arg);
    } else {
      throw new Error(`unknown argument: ${arg}`);
    }
  }
  const auth = values.get('--auth') ?? 'PAT';
  if (auth.toLowerCase() !== 'pat') throw new Error(`unsupported --auth ${auth}: this agent supports PAT`);
  for (const name of ['--url', '--token', '--pool', '--agent']) {
    if (!values.get(name)) throw new Error(`missing required argument: ${name}`);
  }
  return {
    url: values.get('--url')!.replace(/\/+$/, ''),
    token: values.get('--token')!,
    pool: values.get('--pool')!,
    agent: values.get('--agent')!,
    work: values.get('--work') ?? '_work',
    replace: flags.has('--replace'),
  };
}

interface Pool {
  id: number;
  name: string;
}

interface Agent {
  id: number;
  name: string;
  authorization?: { clientId: string; authorizationUrl: string };
}

export async function configure(argv: string[], agentDir: string): Promise<void> {
  const options = parseOptions(argv);
  // As the real agent sends a PAT: Basic auth with an empty user name.
  const authorization = `Basic ${Buffer.from(`:${options.token}`).toString('base64')}`;
  const api = `${options.url}/_apis/distributedtask`;
  const pools = await requestJson<{ value: Pool[] }>({ method: 'GET', url: `${api}/pools?poolName=${encodeURIComponent(options.pool)}`, authorization });
  const pool = pools.value[0];
  if (!pool) throw new Error(`agent pool not found: ${options.pool}`);
  const existing = await requestJson<{ value: Agent[] }>({
    method: 'GET',
    url: `${api}/pools/${pool.id}/agents?agentName=${encodeURIComponent(options.agent)}`,
    authorization,
  });
  const current = existing.value[0];
  if (current && !options.replace) throw new Error(`an agent named ${options.agent} already exists in pool ${pool.name} (use --replace)`);

  const keys = newKeyPair();
  const body = {
    name: options.agent,
    version: AGENT_VERSION,
    osDescription: `${os.type()} ${os.release()}`,
    enabled: true,
    maxParallelism: 1,
    provisioningState: 'Provisioned',
    systemCapabilities: systemCapabilities(process.env, options.agent, agentDir),
    authorization: { publicKey: keys.publicKey },
  };
  const agent = current
    ? await requestJson<Agent>({ method: 'PUT', url: `${api}/pools/${pool.id}/agents/${current.id}`, authorization, body: { ...body, id: current.id } })
    : await requestJson<Agent>({ method: 'POST', url: `${api}/pools/${pool.id}/agents`, authorization, body });
  if (!agent.authorization?.clientId || !agent.authorization.authorizationUrl) {
    throw new Error('the server did not return the agent OAuth client (authorization.clientId/authorizationUrl)');
  }
  saveSettings(
    agentDir,
    {
      agentId: agent.id,
      agentName: agent.name,
      poolId: pool.id,
      poolName: pool.name,
      serverUrl: options.url,
      workFolder: path.resolve(agentDir, options.work),
    },
    { scheme: 'OAuth', data: { clientId: agent.authorization.clientId, authorizationUrl: agent.authorization.authorizationUrl } },
    keys.privateKeyPem,
  );
  console.log(`${current ? 'Successfully replaced the agent' : 'Successfully added the agent'} ${agent.name} (id ${agent.id}) to pool ${pool.name}`);
  console.log('Settings Saved.');
}
