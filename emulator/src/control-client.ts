// A client of the emulator's control API (queue jobs, read state, inject faults, tune options), for
// the demo and the benchmarks. Answers other than 2xx are errors.

/** Calls `method route` on the control API at `controlUrl` with an optional JSON body. */
export async function callControl<T = unknown>(controlUrl: string, method: string, route: string, body?: unknown): Promise<T> {
  const response = await fetch(new URL(route, controlUrl.endsWith('/') ? controlUrl : `${controlUrl}/`), {
    method,
    headers: body === undefined ? undefined : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`control ${method} ${route}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}
