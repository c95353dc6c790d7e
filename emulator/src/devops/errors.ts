// Azure DevOps error bodies: the JSON the server writes for a WrappedException, which node-api
// surfaces as `err.message` (body.message) with `err.statusCode`.
import { randomUUID } from 'node:crypto';
import type { Reply } from '../context';

const TYPE_NAMESPACES: Record<string, string> = {
  UnauthorizedRequestException: 'Microsoft.TeamFoundation.Framework.Server.UnauthorizedRequestException, Microsoft.TeamFoundation.Framework.Server',
  RequestBlockedException: 'Microsoft.TeamFoundation.Framework.Server.RequestBlockedException, Microsoft.TeamFoundation.Framework.Server',
};

/** Turns `TaskAgentPoolNotFoundException` into the assembly-qualified name the server reports. */
function typeNameOf(typeKey: string): string {
  return (
    TYPE_NAMESPACES[typeKey] ??
    `Microsoft.TeamFoundation.DistributedTask.WebApi.${typeKey}, Microsoft.TeamFoundation.DistributedTask.WebApi`
  );
}

export function devopsError(status: number, typeKey: string, message: string, headers: Record<string, string | number> = {}): Reply {
  return {
    status,
    headers: { 'ActivityId': randomUUID(), ...headers },
    body: {
      $id: '1',
      innerException: null,
      message,
      typeName: typeNameOf(typeKey),
      typeKey,
      errorCode: 0,
      eventId: 3000,
    },
  };
}

/** The error a handler throws to answer with an Azure DevOps error body. */
export class DevOpsHttpError extends Error {
  constructor(
    readonly status: number,
    readonly typeKey: string,
    message: string,
  ) {
    super(message);
    this.name = 'DevOpsHttpError';
  }
}

export function notFound(typeKey: string, message: string): DevOpsHttpError {
  return new DevOpsHttpError(404, typeKey, message);
}

export function badRequest(message: string, typeKey = 'ArgumentException'): DevOpsHttpError {
  return new DevOpsHttpError(400, typeKey, message);
}
