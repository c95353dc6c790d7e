// The agent's certificate settings (Agent.CAInfo, Agent.ClientCert, Agent.ClientCertKey and
// Agent.ClientCertPassword, from `config.sh --sslcacert/--sslclientcert...`) in the shapes the SDKs
// want. An agent behind a TLS-inspecting proxy, or talking to Azure DevOps Server with a company CA,
// sets them; task-lib's documentation asks every task to hand them to its HTTP clients.
//
// The CA is trusted *in addition to* Node's roots (and NODE_EXTRA_CA_CERTS), as the agent itself
// does: a Node `ca` option would otherwise replace them, and calls that do not pass the inspecting
// proxy (Entra, ARM, Batch) would stop working.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { rootCertificates } from 'node:tls';
import { InputError } from './errors';
import type { CertificateConfig } from './task-io';

/** core-rest-pipeline `tlsOptions` / Node TLS options. */
export interface TlsSettings {
  ca?: string[];
  cert?: string;
  key?: string;
  passphrase?: string;
}

/** typed-rest-client (azure-devops-node-api) `cert`: file paths, which it reads itself. */
export interface NodeApiCertificates {
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  passphrase?: string;
}

export interface AgentTls {
  /** For the Azure SDKs (Entra, ARM, Batch). */
  settings: TlsSettings;
  /** For azure-devops-node-api; its CA file holds the same trusted set as `settings.ca`. */
  nodeApi: NodeApiCertificates;
}

function readPem(file: string, variable: string, what: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new InputError(variable, `The agent's ${what} in ${variable} (${file}) cannot be read: ${(error as Error).message}. Check the agent's --sslcacert / --sslclientcert settings`);
  }
  if (!/-----BEGIN [A-Z ]+-----/.test(text)) {
    throw new InputError(variable, `The agent's ${what} in ${variable} (${file}) is not in PEM format; configure the agent with a PEM file`);
  }
  return text;
}

/**
 * The agent's TLS settings, or undefined when it has none. `tempDir` receives the CA bundle handed to
 * azure-devops-node-api (public certificates only, in a fresh directory).
 */
export function loadAgentTls(config: CertificateConfig | undefined, tempDir: string = os.tmpdir(), env: NodeJS.ProcessEnv = process.env): AgentTls | undefined {
  if (!config || (!config.caFile && !config.certFile)) return undefined;
  const settings: TlsSettings = {};
  const nodeApi: NodeApiCertificates = {};
  if (config.caFile) {
    const extra = readPem(config.caFile, 'Agent.CAInfo', 'CA certificate');
    const fromEnvironment = env.NODE_EXTRA_CA_CERTS ? safeRead(env.NODE_EXTRA_CA_CERTS) : undefined;
    settings.ca = [...rootCertificates, ...(fromEnvironment ? [fromEnvironment] : []), extra];
    const dir = mkdtempSync(path.join(tempDir, 'ephemeral-agents-ca-'));
    nodeApi.caFile = path.join(dir, 'ca-bundle.pem');
    writeFileSync(nodeApi.caFile, settings.ca.join('\n'));
  }
  if (config.certFile) {
    settings.cert = readPem(config.certFile, 'Agent.ClientCert', 'client certificate');
    nodeApi.certFile = config.certFile;
    if (config.keyFile) {
      settings.key = readPem(config.keyFile, 'Agent.ClientCertKey', 'client certificate key');
      nodeApi.keyFile = config.keyFile;
    }
    if (config.passphrase) {
      settings.passphrase = config.passphrase;
      nodeApi.passphrase = config.passphrase;
    }
  }
  return { settings, nodeApi };
}

function safeRead(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
