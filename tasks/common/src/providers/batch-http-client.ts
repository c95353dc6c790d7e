// The HTTP client the Batch SDK (@azure/ms-rest-js over node-fetch) sends with. ms-rest-js hands
// node-fetch the signal of its own inlined AbortController polyfill, and node-fetch accepts a signal
// only when its prototype's constructor is *named* 'AbortSignal'. A minified bundle renames that
// class, so every Batch request failed with "Expected signal to be an instanceof AbortSignal".
// This client passes node-fetch a native AbortSignal instead, linked to the SDK's one, and keeps
// everything else (proxy tunnel, keep-alive, streaming) of the SDK's default client.
import type { HttpClient } from '@azure/ms-rest-js';

type MsRestModule = typeof import('@azure/ms-rest-js');
type FetchInit = { signal?: { aborted?: boolean; addEventListener?: (type: 'abort', listener: () => void) => void } | null } & Record<string, unknown>;

/** A native signal that aborts when `source` (any EventTarget-like signal) does. */
export function nativeSignalOf(source: FetchInit['signal']): AbortSignal | undefined {
  if (!source) return undefined;
  if (source instanceof AbortSignal) return source;
  const controller = new AbortController();
  if (source.aborted) controller.abort();
  else source.addEventListener?.('abort', () => controller.abort());
  return controller.signal;
}

/** ms-rest-js's default (node-fetch) client with native abort signals. */
export function createBatchHttpClient(msRest: MsRestModule): HttpClient {
  // DefaultHttpClient is ms-rest-js's NodeFetchHttpClient; its `fetch` is the one place node-fetch is called.
  const Base = msRest.DefaultHttpClient as unknown as new () => HttpClient & { fetch(input: unknown, init: FetchInit): Promise<unknown> };
  class NativeSignalHttpClient extends Base {
    override fetch(input: unknown, init: FetchInit): Promise<unknown> {
      return super.fetch(input, { ...init, signal: nativeSignalOf(init.signal) });
    }
  }
  return new NativeSignalHttpClient();
}
