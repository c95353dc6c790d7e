// A client of the emulator's control API (queue jobs, read state, inject faults, tune options), for
// the demo and the benchmarks. It trusts the emulator's certificate authority explicitly, since the
// process calling it may have started before NODE_EXTRA_CA_CERTS could name it. Non-2xx is an error.
import { readFileSync } from 'node:fs';
import https from 'node:https';

/** Calls `method route` on the control API at `controlUrl` with an optional JSON body. */
export function callControl<T = unknown>(controlUrl: string, method: string, route: string, body?: unknown, caCertPath?: string): Promise<T> {
  const url = new URL(route, controlUrl.endsWith('/') ? controlUrl : `${controlUrl}/`);
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  return new Promise<T>((resolve, reject) => {
    const request = https.request(url, {
      method,
      ca: caCertPath ? readFileSync(caCertPath) : undefined,
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
    });
    request.on('error', (error) => reject(new Error(`control ${method} ${route} failed`, { cause: error })));
    request.end(payload);
  });
}
