// azure-devops-node-api request options from the agent's settings.
import type { ProxyConfig } from '../task-io';

export interface NodeApiProxy {
  proxyUrl: string;
  proxyUsername?: string;
  proxyPassword?: string;
  proxyBypassHosts?: string[];
}

export function toNodeApiProxy(proxy: ProxyConfig | undefined): NodeApiProxy | undefined {
  return proxy ? { proxyUrl: proxy.proxyUrl, proxyUsername: proxy.proxyUsername, proxyPassword: proxy.proxyPassword, proxyBypassHosts: proxy.proxyBypassHosts } : undefined;
}
