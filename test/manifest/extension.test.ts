// Lints vss-extension.json: identity, assets, and contributions that match the task folders.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import {
  contributedTaskFolders, ENDPOINT_TYPE_CONTRIBUTION, extensionManifest, hasCode, pngSize, root, TASK_CONTRIBUTION, taskFolders,
} from './manifests';

const manifest = extensionManifest();
const contributions = manifest.contributions ?? [];
const taskFolderNames = taskFolders().map((f) => f.folder);

describe('vss-extension.json', () => {
  it('identifies the extension for the Marketplace', () => {
    assert.equal(manifest.manifestVersion, 1);
    assert.equal(manifest.id, 'ephemeral-agents');
    assert.ok(manifest.publisher, 'publisher (overridden at package time)');
    assert.match(manifest.version, /^\d+\.\d+\.\d+$/);
    assert.ok(manifest.name && manifest.description);
    assert.ok(manifest.categories?.includes('Azure Pipelines'));
    assert.deepEqual(manifest.targets, [{ id: 'Microsoft.VisualStudio.Services' }]);
  });

  it('has an icon of at least 128x128 and the overview page, both packaged', () => {
    const icon = manifest.icons?.default ?? '';
    const size = pngSize(path.join(root, icon));
    assert.ok(size && size.width >= 128 && size.height >= 128, `icon ${icon}: ${JSON.stringify(size)}`);
    assert.equal(manifest.content?.details?.path, 'overview.md');
    assert.ok(existsSync(path.join(root, 'overview.md')));
    assert.ok(manifest.files?.some((f) => f.path === icon), `${icon} must be listed in files`);
  });

  it('lists files that exist: task folders by name, other paths from the repository root', () => {
    for (const file of manifest.files ?? []) {
      const isTask = taskFolderNames.includes(file.path);
      const at = isTask ? path.join(root, 'tasks', file.path, 'task.json') : path.join(root, file.path);
      assert.ok(existsSync(at), `files: ${file.path} (${path.relative(root, at)}) does not exist`);
    }
  });

  it('packages every picture the overview shows', () => {
    const overview = readFileSync(path.join(root, 'overview.md'), 'utf8');
    const pictures = [...overview.matchAll(/!\[[^\]]*\]\(([^)\s]+)\)/g)].map((m) => m[1]).filter((p) => !/^https?:/.test(p));
    assert.ok(pictures.length > 0, 'overview.md shows the flow picture');
    for (const picture of pictures) {
      assert.ok(manifest.files?.some((f) => f.path === picture && f.addressable === true), `${picture} must be an addressable file`);
      assert.ok(statSync(path.join(root, picture)).size > 0);
    }
  });

  it('contribution ids are unique and every contribution has a type and targets', () => {
    const ids = contributions.map((c) => c.id);
    assert.equal(new Set(ids).size, ids.length, `duplicate contribution ids: ${ids.join(', ')}`);
    for (const c of contributions) {
      assert.match(c.id, /^[A-Za-z0-9][A-Za-z0-9._-]*$/);
      assert.ok(c.type && c.targets && c.targets.length > 0, `${c.id}: type and targets`);
    }
  });

  it('contributes each task folder that has code, and only those, from the packaged files', () => {
    const contributed = contributedTaskFolders(manifest);
    assert.equal(new Set(contributed).size, contributed.length, 'a task folder is contributed twice');
    for (const c of contributions.filter((x) => x.type === TASK_CONTRIBUTION)) {
      assert.deepEqual(c.targets, ['ms.vss-distributed-task.tasks'], `${c.id}: targets`);
      const folder = String(c.properties?.name);
      assert.ok(taskFolderNames.includes(folder), `${c.id}: tasks/${folder}/task.json does not exist`);
      assert.ok(hasCode(folder), `${c.id}: tasks/${folder}/src/index.ts does not exist: do not contribute a task without code`);
      assert.ok(manifest.files?.some((f) => f.path === folder), `${c.id}: ${folder} is not listed in files`);
    }
    const missing = taskFolderNames.filter((folder) => hasCode(folder) && !contributed.includes(folder));
    assert.deepEqual(missing, [], 'task folders with code that vss-extension.json does not contribute (add a contribution and a files entry)');
  });

  it('contributes the registration service connection type: organization URL, a PAT, and a test that lists agent pools', () => {
    const endpoint = contributions.find((c) => c.type === ENDPOINT_TYPE_CONTRIBUTION);
    assert.ok(endpoint, 'no ms.vss-endpoint.service-endpoint-type contribution');
    assert.deepEqual(endpoint.targets, ['ms.vss-endpoint.endpoint-types']);
    const p = endpoint.properties as {
      name: string; displayName: string; url: { displayName: string };
      authenticationSchemes: Array<{ type: string; inputDescriptors?: Array<{ id: string; isConfidential?: boolean; inputMode?: string }> }>;
      dataSources: Array<{ name: string; endpointUrl: string }>;
    };
    assert.equal(p.name, 'ephemeral-agents-registration');
    assert.ok(p.displayName && p.url?.displayName);
    const token = p.authenticationSchemes.find((s) => s.type === 'ms.vss-endpoint.endpoint-auth-scheme-token');
    assert.ok(token, 'token authentication scheme');
    const apitoken = token.inputDescriptors?.find((d) => d.id === 'apitoken');
    assert.ok(apitoken?.isConfidential === true && apitoken.inputMode === 'passwordbox', 'the PAT input is confidential');
    const test = p.dataSources.find((d) => d.name === 'TestConnection');
    assert.ok(test, 'a TestConnection data source lets "Verify" check the token');
    assert.match(test.endpointUrl, /^\{\{endpoint\.url\}\}_apis\/distributedtask\/pools\b/);
  });
});
