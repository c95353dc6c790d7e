// ARM and Batch SDK errors turned into messages a pipeline user can act on.
import type { Clock } from '../clock';
import { CloudError, type ServiceName, describeError, errorCodeOf, httpStatusOf, isCancellation, TaskError } from '../errors';
import { isTransient, withRetry } from '../retry';

export interface ErrorContext {
  service: ServiceName;
  /** What was being done: "creating container group eph-1-abc-0". */
  operation: string;
  /** Who authenticates, e.g. "the service principal of 'azureSubscription'". */
  identity: string;
  image?: string;
}

function batchMessage(error: unknown): string | undefined {
  const body = (error as { body?: { message?: { value?: string } | string } } | undefined)?.body;
  const message = typeof body?.message === 'string' ? body.message : body?.message?.value;
  return message?.split('\nRequestId:')[0];
}

/** Classifies a permanent cloud error; transient ones are retried before this is reached. */
export function explainCloudError(error: unknown, context: ErrorContext): unknown {
  if (error instanceof TaskError || isCancellation(error)) return error;
  const status = httpStatusOf(error);
  const code = errorCodeOf(error) ?? '';
  const detail = batchMessage(error) ?? describeError(error);
  const make = (message: string) => new CloudError(context.service, message, status, code || undefined, { cause: error });
  const lower = `${code} ${detail}`.toLowerCase();
  if (code === 'InaccessibleImage' || lower.includes('inaccessibleimage')) {
    return make(`The image${context.image ? ` '${context.image}'` : ''} cannot be pulled (InaccessibleImage) while ${context.operation}: check input 'image' and the registry inputs (registryServer, registryUsername/registryPassword or registryIdentity). ${detail}`);
  }
  if (lower.includes('quota') || code === 'ContainerGroupQuotaReached' || code === 'ActiveJobAndScheduleQuotaReached') {
    return make(`A quota was reached while ${context.operation}: ${detail}. Ask for a higher quota, lower 'count', or use another region`);
  }
  if (status === 401 || /^(AuthenticationFailed|InvalidAuthenticationToken\w*|ExpiredAuthenticationToken)$/.test(code)) {
    return make(`${context.service} did not accept ${context.identity} (${code || status}) while ${context.operation}: ${detail}`);
  }
  if (status === 403 || code === 'AuthorizationFailed' || code === 'InsufficientAccountPermissions') {
    return make(`${context.identity} is not allowed to do this (${code || status}) while ${context.operation}: ${detail}. ` +
      (context.service === 'Azure Batch' ? 'Grant it the Azure Batch Data Contributor role on the account' : 'Grant it the Contributor role on the resource group'));
  }
  if (code === 'ResourceGroupNotFound') return make(`The resource group in input 'resourceGroup' does not exist: ${detail}`);
  if (code === 'SubscriptionNotFound' || code === 'InvalidSubscriptionId') return make(`The subscription cannot be used: ${detail}. Check input 'subscriptionId' or the service connection`);
  if (code === 'PoolNotFound') return make(`The Batch pool in input 'batchPoolId' does not exist: ${detail}`);
  return make(`${context.service} failed while ${context.operation}${code ? ` (${code})` : status ? ` (${status})` : ''}: ${detail}`);
}

export interface CloudCallOptions {
  service: ServiceName;
  /** Prefix of the debug line of each retry: "ARM", "Batch". */
  label: string;
  identity: string;
  clock: Clock;
  signal?: AbortSignal;
  deadline?: () => number | undefined;
  debug?: (message: string) => void;
}

/** A provider's cloud call: transient failures retried within the deadline, the last one explained. */
export function retryCloudCall<T>(options: CloudCallOptions, operation: string, fn: () => Promise<T>, image?: string): Promise<T> {
  return withRetry(fn, {
    // Our own errors (a token request already retried, a final answer explained) are never retried again.
    isRetryable: (error) => !(error instanceof TaskError) && isTransient(error),
    clock: options.clock,
    signal: options.signal,
    deadline: options.deadline?.(),
    onRetry: (error, attempt, delay) => options.debug?.(`${options.label} ${operation}: retry ${attempt} in ${delay} ms (${String((error as Error)?.message ?? error)})`),
  }).catch((error: unknown) => {
    throw explainCloudError(error, { service: options.service, operation, identity: options.identity, image });
  });
}
