// Who may call the emulated Azure DevOps: the seeded PAT, the job token (System.AccessToken), an
// Entra token for the Azure DevOps resource, or an agent's OAuth access token; each as a bearer
// token or as the password of Basic auth (any user name), as the real service accepts them.
import type { EmuRequest, EmulatorContext } from '../context';
import { audienceAllowed } from '../tokens';

/** Audience of the access tokens the agent OAuth route issues (only this service accepts them). */
export const AGENT_TOKEN_AUDIENCE = 'urn:emulator:azure-devops:agent';

export type Caller =
  | { kind: 'pat' }
  | { kind: 'job' }
  | { kind: 'entra'; subject: string }
  | { kind: 'agent'; agentId: number; poolId: number };

/** The credential carried by the Authorization header: a bearer token or a Basic password. */
export function presentedCredential(req: EmuRequest): string | undefined {
  const header = req.headers.authorization ?? '';
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (bearer) return bearer[1];
  const basic = /^Basic\s+(\S+)\s*$/i.exec(header);
  if (!basic) return undefined;
  const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon >= 0 ? decoded.slice(colon + 1) : undefined;
}

/** The authenticated caller, or null (the service then answers 401). */
export function authenticate(req: EmuRequest, ctx: EmulatorContext): Caller | null {
  const credential = presentedCredential(req);
  if (!credential) return null;
  if (credential === ctx.seed.pat) return { kind: 'pat' };
  if (credential === ctx.seed.systemAccessToken) return { kind: 'job' };
  const claims = ctx.tokens.verify(credential);
  if (!claims) return null;
  if (audienceAllowed(claims, 'devops')) return { kind: 'entra', subject: String(claims.oid ?? claims.sub ?? '') };
  if (claims.aud === AGENT_TOKEN_AUDIENCE) {
    // A token minted for a key that was since rotated (replace) or deleted no longer works.
    const agent = ctx.store.agents.find((a) => a.clientId !== undefined && a.clientId === claims.sub);
    if (agent) return { kind: 'agent', agentId: agent.id, poolId: agent.poolId };
  }
  return null;
}
