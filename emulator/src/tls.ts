// The emulator's certificate authority and server certificate, and self-signed client certificates.
// Node's crypto generates keys but cannot build X.509 certificates, so node-forge (pure JS, widely
// used, no native build, no external binary) signs them; keys come from node:crypto because forge's
// own RSA key generation is slow.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import forge from 'node-forge';

export interface TlsMaterial {
  caPath: string;
  certPath: string;
  keyPath: string;
  caPem: string;
  certPem: string;
  keyPem: string;
}

interface KeyPair {
  publicKey: forge.pki.rsa.PublicKey;
  privateKey: forge.pki.rsa.PrivateKey;
  privateKeyPem: string;
}

const DAY_MS = 24 * 3600 * 1000;

function newKeyPair(): KeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return {
    publicKey: forge.pki.publicKeyFromPem(publicKey) as forge.pki.rsa.PublicKey,
    privateKey: forge.pki.privateKeyFromPem(privateKey) as forge.pki.rsa.PrivateKey,
    privateKeyPem: privateKey,
  };
}

function newCertificate(subjectCn: string, publicKey: forge.pki.PublicKey, validDays: number): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  // A positive serial: the first byte's high bit must be clear.
  cert.serialNumber = '01' + randomBytes(15).toString('hex');
  cert.validity.notBefore = new Date(Date.now() - DAY_MS);
  cert.validity.notAfter = new Date(Date.now() + validDays * DAY_MS);
  cert.setSubject([{ name: 'commonName', value: subjectCn }]);
  return cert;
}

function createAuthority(): { certPem: string; keys: KeyPair; cert: forge.pki.Certificate } {
  const keys = newKeyPair();
  const cert = newCertificate('Ephemeral Agents Emulator CA', keys.publicKey, 3650);
  cert.setIssuer(cert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keys, cert };
}

function createServerCertificate(ca: { keys: KeyPair; cert: forge.pki.Certificate }): { certPem: string; keyPem: string } {
  const keys = newKeyPair();
  const cert = newCertificate('127.0.0.1', keys.publicKey, 825);
  cert.setIssuer(ca.cert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    // type 7 = IP address, type 2 = DNS name (RFC 5280 GeneralName).
    { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }, { type: 2, value: 'localhost' }] },
    { name: 'authorityKeyIdentifier', keyIdentifier: ca.cert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  cert.sign(ca.keys.privateKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.privateKeyPem };
}

async function readIfPresent(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`cannot read ${file}`, { cause: error });
  }
}

/**
 * Reuses ca.pem, server.pem and server.key from `dir` when all three exist, or creates them (a CA and
 * a server certificate for IP:127.0.0.1 and DNS:localhost signed by it). The CA key is not kept:
 * nothing signs with it later.
 */
export async function ensureTlsMaterial(dir: string): Promise<TlsMaterial> {
  const caPath = path.join(dir, 'ca.pem');
  const certPath = path.join(dir, 'server.pem');
  const keyPath = path.join(dir, 'server.key');
  const [caPem, certPem, keyPem] = await Promise.all([caPath, certPath, keyPath].map(readIfPresent));
  if (caPem && certPem && keyPem) return { caPath, certPath, keyPath, caPem, certPem, keyPem };

  const ca = createAuthority();
  const server = createServerCertificate(ca);
  await mkdir(dir, { recursive: true });
  await writeFile(caPath, ca.certPem);
  await writeFile(certPath, server.certPem);
  await writeFile(keyPath, server.keyPem, { mode: 0o600 });
  return { caPath, certPath, keyPath, caPem: ca.certPem, certPem: server.certPem, keyPem: server.keyPem };
}

/** A self-signed client certificate and its private key, both PEM, concatenated (as Azure tools expect). */
export function createClientCertificatePem(subjectCn: string): string {
  const keys = newKeyPair();
  const cert = newCertificate(subjectCn, keys.publicKey, 365);
  cert.setIssuer(cert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, critical: true },
    { name: 'extKeyUsage', clientAuth: true },
  ]);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  return forge.pki.certificateToPem(cert) + keys.privateKeyPem;
}
