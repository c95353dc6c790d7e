// The agent's proxy settings in the shapes the SDKs want.
import type { ProxyConfig } from './task-io';

/** core-rest-pipeline / @azure/identity `proxyOptions`. */
export interface CoreProxySettings {
  host: string;
  port: number;
  username?: string;
  password?: string;
}

export function toCoreProxySettings(proxy: ProxyConfig | undefined): CoreProxySettings | undefined {
  if (!proxy) return undefined;
  const url = new URL(proxy.proxyUrl);
  const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  return {
    host: `${url.protocol}//${url.hostname}`,
    port,
    username: proxy.proxyUsername || undefined,
    password: proxy.proxyPassword || undefined,
  };
}

/** A function giving the proxy for a URL (undefined when none or bypassed). */
export type ProxyLookup = (url: string) => ProxyConfig | undefined;
