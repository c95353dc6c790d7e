// The emulator as a program: one JSON line on stdout when ready, --seed and --tls-dir honoured, and
// SIGTERM stopping it together with every process it started.
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureTlsMaterial } from '../../emulator/src/tls';
import { eventually } from './core-harness';

const MAIN = path.resolve(__dirname, '..', '..', 'emulator', 'src', 'main.js');
const SEED_KEYS = [
  'tenantId', 'clientId', 'clientSecret', 'clientCertificatePem', 'subscriptionId', 'resourceGroup', 'location',
  'batchAccountName', 'batchAccountKey', 'batchPoolId', 'organization', 'projectId', 'projectName', 'pat',
  'systemAccessToken', 'agentPool', 'agentPoolId', 'image',
];

/** Pids of processes whose command line is exactly `argv`. */
function processesRunning(argv: string[]): number[] {
  const wanted = `${argv.join('\0')}\0`;
  return readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8') === wanted;
    } catch {
      return false;
    }
  }).map(Number);
}

describe('emulator: the program', () => {
  let dir: string;
  let child: ChildProcessWithoutNullStreams | undefined;

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'emulator-core-'));
  });
  afterEach(() => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    child = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  function start(args: string[]): Promise<{ info: Record<string, unknown>; lines: () => string[] }> {
    const proc = spawn(process.execPath, [MAIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    child = proc;
    let stdout = '';
    let stderr = '';
    proc.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    return new Promise((resolve, reject) => {
      proc.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        const newline = stdout.indexOf('\n');
        if (newline >= 0) {
          resolve({ info: JSON.parse(stdout.slice(0, newline)) as Record<string, unknown>, lines: () => stdout.split('\n').filter(Boolean) });
        }
      });
      proc.once('exit', (code) => reject(new Error(`the emulator exited with ${code}: ${stderr}`)));
    });
  }

  it('prints one JSON line with the URLs, the CA and the seed, runs containers, and stops them on SIGTERM', async function () {
    this.timeout(20_000);
    const tlsDir = process.env.EMULATOR_TLS_DIR ?? path.join(dir, 'tls');
    const seedFile = path.join(dir, 'seed.json');
    writeFileSync(seedFile, JSON.stringify({ organization: 'contoso', agentPool: 'Builders', agentPoolId: 31 }));
    const { info, lines } = await start(['--tls-dir', tlsDir, '--seed', seedFile]);

    assert.deepEqual(Object.keys(info).sort(), ['arm', 'batch', 'caCertPath', 'control', 'devops', 'entra', 'managedIdentity', 'seed']);
    for (const key of ['entra', 'arm', 'batch', 'control']) assert.match(String(info[key]), /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.match(String(info.devops), /^https:\/\/127\.0\.0\.1:\d+\/contoso\/$/);
    assert.equal(info.caCertPath, path.join(tlsDir, 'ca.pem'));
    const seed = info.seed as Record<string, unknown>;
    for (const key of SEED_KEYS) assert.ok(key in seed, `seed.${key}`);
    assert.equal(seed.agentPool, 'Builders');
    assert.equal(seed.agentPoolId, 31);
    assert.match(String(seed.pat), /^[a-z2-7]{52}$/);
    assert.match(String(seed.systemAccessToken), /^eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+$/);
    assert.match(String(seed.clientCertificatePem), /BEGIN CERTIFICATE[\s\S]+BEGIN PRIVATE KEY/);

    // Get an ARM token and start a container whose process is easy to find.
    const tokenRes = await fetch(`${String(info.entra)}/${String(seed.tenantId)}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: String(seed.clientId), client_secret: String(seed.clientSecret), scope: 'https://management.azure.com/.default' }).toString(),
    });
    const token = ((await tokenRes.json()) as { access_token: string }).access_token;
    const marker = ['sleep', `${300 + Math.floor(Math.random() * 1000)}.25`];
    const put = await fetch(`${String(info.arm)}/subscriptions/${String(seed.subscriptionId)}/resourceGroups/${String(seed.resourceGroup)}/providers/Microsoft.ContainerInstance/containerGroups/core-1?api-version=2023-05-01`, {
      method: 'PUT',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        location: seed.location,
        properties: { osType: 'Linux', containers: [{ name: 'c', properties: { image: seed.image, command: marker, resources: { requests: { cpu: 1, memoryInGB: 1 } } } }] },
      }),
    });
    assert.equal(put.status, 201);
    const [pid] = await eventually(() => {
      const pids = processesRunning(marker);
      return pids.length > 0 ? pids : undefined;
    }, 5000, 'the container process');

    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
    child!.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.deepEqual(processesRunning(marker), [], `the container process ${pid} is gone`);
    assert.equal(lines().length, 1, 'exactly one line on stdout');
  });

  it('creates TLS material for 127.0.0.1 and localhost once, then reuses it', async () => {
    const tlsDir = path.join(dir, 'tls');
    const first = await ensureTlsMaterial(tlsDir);
    const cert = new X509Certificate(first.certPem);
    assert.match(cert.subjectAltName ?? '', /IP Address:127\.0\.0\.1/);
    assert.match(cert.subjectAltName ?? '', /DNS:localhost/);
    assert.ok(cert.verify(new X509Certificate(first.caPem).publicKey), 'the server certificate is signed by the CA');
    assert.equal(statSync(first.keyPath).mode & 0o077, 0, 'the key is private to its owner');
    const second = await ensureTlsMaterial(tlsDir);
    assert.equal(second.certPem, first.certPem);
  });

  it('refuses an unknown option', async () => {
    await assert.rejects(start(['--no-such-option']), /exited with 2/);
  });
});
