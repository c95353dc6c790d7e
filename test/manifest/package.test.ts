// Packages the extension into a temporary folder (as `npm run package` does after the build) and checks
// the vsix: per task only task.json, the bundle and the icon, stamped versions, no node_modules or source
// maps, under 3 MB; and a bundle run from the vsix layout, with no node_modules near it, starts.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import JSZip from 'jszip';
import { contributedTaskFolders, extensionManifest, hasCode, importScript, packageVersion, root, type TaskJson } from './manifests';

const MAX_VSIX_BYTES = 3 * 1024 * 1024;
const PUBLISHER = 'test-publisher';

function runPackage(outDir: string, ...args: string[]): { vsix: string; stdout: string } {
  const result = spawnSync(process.execPath, [path.join(root, 'scripts', 'package.mjs'), '--out-dir', outDir, '--publisher', PUBLISHER, ...args],
    { cwd: root, encoding: 'utf8' });
  assert.equal(result.status, 0, `package.mjs failed:\n${result.stdout}\n${result.stderr}`);
  const vsix = /(\S+\.vsix) \(\d+ bytes/.exec(result.stdout)?.[1];
  assert.ok(vsix, `package.mjs printed no vsix path: ${result.stdout}`);
  return { vsix: path.resolve(root, vsix), stdout: result.stdout };
}

async function openVsix(file: string): Promise<JSZip> {
  const { readFile } = await import('node:fs/promises');
  return JSZip.loadAsync(await readFile(file));
}

async function taskJsonIn(zip: JSZip, folder: string): Promise<TaskJson> {
  return JSON.parse(await zip.file(`${folder}/task.json`)!.async('string')) as TaskJson;
}

describe('npm run package', function () {
  this.timeout(60_000);
  const folders = contributedTaskFolders();
  let tmp: string;
  let publicVsix: string;
  let zip: JSZip;

  before(function () {
    const withoutCode = folders.filter((f) => !hasCode(f));
    if (withoutCode.length > 0) {
      // The manifest test reports contributed folders without code; packaging cannot run before they land.
      this.skip();
    }
    const missing = folders.filter((f) => !existsSync(path.join(root, 'dist', 'tasks', f, 'index.js')));
    assert.deepEqual(missing, [], 'bundles missing from dist/tasks: run npm run build first');
    tmp = mkdtempSync(path.join(os.tmpdir(), 'ephemeral-agents-package-'));
  });

  after(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('builds a vsix named after the publisher, the extension id and the package version, under 3 MB', async () => {
    const { vsix, stdout } = runPackage(path.join(tmp, 'public'));
    publicVsix = vsix;
    assert.equal(path.basename(vsix), `${PUBLISHER}.ephemeral-agents-${packageVersion()}.vsix`);
    const { statSync } = await import('node:fs');
    const bytes = statSync(vsix).size;
    assert.ok(stdout.includes(`${bytes} bytes`), 'prints the size');
    assert.ok(bytes < MAX_VSIX_BYTES, `vsix is ${bytes} bytes`);
    zip = await openVsix(vsix);
    const vsixManifest = await zip.file('extension.vsixmanifest')!.async('string');
    assert.match(vsixManifest, new RegExp(`<Identity [^>]*Id="ephemeral-agents" Publisher="${PUBLISHER}" Version="${packageVersion().replace(/\./g, '\\.')}"`));
  });

  it('holds per task only task.json, index.js and icon.png, and no node_modules or source maps anywhere', () => {
    assert.ok(zip, 'the vsix was built');
    const entries = Object.keys(zip.files).filter((name) => !zip.files[name].dir);
    assert.deepEqual(entries.filter((e) => /(^|\/)node_modules\/|\.map$/.test(e)), []);
    for (const folder of folders) {
      const inFolder = entries.filter((e) => e.startsWith(`${folder}/`)).map((e) => e.slice(folder.length + 1)).sort();
      assert.deepEqual(inFolder, ['icon.png', 'index.js', 'task.json'], folder);
    }
    const manifest = extensionManifest();
    for (const file of (manifest.files ?? []).map((f) => f.path).filter((p) => !folders.includes(p))) {
      assert.ok(entries.includes(file), `${file} is not in the vsix`);
    }
  });

  it('stamps task versions: the folder major, the extension minor and patch', async () => {
    const [, minor, patch] = packageVersion().split('.').map(Number);
    for (const folder of folders) {
      const task = await taskJsonIn(zip, folder);
      assert.deepEqual(task.version, { Major: Number(/V(\d+)$/.exec(folder)?.[1]), Minor: minor, Patch: patch }, folder);
    }
  });

  it('runs each bundle from the vsix layout with no node_modules near it: it starts, finds its task.json and fails on the missing inputs', async () => {
    const place = mkdtempSync(path.join(os.tmpdir(), 'ephemeral-agents-vsix-run-'));
    try {
      for (const folder of folders) {
        const dir = path.join(place, folder);
        mkdirSync(dir, { recursive: true });
        for (const name of ['task.json', 'index.js']) writeFileSync(path.join(dir, name), await zip.file(`${folder}/${name}`)!.async('nodebuffer'));
        const work = mkdtempSync(path.join(place, 'temp-'));
        // Only what every agent sets; no inputs, so the task must stop at input validation.
        const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, AGENT_TEMPDIRECTORY: work, SYSTEM_CULTURE: 'en-US' };
        const result = spawnSync(process.execPath, [path.join(dir, 'index.js')], { cwd: work, env, encoding: 'utf8', timeout: 20_000 });
        const output = `${result.stdout}\n${result.stderr}`;
        assert.doesNotMatch(output, /Cannot find module|MODULE_NOT_FOUND|ERR_REQUIRE/, `${folder}: ${output}`);
        assert.doesNotMatch(output, /loc string for key|LIB_ResourceFile does not exist/, `${folder}: task.json not found for messages: ${output}`);
        assert.match(output, /##vso\[task\.complete result=Failed;?\]/, `${folder} should fail on its missing inputs: ${output}`);
        assert.equal(result.signal, null, `${folder} did not exit by itself`);
      }
    } finally {
      rmSync(place, { recursive: true, force: true });
    }
  });

  it('fails when tfx warns, e.g. about a manifest without targets', async () => {
    assert.ok(publicVsix, 'the public vsix was built');
    const stage = path.join(tmp, 'warning', 'vsix');
    cpSync(path.join(tmp, 'public', 'vsix'), stage, { recursive: true });
    const manifestFile = path.join(stage, 'vss-extension.json');
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as Record<string, unknown>;
    delete manifest.targets;
    writeFileSync(manifestFile, JSON.stringify(manifest));
    const { runTfx } = await importScript<{ runTfx(stage: string, outDir: string, override: object): string }>('package.mjs');
    assert.throws(() => runTfx(stage, path.join(tmp, 'warning'), { publisher: PUBLISHER, version: packageVersion() }), /warned[\s\S]*warning: No recognized targets/);
  });

  it('builds the private variant with its own extension id, derived task ids and task names', async () => {
    assert.ok(publicVsix, 'the public vsix was built');
    const { vsix } = runPackage(path.join(tmp, 'private'), '--private');
    assert.equal(path.basename(vsix), `${PUBLISHER}.ephemeral-agents-dev-${packageVersion()}.vsix`);
    const dev = await openVsix(vsix);
    for (const folder of folders) {
      const [publicTask, devTask] = await Promise.all([taskJsonIn(zip, folder), taskJsonIn(dev, folder)]);
      assert.notEqual(devTask.id, publicTask.id, `${folder}: the dev variant must not reuse the public task id`);
      assert.equal(devTask.name, `${publicTask.name}Dev`, `${folder}: the dev variant's task needs its own name, or Task@1 is ambiguous where both are installed`);
    }
  });
});
