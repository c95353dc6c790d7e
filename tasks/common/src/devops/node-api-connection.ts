// azure-devops-node-api clients built from its narrow modules. Importing `WebApi` would bundle every
// API client of Azure DevOps (about 1 MB); the tasks need the agent pool API and, for workload
// identity federation, the job's OIDC token endpoint. Each module is loaded on first use. Without
// WebApi there is no resource-area lookup either: distributedtask lives at the organization URL
// (System.CollectionUri), so that saves two discovery requests per task.
import type { IRequestHandler, IRequestOptions } from 'azure-devops-node-api/interfaces/common/VsoBaseInterfaces';
import type { ITaskAgentApiBase } from 'azure-devops-node-api/TaskAgentApiBase';
import type { ITaskApi } from 'azure-devops-node-api/TaskApi';
import type { NodeApiCertificates } from '../agent-tls';
import type { ProxyConfig } from '../task-io';
import { toNodeApiProxy } from './node-api-options';

export type TokenKind = 'bearer' | 'pat';

/** A request handler whose token can be swapped for a renewed one. */
export type TokenHandler = IRequestHandler & { token?: string };

/** How the clients are made; tests inject fakes. */
export interface NodeApiFactory {
  handler(kind: TokenKind, token: string): TokenHandler;
  taskAgentApi(collectionUri: string, handler: IRequestHandler, options: IRequestOptions): ITaskAgentApiBase;
  taskApi(collectionUri: string, handler: IRequestHandler, options: IRequestOptions): ITaskApi;
}

const USER_AGENT = 'ephemeral-agents-tasks (azure-devops-node-api)';

/* eslint-disable @typescript-eslint/no-require-imports -- lazy, narrow loading is the point of this file */
export const nodeApiFactory: NodeApiFactory = {
  handler(kind, token) {
    if (kind === 'pat') {
      const { PersonalAccessTokenCredentialHandler } = require('azure-devops-node-api/handlers/personalaccesstoken') as typeof import('azure-devops-node-api/handlers/personalaccesstoken');
      return new PersonalAccessTokenCredentialHandler(token, false);
    }
    const { BearerCredentialHandler } = require('azure-devops-node-api/handlers/bearertoken') as typeof import('azure-devops-node-api/handlers/bearertoken');
    return new BearerCredentialHandler(token, false);
  },
  taskAgentApi(collectionUri, handler, options) {
    const { TaskAgentApiBase } = require('azure-devops-node-api/TaskAgentApiBase') as typeof import('azure-devops-node-api/TaskAgentApiBase');
    return new TaskAgentApiBase(collectionUri, [handler], options, USER_AGENT);
  },
  taskApi(collectionUri, handler, options) {
    const { TaskApi } = require('azure-devops-node-api/TaskApi') as typeof import('azure-devops-node-api/TaskApi');
    return new TaskApi(collectionUri, [handler], options, USER_AGENT);
  },
};
/* eslint-enable @typescript-eslint/no-require-imports */

/** Request options from the agent's proxy and certificate settings. */
export function nodeApiOptions(proxy: ProxyConfig | undefined, certificates?: NodeApiCertificates, socketTimeout = 60_000): IRequestOptions {
  return { proxy: toNodeApiProxy(proxy), socketTimeout, ignoreSslError: false, ...(certificates ? { cert: certificates } : {}) };
}
