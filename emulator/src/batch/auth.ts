// Batch data-plane authentication: Shared Key (HMAC of the rebuilt string to sign) or an AAD bearer
// token for https://batch.core.windows.net.
import type { EmuRequest, EmulatorContext } from '../context';
import { allowedAudiences, audienceAllowed } from '../tokens';
import { BatchHttpError } from './errors';
import { checkSharedKey } from './shared-key';

/** Throws the service's authentication error unless the request is signed or carries a valid token. */
export function authenticate(req: EmuRequest, ctx: EmulatorContext): void {
  const authorization = typeof req.headers.authorization === 'string' ? req.headers.authorization : '';
  if (!authorization) {
    throw new BatchHttpError(401, 'AuthenticationFailed', 'Server failed to authenticate the request. The Authorization header is missing.');
  }
  if (/^Bearer\s/i.test(authorization)) {
    const claims = ctx.tokens.verify(authorization.replace(/^Bearer\s+/i, '').trim());
    // A Batch account accepts tokens for its own cloud's Batch resource only.
    const audiences = ctx.seed.batchResource ? [ctx.seed.batchResource] : allowedAudiences('batch');
    if (!claims || !audienceAllowed(claims, 'batch', audiences)) {
      throw new BatchHttpError(401, 'AuthenticationFailed', 'Server failed to authenticate the request. The access token is invalid or has the wrong audience.');
    }
    return;
  }
  const result = checkSharedKey(req, authorization, ctx.seed.batchAccountName, ctx.seed.batchAccountKey);
  if (result === 'valid') return;
  const detail =
    result === 'wrong-account'
      ? 'The account name in the Authorization header does not match this account.'
      : 'Make sure the value of Authorization header is formed correctly including the signature.';
  throw new BatchHttpError(403, 'AuthenticationFailed', `Server failed to authenticate the request. ${detail}`, [
    { key: 'AuthenticationErrorDetail', value: result === 'bad-signature' ? 'The MAC signature found in the HTTP request is not the same as any computed signature.' : detail },
  ]);
}
