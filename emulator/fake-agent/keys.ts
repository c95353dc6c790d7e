// The agent's RSA key pair and the client assertion it signs with it (RS256 JWT).
import { createPrivateKey, generateKeyPairSync, randomUUID, sign } from 'node:crypto';

export interface PublicKeyWire {
  /** Base64 of the big-endian bytes, as .NET serializes RSAParameters' byte arrays. */
  exponent: string;
  modulus: string;
}

export function newKeyPair(): { privateKeyPem: string; publicKey: PublicKeyWire } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = publicKey.export({ format: 'jwk' });
  const toBase64 = (b64url: string | undefined) => Buffer.from(b64url ?? '', 'base64url').toString('base64');
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKey: { exponent: toBase64(jwk.e), modulus: toBase64(jwk.n) },
  };
}

export function clientAssertion(privateKeyPem: string, clientId: string, audience: string): string {
  const now = Math.floor(Date.now() / 1000);
  const header = { alg: 'RS256', typ: 'JWT' };
  const claims = { iss: clientId, sub: clientId, aud: audience, jti: randomUUID(), iat: now, nbf: now - 30, exp: now + 300 };
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const signingInput = `${encode(header)}.${encode(claims)}`;
  const signature = sign('sha256', Buffer.from(signingInput), createPrivateKey(privateKeyPem));
  return `${signingInput}.${signature.toString('base64url')}`;
}
