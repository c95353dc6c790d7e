// The HTTP client the Batch SDK (@azure/ms-rest-js over node-fetch) sends with. ms-rest-js hands
// node-fetch the signal of its own inlined AbortController polyfill, and node-fetch accepts a signal
// only when its prototype's constructor is *named* 'AbortSignal'. A minified bundle renames that
// class, so every Batch request failed with "Expected signal to be an instanceof AbortSignal".
// This client passes node-fetch a native AbortSignal instead, linked to the SDK's one, and keeps
// everything else (proxy tunnel, keep-alive, streaming) of the SDK's default client. It also hands
// the agent's CA and client certificate (Agent.CAInfo...) to the connections, which ms-rest-js
// has no option for.
import https from 'node:https';
import type { HttpClient } from '@azure/ms-rest-js';
import type { TlsSettings } from '../agent-tls';

type MsRestModule = typeof import('@azure/ms-rest-js');
type FetchInit = { signal?: { aborted?: boolean; addEventListener?: (type: 'abort', listener: () => void) => void } | null; agent?: unknown } & Record<string, unknown>;

/**
 * The request's agent with the TLS settings: a proxy tunnel (the `tunnel` package, which passes its
 * `options` to each TLS connection to the target) gets them added; otherwise one keep-alive HTTPS
 * agent of ours serves every request.
 */
export function agentWithTls(agent: unknown, tls: TlsSettings, own: () => https.Agent): unknown {
  const tunnel = agent as { proxyOptions?: unknown; options?: Record<string, unknown> } | undefined;
  if (tunnel?.proxyOptions && tunnel.options) {
    tunnel.options = { ...tunnel.options, ...tls };
    return tunnel;
  }
  return own();
}

/** A native signal that aborts when `source` (any EventTarget-like signal) does. */
export function nativeSignalOf(source: FetchInit['signal']): AbortSignal | undefined {
  if (!source) return undefined;
  if (source instanceof AbortSignal) return source;
  const controller = new AbortController();
  if (source.aborted) controller.abort();
  else source.addEventListener?.('abort', () => controller.abort());
  return controller.signal;
}

/** ms-rest-js's default (node-fetch) client with native abort signals (and the agent's TLS settings). */
export function createBatchHttpClient(msRest: MsRestModule, tls?: TlsSettings): HttpClient {
  // DefaultHttpClient is ms-rest-js's NodeFetchHttpClient; its `fetch` is the one place node-fetch is called.
  const Base = msRest.DefaultHttpClient as unknown as new () => HttpClient & { fetch(input: unknown, init: FetchInit): Promise<unknown> };
  let ownAgent: https.Agent | undefined;
  const own = () => (ownAgent ??= new https.Agent({ keepAlive: true, ...tls }));
  class NativeSignalHttpClient extends Base {
    override fetch(input: unknown, init: FetchInit): Promise<unknown> {
      const agent = tls && String(input).startsWith('https:') ? agentWithTls(init.agent, tls, own) : init.agent;
      return super.fetch(input, { ...init, agent, signal: nativeSignalOf(init.signal) });
    }
  }
  return new NativeSignalHttpClient();
}
