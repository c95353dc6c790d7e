// Azure Batch error bodies: OData-flavoured BatchError with the RequestId and Time lines the real
// service appends to `message.value`.
import { randomUUID } from 'node:crypto';
import type { Reply } from '../context';

export interface BatchErrorDetail {
  key: string;
  value: string;
}

export function batchErrorReply(batchUrl: string, status: number, code: string, message: string, values?: BatchErrorDetail[]): Reply {
  const requestId = randomUUID();
  const base = batchUrl.replace(/\/$/, '');
  return {
    status,
    headers: {
      'request-id': requestId,
      'Content-Type': 'application/json;odata=minimalmetadata',
      DataServiceVersion: '3.0',
    },
    body: {
      'odata.metadata': `${base}/$metadata#Microsoft.Azure.Batch.Protocol.Entities.Container.errors/@Element`,
      code,
      message: { lang: 'en-US', value: `${message}\nRequestId:${requestId}\nTime:${new Date().toISOString()}` },
      ...(values && values.length > 0 ? { values } : {}),
    },
  };
}

/** What a handler throws to answer with a BatchError. */
export class BatchHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly values?: BatchErrorDetail[],
  ) {
    super(message);
    this.name = 'BatchHttpError';
  }
}

export function invalidValue(property: string, value: string, reason: string): BatchHttpError {
  return new BatchHttpError(400, 'InvalidPropertyValue', 'The value provided for one of the properties in the request body is invalid.', [
    { key: 'PropertyName', value: property },
    { key: 'PropertyValue', value },
    { key: 'Reason', value: reason },
  ]);
}

export function missingProperty(property: string): BatchHttpError {
  return new BatchHttpError(400, 'MissingRequiredProperty', 'A required property was not specified in the request body.', [
    { key: 'PropertyName', value: property },
  ]);
}
