// The private (dev) variant of the extension: installable next to the public one in the same
// organization, so it needs its own extension id, task ids, task names and service connection type
// name (with the public names, `RequestEphemeralAgent@1` would be ambiguous in YAML).
// Task ids are derived, never stored: UUIDv5 of the publisher in the namespace of the public task id
// gives every publisher its own stable ids, and the public ids in task.json stay the only source.
import { createHash } from 'node:crypto';

export const PRIVATE_SUFFIX = '-dev';
/** Appended to task names: the dev variant's tasks are `RequestEphemeralAgentDev@1` and so on. */
export const PRIVATE_TASK_NAME_SUFFIX = 'Dev';
const NAME_MARK = ' (dev)';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** RFC 9562 UUID version 5: SHA-1 of the namespace's 16 bytes followed by the name's UTF-8 bytes. */
export function uuidv5(name, namespace) {
  if (!UUID.test(namespace)) throw new Error(`UUIDv5 namespace must be a UUID; got '${namespace}'`);
  const hash = createHash('sha1')
    .update(Buffer.from(namespace.replace(/-/g, ''), 'hex'))
    .update(Buffer.from(name, 'utf8'))
    .digest();
  const bytes = hash.subarray(0, 16);
  bytes[6] = (bytes[6] & 0x0f) | 0x50; // version 5
  bytes[8] = (bytes[8] & 0x3f) | 0x80; // RFC variant
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The id of a task in the private variant published by `publisher` (publisher ids ignore case). */
export function privateTaskId(publicId, publisher) {
  if (!publisher) throw new Error('A publisher is needed to derive private task ids');
  return uuidv5(publisher.toLowerCase(), publicId.toLowerCase());
}

function endpointTypeNames(manifest) {
  return (manifest.contributions ?? [])
    .filter((c) => c.type === 'ms.vss-endpoint.service-endpoint-type')
    .map((c) => c.properties.name);
}

/** A copy of vss-extension.json for the private variant. */
export function privateManifest(manifest) {
  const copy = JSON.parse(JSON.stringify(manifest));
  copy.id = `${manifest.id}${PRIVATE_SUFFIX}`;
  copy.name = `${manifest.name}${NAME_MARK}`;
  copy.public = false;
  for (const contribution of copy.contributions ?? []) {
    if (contribution.type === 'ms.vss-endpoint.service-endpoint-type') {
      contribution.properties.name = `${contribution.properties.name}${PRIVATE_SUFFIX}`;
      contribution.properties.displayName = `${contribution.properties.displayName}${NAME_MARK}`;
    }
  }
  return copy;
}

/** The name YAML uses for a task of the private variant. */
export function privateTaskName(publicName) {
  return `${publicName}${PRIVATE_TASK_NAME_SUFFIX}`;
}

/** A copy of a task.json for the private variant of `manifest` (the public vss-extension.json). */
export function privateTask(task, manifest, publisher) {
  const copy = JSON.parse(JSON.stringify(task));
  copy.id = privateTaskId(task.id, publisher);
  copy.name = privateTaskName(task.name);
  copy.friendlyName = `${task.friendlyName}${NAME_MARK}`;
  const endpointTypes = new Set(endpointTypeNames(manifest));
  for (const input of copy.inputs ?? []) {
    const type = /^connectedService:(.+)$/.exec(input.type)?.[1];
    if (type && endpointTypes.has(type)) input.type = `connectedService:${type}${PRIVATE_SUFFIX}`;
  }
  return copy;
}
