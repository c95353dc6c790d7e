// What Microsoft.ContainerInstance checks synchronously on a container group PUT, in the order the
// real service reports them: names, required properties, resources, then whether the images can be pulled.
import type { EmulatorContext, Reply } from '../context';
import { cloudError, invalidRequestContent } from './cloud-error';

type Json = Record<string, unknown>;

export interface ValidContainerGroup {
  location: string;
  tags: Record<string, string>;
  identity?: Json;
  /** `properties` as sent, with defaults applied (restartPolicy, sku, priority). */
  properties: Json;
  /** The containers as sent (`{name, properties}`). */
  containers: Json[];
}

const NAME_RULE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'];
const OS_TYPES = ['Linux', 'Windows'];
const PRIORITIES = ['Regular', 'Spot'];

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** 1-63 characters, lowercase letters, digits and '-', no leading, trailing or double '-'. */
export function validResourceName(name: string): boolean {
  return name.length >= 1 && name.length <= 63 && NAME_RULE.test(name) && !name.includes('--');
}

function invalidName(kind: 'container group' | 'container', code: string, name: string): Reply {
  return cloudError(400, code,
    `The ${kind} name '${name}' is invalid. The ${kind} name must contain no more than 63 characters and only lowercase ` +
    "alphanumeric characters or '-', must start and end with a lowercase alphanumeric character, and must not contain '--'.");
}

function required(property: string, path: string): Reply {
  return invalidRequestContent(`Required property '${property}' not found in JSON. Path '${path}'`);
}

/** Canonical casing of an enum value sent in any case, or undefined when it is none of them. */
function enumValue(value: unknown, allowed: string[]): string | undefined {
  return typeof value === 'string' ? allowed.find((a) => a.toLowerCase() === value.toLowerCase()) : undefined;
}

function invalidEnum(property: string, value: unknown, allowed: string[]): Reply {
  return cloudError(400, 'InvalidRequestContent',
    `The request content was invalid and could not be deserialized: 'Error converting value ${JSON.stringify(value)} to type '${property}'. ` +
    `Allowed values: ${allowed.join(', ')}.'.`);
}

interface Totals { cpu: number; memoryInGB: number }

function validateContainer(container: unknown, index: number, path: string): Reply | Totals {
  const at = `${path}[${index}]`;
  if (!isObject(container)) return invalidRequestContent(`Unexpected value in JSON. Path '${at}'`);
  if (typeof container.name !== 'string') return required('name', at);
  if (!validResourceName(container.name)) return invalidName('container', 'InvalidContainerName', container.name);
  const props = container.properties;
  if (!isObject(props)) return required('properties', at);
  if (typeof props.image !== 'string' || props.image === '') return required('image', `${at}.properties`);
  if (!isObject(props.resources)) return required('resources', `${at}.properties`);
  const requests = props.resources.requests;
  if (!isObject(requests)) return required('requests', `${at}.properties.resources`);
  for (const key of ['cpu', 'memoryInGB'] as const) {
    if (requests[key] === undefined) return required(key, `${at}.properties.resources.requests`);
    if (typeof requests[key] !== 'number' || !(requests[key] > 0)) {
      return cloudError(400, 'InvalidContainerResourceRequest',
        `The '${key}' resource request of container '${container.name}' must be a positive number.`);
    }
  }
  if (props.command !== undefined && (!Array.isArray(props.command) || props.command.some((c) => typeof c !== 'string'))) {
    return invalidRequestContent(`Unexpected value for 'command'. Path '${at}.properties.command'`);
  }
  const env = props.environmentVariables;
  if (env !== undefined) {
    if (!Array.isArray(env)) return invalidRequestContent(`Unexpected value for 'environmentVariables'. Path '${at}.properties.environmentVariables'`);
    for (const [i, variable] of env.entries()) {
      if (!isObject(variable) || typeof variable.name !== 'string') return required('name', `${at}.properties.environmentVariables[${i}]`);
    }
  }
  return { cpu: requests.cpu as number, memoryInGB: requests.memoryInGB as number };
}

/** A container's limit may not exceed what the whole group requests. */
function checkLimits(containers: Json[], total: Totals): Reply | undefined {
  for (const container of containers) {
    const limits = (container.properties as { resources: Json }).resources.limits;
    if (!isObject(limits)) continue;
    for (const key of ['cpu', 'memoryInGB'] as const) {
      const limit = limits[key];
      if (typeof limit === 'number' && limit > total[key]) {
        return cloudError(400, 'ContainerLimitGreaterThanContainerGroupTotalRequest',
          `The container '${String(container.name)}' resource limit '${key}' of '${limit}' is greater than the container group ` +
          `total request of '${total[key]}'. The resource limit must be less than or equal to the total request.`);
      }
    }
  }
  return undefined;
}

