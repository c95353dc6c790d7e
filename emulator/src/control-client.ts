// A client of the emulator's control API (queue jobs, read state, inject faults, tune options), for
// the demo and the benchmarks. It trusts the emulator's certificate authority explicitly, since the
// process calling it may have started before NODE_EXTRA_CA_CERTS could name it. Non-2xx is an error.
import { readFileSync } from 'node:fs';
import https from 'node:https';

/** Methods that may be sent again when the first attempt was lost (RFC 9110, 9.2.2). */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS']);
const RETRIES_ON_RESET = 2;

function isReset(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ECONNRESET' || code === 'EPIPE';
}

/** One attempt; `reused` tells whether it went out on a kept-alive socket of an earlier request. */
function attempt<T>(url: URL, method: string, route: string, payload: Buffer | undefined, ca: Buffer | undefined): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const request = https.request(url, {
      method,
      ca,
      headers: payload ? { 'content-type': 'application/json', 'content-length': payload.length } : undefined,
    }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const status = response.statusCode ?? 0;
        if (status < 200 || status > 299) reject(new Error(`control ${method} ${route}: ${status} ${text}`));
        else resolve(JSON.parse(text) as T);
      });
      response.on('error', (error) => reject(Object.assign(new Error(`control ${method} ${route} failed`, { cause: error }), { reusedSocket: request.reusedSocket })));
    });
    request.on('error', (error) => reject(Object.assign(new Error(`control ${method} ${route} failed`, { cause: error }), { reusedSocket: request.reusedSocket })));
    request.end(payload);
  });
}

/**
 * Calls `method route` on the control API at `controlUrl` with an optional JSON body. A kept-alive
 * socket the server closed just as the request went out fails with ECONNRESET: an idempotent request
 * that met that on a reused socket is sent again (as Node's documentation of `request.reusedSocket`
 * advises); anything else fails.
 */
export async function callControl<T = unknown>(controlUrl: string, method: string, route: string, body?: unknown, caCertPath?: string): Promise<T> {
  const url = new URL(route, controlUrl.endsWith('/') ? controlUrl : `${controlUrl}/`);
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  const ca = caCertPath ? readFileSync(caCertPath) : undefined;
  for (let retry = 0; ; retry++) {
    try {
      return await attempt<T>(url, method, route, payload, ca);
    } catch (error) {
      const { reusedSocket, cause } = error as { reusedSocket?: boolean; cause?: unknown };
      if (!(reusedSocket && isReset(cause) && IDEMPOTENT.has(method.toUpperCase()) && retry < RETRIES_ON_RESET)) throw error;
    }
  }
}
