// The agent's OAuth flow, as the real agent uses it so that its run stage needs no registration
// secret: config sends an RSA public key with the registration, the server answers a client id and
// a token URL, and the agent later trades a client-assertion JWT signed with its private key for a
// short-lived access token.
import { createPublicKey, randomUUID } from 'node:crypto';
import type { EmuRequest, EmulatorContext, Reply } from '../context';
import type { AgentRecord } from '../store';
import { decodeJwt, rs256Valid, withinValidity } from '../tokens';
import { AGENT_TOKEN_AUDIENCE } from './auth';

export const AGENT_TOKEN_LIFETIME_SECONDS = 3600;
const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

export function tokenUrl(ctx: EmulatorContext): string {
  const org = ctx.urls.devops.endsWith('/') ? ctx.urls.devops : `${ctx.urls.devops}/`;
  return `${org}_apis/oauth2/token`;
}

export function newClientId(): string {
  return randomUUID();
}

function oauthError(status: number, error: string, description: string): Reply {
  return { status, body: { error, error_description: description } };
}

function publicKeyOf(agent: AgentRecord) {
  if (!agent.publicKey) return undefined;
  // The wire carries .NET byte[] as base64; a JWK wants base64url.
  const toUrl = (b64: string) => Buffer.from(b64, 'base64').toString('base64url');
  try {
    return createPublicKey({ key: { kty: 'RSA', n: toUrl(agent.publicKey.modulus), e: toUrl(agent.publicKey.exponent) }, format: 'jwk' });
  } catch {
    return undefined;
  }
}

/** `POST _apis/oauth2/token` with a client assertion: answers an access token for that agent. */
export function handleTokenRequest(req: EmuRequest, ctx: EmulatorContext): Reply {
  const form = new URLSearchParams(req.body.toString('utf8'));
  if (form.get('grant_type') !== 'client_credentials' || form.get('client_assertion_type') !== ASSERTION_TYPE) {
    return oauthError(400, 'unsupported_grant_type', 'Expected grant_type=client_credentials with a jwt-bearer client assertion.');
  }
  const jwt = decodeJwt(form.get('client_assertion') ?? '');
  if (!jwt) return oauthError(400, 'invalid_request', 'The client assertion is not a JWT.');
  const clientId = typeof jwt.claims.sub === 'string' ? jwt.claims.sub : '';
  const agent = ctx.store.agents.find((a) => a.clientId !== undefined && a.clientId === clientId);
  const key = agent && publicKeyOf(agent);
  if (!agent || !key) return oauthError(401, 'invalid_client', `No agent registration has client id '${clientId}'.`);
  const audience = typeof jwt.claims.aud === 'string' ? jwt.claims.aud.replace(/\/$/, '') : '';
  if (!rs256Valid(jwt, key) || jwt.claims.iss !== clientId || audience !== tokenUrl(ctx) || !withinValidity(jwt.claims)) {
    return oauthError(401, 'invalid_client', 'The client assertion is not valid for this client.');
  }
  const accessToken = ctx.tokens.issue({ aud: AGENT_TOKEN_AUDIENCE, sub: clientId, jti: randomUUID() }, AGENT_TOKEN_LIFETIME_SECONDS);
  return {
    status: 200,
    headers: { 'Cache-Control': 'no-store' },
    body: { access_token: accessToken, token_type: 'bearer', expires_in: AGENT_TOKEN_LIFETIME_SECONDS },
  };
}