function inaccessibleImage(image: string, group: string): Reply {
  return cloudError(400, 'InaccessibleImage',
    `The image '${image}' in container group '${group}' is not accessible. Please check the image and registry credential.`);
}

/** Validates a PUT body; returns the accepted group or the error reply the real service would send. */
export function validateContainerGroup(ctx: EmulatorContext, name: string, body: unknown): ValidContainerGroup | Reply {
  if (!validResourceName(name)) return invalidName('container group', 'InvalidContainerGroupName', name);
  if (!isObject(body)) return invalidRequestContent('Unexpected end when deserializing object. Path \'\'');
  if (typeof body.location !== 'string' || body.location === '') {
    return cloudError(400, 'LocationRequired', 'The location property is required for this definition.');
  }
  const props = body.properties;
  if (!isObject(props)) return required('properties', '');
  if (props.osType === undefined) return required('osType', 'properties');
  const osType = enumValue(props.osType, OS_TYPES);
  if (!osType) return invalidEnum('OperatingSystemTypes', props.osType, OS_TYPES);
  if (!Array.isArray(props.containers)) return required('containers', 'properties');
  if (props.containers.length === 0) {
    return cloudError(400, 'NoContainersInContainerGroup', `The container group '${name}' must contain at least one container.`);
  }
  const restartPolicy = props.restartPolicy === undefined ? 'Never' : enumValue(props.restartPolicy, RESTART_POLICIES);
  if (!restartPolicy) return invalidEnum('ContainerGroupRestartPolicy', props.restartPolicy, RESTART_POLICIES);
  const priority = props.priority === undefined ? undefined : enumValue(props.priority, PRIORITIES);
  if (props.priority !== undefined && !priority) return invalidEnum('ContainerGroupPriority', props.priority, PRIORITIES);
  if (props.subnetIds !== undefined) {
    if (!Array.isArray(props.subnetIds)) return invalidRequestContent("Unexpected value for 'subnetIds'. Path 'properties.subnetIds'");
    for (const [i, subnet] of props.subnetIds.entries()) {
      if (!isObject(subnet) || typeof subnet.id !== 'string') return required('id', `properties.subnetIds[${i}]`);
    }
  }
  // Spot container groups take no inbound connectivity: no subnet, no IP address (Error codes for Spot
  // container creation in Azure Container Instances, learn.microsoft.com/troubleshoot).
  const networked = (Array.isArray(props.subnetIds) && props.subnetIds.length > 0) || isObject(props.ipAddress);
  if (priority === 'Spot' && networked) {
    return cloudError(400, 'SpotPriorityContainerGroupNotSupportedForInboundConnectivity',
      'Spot Priority is not supported for container groups with inbound connectivity.');
  }
  const total: Totals = { cpu: 0, memoryInGB: 0 };
  const seen = new Set<string>();
  for (const [i, container] of props.containers.entries()) {
    const result = validateContainer(container, i, 'properties.containers');
    if ('status' in result) return result;
    const containerName = (container as Json).name as string;
    if (seen.has(containerName)) {
      return cloudError(400, 'DuplicateContainerName', `The container name '${containerName}' is used more than once in container group '${name}'.`);
    }
    seen.add(containerName);
    total.cpu += result.cpu;
    total.memoryInGB += result.memoryInGB;
  }
  const initContainers = props.initContainers ?? [];
  if (!Array.isArray(initContainers)) return invalidRequestContent("Unexpected value for 'initContainers'. Path 'properties.initContainers'");
  for (const [i, init] of initContainers.entries()) {
    if (!isObject(init) || typeof init.name !== 'string') return required('name', `properties.initContainers[${i}]`);
    if (!isObject(init.properties)) return required('properties', `properties.initContainers[${i}]`);
  }
  const limitError = checkLimits(props.containers as Json[], total);
  if (limitError) return limitError;

  const images = [...props.containers, ...initContainers]
    .map((c) => ((c as Json).properties as Json).image)
    .filter((image): image is string => typeof image === 'string');
  const unrunnable = images.find((image) => !ctx.containers.canRun(image));
  if (unrunnable !== undefined) return inaccessibleImage(unrunnable, name);

  const tags = isObject(body.tags) ? Object.fromEntries(Object.entries(body.tags).map(([k, v]) => [k, String(v)])) : {};
  return {
    location: body.location,
    tags,
    identity: isObject(body.identity) ? body.identity : undefined,
    properties: { ...props, osType, restartPolicy, sku: props.sku ?? 'Standard', ...(priority ? { priority } : {}) },
    containers: props.containers as Json[],
  };
}
