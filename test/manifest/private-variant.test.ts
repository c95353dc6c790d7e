// The private (dev) variant's task ids: UUIDv5 of the publisher in the namespace of the public id.
import assert from 'node:assert/strict';
import { extensionManifest, importScript, taskFolders } from './manifests';

interface PrivateVariant {
  uuidv5(name: string, namespace: string): string;
  privateTaskId(publicId: string, publisher: string): string;
  privateManifest(manifest: unknown): { id: string; public: boolean; contributions: Array<{ type: string; properties: { name: string } }> };
  privateTask(task: unknown, manifest: unknown, publisher: string): { id: string; name: string; friendlyName: string; inputs: Array<{ type: string }> };
}

const V5 = /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('private variant', () => {
  let variant: PrivateVariant;
  before(async () => {
    variant = await importScript<PrivateVariant>('private-variant.mjs');
  });

  it('implements UUIDv5 as RFC 9562 specifies (the RFC example: www.example.com in the DNS namespace)', () => {
    assert.equal(variant.uuidv5('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8'), '2ed6657d-e927-568b-95e1-2665a8aea6a2');
  });

  it('derives stable, valid version-5 task ids, distinct per publisher and per task, never the public id', () => {
    const ids = taskFolders().map(({ task }) => task.id);
    for (const id of ids) {
      const contoso = variant.privateTaskId(id, 'contoso');
      assert.match(contoso, V5);
      assert.equal(variant.privateTaskId(id, 'contoso'), contoso, 'stable');
      assert.equal(variant.privateTaskId(id.toUpperCase(), 'Contoso'), contoso, 'publisher ids and GUIDs ignore case');
      assert.notEqual(variant.privateTaskId(id, 'fabrikam'), contoso, 'distinct per publisher');
      assert.notEqual(contoso, id.toLowerCase());
    }
    const derived = ids.map((id) => variant.privateTaskId(id, 'contoso'));
    assert.equal(new Set(derived).size, ids.length, 'distinct per task');
  });

  it('renames the extension and its service connection type so both variants can be installed side by side', () => {
    const manifest = extensionManifest();
    const dev = variant.privateManifest(manifest);
    assert.equal(dev.id, `${manifest.id}-dev`);
    assert.equal(dev.public, false);
    const endpointType = dev.contributions.find((c) => c.type === 'ms.vss-endpoint.service-endpoint-type');
    assert.equal(endpointType?.properties.name, 'ephemeral-agents-registration-dev');
    const [{ task }] = taskFolders().filter(({ task: t }) => t.inputs.some((i) => i.name === 'registrationConnection'));
    const devTask = variant.privateTask(task, manifest, 'contoso');
    assert.equal(devTask.id, variant.privateTaskId(task.id, 'contoso'));
    assert.ok(devTask.inputs.some((i) => i.type === 'connectedService:ephemeral-agents-registration-dev'));
    assert.ok(!devTask.inputs.some((i) => i.type === 'connectedService:ephemeral-agents-registration'));
    assert.ok(devTask.friendlyName.length <= 40);
  });

  it('gives every task of the dev variant its own name, so Task@Major in YAML means one task when both variants are installed', () => {
    const manifest = extensionManifest();
    const publicTasks = taskFolders().map(({ task }) => task);
    const devTasks = publicTasks.map((task) => variant.privateTask(task, manifest, 'contoso'));
    const references = [...publicTasks, ...devTasks].map((t, i) => `${t.name}@${String(publicTasks[i % publicTasks.length].version.Major)}`.toLowerCase());
    assert.equal(new Set(references).size, references.length, `ambiguous task references: ${references.join(', ')}`);
    const ids = [...publicTasks, ...devTasks].map((t) => t.id.toLowerCase());
    assert.equal(new Set(ids).size, ids.length, 'task ids collide between the variants');
    for (const [i, dev] of devTasks.entries()) {
      assert.match(dev.name, /^[A-Za-z0-9-]+$/);
      assert.equal(dev.name, `${publicTasks[i].name}Dev`, 'the dev name is the public name plus Dev, as the docs say');
    }
  });
});
