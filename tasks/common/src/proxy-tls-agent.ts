// The agent's proxy together with its CA (Agent.ProxyUrl + Agent.CAInfo): the usual set-up behind a
// TLS-inspecting proxy. core-rest-pipeline drops `tlsOptions` when it tunnels through a proxy ("TLS
// settings are not supported in combination with custom Proxy"), so for that case the Entra and ARM
// clients get this policy instead of `proxyOptions`: it sends HTTPS requests through a proxy agent
// whose TLS connections, to the proxy and through the tunnel, carry the agent's certificates.
import type { Agent, ClientRequest } from 'node:http';
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import type { HttpsProxyAgent } from 'https-proxy-agent';
import type { TlsSettings } from './agent-tls';
import type { ProxyConfig } from './task-io';

/** The proxy URL with its credentials, as proxy agents take it. */
export function proxyUrlWithCredentials(proxy: ProxyConfig): string {
  const url = new URL(proxy.proxyUrl);
  if (proxy.proxyUsername) url.username = encodeURIComponent(proxy.proxyUsername);
  if (proxy.proxyPassword) url.password = encodeURIComponent(proxy.proxyPassword);
  return url.toString();
}

function createAgent(proxy: ProxyConfig, tls: TlsSettings): Agent {
  // Loaded on first use (a lazy chunk): only agents with both a proxy and a CA need it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { HttpsProxyAgent: Base } = require('https-proxy-agent') as typeof import('https-proxy-agent');
  type ConnectOptions = Parameters<HttpsProxyAgent<string>['connect']>[1];
  class TlsProxyAgent extends Base<string> {
    // The tunnelled TLS connection is made with the request's options only; add the agent's settings.
    override connect(request: ClientRequest, options: ConnectOptions) {
      return super.connect(request, { ...options, ...tls } as ConnectOptions);
    }
  }
  // The constructor's options are used for the connection to the proxy itself (an https:// proxy).
  return new TlsProxyAgent(proxyUrlWithCredentials(proxy), { ...tls, keepAlive: true });
}

/** Sends every HTTPS request through `proxy` with the agent's TLS settings (see above). */
export function proxyWithTlsPolicy(proxy: ProxyConfig, tls: TlsSettings): PipelinePolicy {
  let agent: Agent | undefined;
  return {
    name: 'agentProxyWithTls',
    sendRequest(request, next) {
      if (!request.agent && request.url.startsWith('https:')) request.agent = (agent ??= createAgent(proxy, tls));
      return next(request);
    },
  };
}
