// The emulator's token authority: RS256 JWTs signed with one key per emulator run, the audiences each
// service accepts, and the identity of the Azure DevOps OIDC issuer that Entra trusts for federation.
import { constants, createHash, generateKeyPairSync, randomUUID, sign, verify, type KeyObject } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { TokenClaims, TokenService } from './context';
import type { Seed } from './store';

/** Audience of a federated assertion exchanged at Entra. */
export const FEDERATION_AUDIENCE = 'api://AzureADTokenExchange';

/** The Azure DevOps resource (first-party application id). */
export const DEVOPS_RESOURCE = '499b84ac-1321-427f-aa17-267ca6975798';

export type AudienceService = 'arm' | 'batch' | 'devops';

const AUDIENCES: Record<AudienceService, string[]> = {
  arm: ['https://management.azure.com', 'https://management.core.windows.net'],
  batch: ['https://batch.core.windows.net'],
  devops: [DEVOPS_RESOURCE],
};

/** The audiences `service` accepts, without trailing slash (for error messages). */
export function allowedAudiences(service: AudienceService): readonly string[] {
  return AUDIENCES[service];
}

/** Compares after trimming one trailing '/', as the issue specifies for scopes and audiences. */
export function trimOneSlash(value: string): string {
  return value.endsWith('/') ? value.slice(0, -1) : value;
}

/** True when the token's audience is one the service accepts (`audiences` replaces the service's defaults). */
export function audienceAllowed(claims: TokenClaims, service: AudienceService, audiences: readonly string[] = AUDIENCES[service]): boolean {
  const aud = typeof claims.aud === 'string' ? trimOneSlash(claims.aud) : '';
  return audiences.some((allowed) => trimOneSlash(allowed).toLowerCase() === aud.toLowerCase());
}

/** The bearer token of an `Authorization: Bearer <token>` header, if any. */
export function bearerToken(headers: IncomingHttpHeaders): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(headers.authorization ?? '');
  return match?.[1];
}

/**
 * The organization's id, derived from its name so every run and both services agree (a name-based
 * UUID: sha1 of the name, version and variant bits set as RFC 4122 section 4.3 does).
 */
export function devopsOrganizationId(seed: Pick<Seed, 'organization'>): string {
  const bytes = createHash('sha1').update(`azure-devops-organization:${seed.organization.toLowerCase()}`).digest().subarray(0, 16);
  bytes[6] = (bytes[6] & 0x0f) | 0x50;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The `iss` of the pipeline OIDC tokens the emulated Azure DevOps issues, as the real service's vstoken issuer. */
export function devopsOidcIssuer(seed: Pick<Seed, 'organization'>): string {
  return `https://vstoken.dev.azure.com/${devopsOrganizationId(seed)}`;
}

/** The `sub` of a pipeline OIDC token for a service connection (`sc://<org>/<project>/<connection>`). */
export function devopsOidcSubject(seed: Pick<Seed, 'organization' | 'projectName'>, serviceConnection: string): string {
  return `sc://${seed.organization}/${seed.projectName}/${serviceConnection}`;
}

/** A pipeline OIDC token (what the oidctoken route answers): Entra accepts it as a federated assertion. */
export function issueDevOpsOidcToken(tokens: TokenService, seed: Seed, serviceConnection: string): string {
  return tokens.issue({
    iss: devopsOidcIssuer(seed),
    aud: FEDERATION_AUDIENCE,
    sub: devopsOidcSubject(seed, serviceConnection),
    jti: randomUUID(),
  }, 600);
}

function base64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

export interface DecodedJwt {
  header: Record<string, unknown>;
  claims: TokenClaims;
  signingInput: string;
  signature: Buffer;
}

/** Splits and parses a compact JWS without checking it; null when it is not one. */
export function decodeJwt(token: string): DecodedJwt | null {
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  try {
    const header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8')) as unknown;
    const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as unknown;
    if (!header || typeof header !== 'object' || !claims || typeof claims !== 'object') return null;
    return {
      header: header as Record<string, unknown>,
      claims: claims as TokenClaims,
      signingInput: `${parts[0]}.${parts[1]}`,
      signature: Buffer.from(parts[2], 'base64url'),
    };
  } catch {
    return null;
  }
}

/** Checks an RS256 signature with `key`. */
export function rs256Valid(jwt: DecodedJwt, key: KeyObject): boolean {
  if (jwt.header.alg !== 'RS256') return false;
  return verify('sha256', Buffer.from(jwt.signingInput), key, jwt.signature);
}

/** Checks an RS256 or PS256 signature (MSAL signs certificate assertions with PS256 when it sends x5t#S256). */
export function rsaSignatureValid(jwt: DecodedJwt, key: KeyObject): boolean {
  if (jwt.header.alg === 'PS256') {
    return verify('sha256', Buffer.from(jwt.signingInput), { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, jwt.signature);
  }
  return rs256Valid(jwt, key);
}

/** True when `exp`/`nbf` (if present) admit `nowSeconds`, with five minutes of clock skew as Entra allows. */
export function withinValidity(claims: TokenClaims, nowSeconds = Math.floor(Date.now() / 1000)): boolean {
  const skew = 300;
  if (typeof claims.exp === 'number' && claims.exp + skew < nowSeconds) return false;
  if (typeof claims.nbf === 'number' && claims.nbf - skew > nowSeconds) return false;
  return true;
}

/** A token service with a fresh RSA key; `kid` is the key's SHA-256 thumbprint. */
export function createTokenService(): TokenService {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = publicKey.export({ format: 'jwk' });
  const kid = createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('base64url');

  return {
    issue(claims: TokenClaims, lifetimeSeconds = 3600): string {
      const now = Math.floor(Date.now() / 1000);
      const header = { typ: 'JWT', alg: 'RS256', kid };
      const body = { iat: now, nbf: now, exp: now + lifetimeSeconds, ...claims };
      const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(body))}`;
      const signature = sign('sha256', Buffer.from(signingInput), privateKey);
      return `${signingInput}.${base64url(signature)}`;
    },
    verify(token: string): TokenClaims | null {
      const jwt = decodeJwt(token);
      if (!jwt || jwt.header.kid !== kid || !rs256Valid(jwt, publicKey)) return null;
      const now = Math.floor(Date.now() / 1000);
      if (typeof jwt.claims.exp === 'number' && jwt.claims.exp <= now) return null;
      return jwt.claims;
    },
    jwks() {
      return { keys: [{ kty: 'RSA', use: 'sig', alg: 'RS256', kid, n: jwk.n, e: jwk.e }] };
    },
  };
}
