// Helpers shared by the Batch route handlers: the call, response headers, body parsing.
import { randomUUID } from 'node:crypto';
import type { EmuRequest, EmulatorContext, Reply } from '../context';
import { BatchHttpError } from './errors';
import type { BatchTaskRunner } from './runner';

export interface BatchCall {
  req: EmuRequest;
  ctx: EmulatorContext;
  /** The account URL without trailing slash, for `url`, `location` and DataServiceId. */
  base: string;
  runner: BatchTaskRunner;
}

export const ODATA_JSON = 'application/json;odata=minimalmetadata';

function rfc1123(iso: string): string {
  return new Date(iso).toUTCString();
}

/** request-id, client-request-id (echoed), DataServiceVersion and, for a resource, ETag/Last-Modified. */
export function batchHeaders(req: EmuRequest, resource?: { eTag: string; lastModified: string }, dataServiceId?: string): Record<string, string> {
  const headers: Record<string, string> = { 'request-id': randomUUID(), DataServiceVersion: '3.0' };
  const clientRequestId = req.headers['client-request-id'];
  if (typeof clientRequestId === 'string') headers['client-request-id'] = clientRequestId;
  if (resource) {
    headers.ETag = resource.eTag;
    headers['Last-Modified'] = rfc1123(resource.lastModified);
  }
  if (dataServiceId) headers.DataServiceId = dataServiceId;
  return headers;
}

export function odata(status: number, req: EmuRequest, body: unknown, resource?: { eTag: string; lastModified: string }): Reply {
  return { status, headers: { ...batchHeaders(req, resource), 'Content-Type': ODATA_JSON }, body };
}

export function empty(status: number, req: EmuRequest, resource?: { eTag: string; lastModified: string }, dataServiceId?: string): Reply {
  return { status, headers: batchHeaders(req, resource, dataServiceId) };
}

export function readBody(req: EmuRequest): Record<string, unknown> {
  const text = req.body.toString('utf8');
  if (!text.trim()) throw new BatchHttpError(400, 'MissingRequiredProperty', 'The request body is missing.');
  try {
    const parsed = JSON.parse(text) as unknown;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch (err) {
    throw Object.assign(new BatchHttpError(400, 'InvalidRequestBody', 'The specified Request Body is not syntactically valid.'), { cause: err });
  }
  throw new BatchHttpError(400, 'InvalidRequestBody', 'The specified Request Body is not syntactically valid.');
}
