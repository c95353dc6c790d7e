// ARM's error envelope (CloudError) and the standard errors every resource provider answers with.
import type { Reply } from '../context';

export function cloudError(status: number, code: string, message: string, headers?: Record<string, string>): Reply {
  return { status, headers, body: { error: { code, message } } };
}

export function resourceGroupNotFound(resourceGroup: string): Reply {
  return cloudError(404, 'ResourceGroupNotFound', `Resource group '${resourceGroup}' could not be found.`);
}

export function containerGroupNotFound(name: string, resourceGroup: string): Reply {
  return cloudError(404, 'ResourceNotFound',
    `The Resource 'Microsoft.ContainerInstance/containerGroups/${name}' under resource group '${resourceGroup}' was not found. ` +
    'For more details please go to https://aka.ms/ARMResourceNotFoundFix');
}

export function invalidRequestContent(detail: string): Reply {
  return cloudError(400, 'InvalidRequestContent', `The request content was invalid and could not be deserialized: '${detail}'.`);
}
