// Packages the extension into a temporary folder (as `npm run package` does after the build) and checks
// the vsix: per task only task.json, icon.png and what the build makes (index.js, plain lazy chunk
// files, a linked source map for each, legal comments, the third-party notices naming every bundled
// package), nothing compressed or evaluated from a string, stamped versions, no node_modules; and a
// bundle run from the vsix layout, with no node_modules near it, starts, and its stack traces name
// our TypeScript sources under --enable-source-maps.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import JSZip from 'jszip';
import { contributedTaskFolders, extensionManifest, hasCode, importScript, packageVersion, root, type TaskJson } from './manifests';

// The source maps (about half of it) are worth their size: stack traces that name real files and lines.
const MAX_VSIX_BYTES = 6 * 1024 * 1024;
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

  it('builds a vsix named after the publisher, the extension id and the package version, under 6 MB', async () => {
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

  const filesOf = (folder: string) => Object.keys(zip.files).filter((e) => !zip.files[e].dir && e.startsWith(`${folder}/`)).map((e) => e.slice(folder.length + 1)).sort();
  const textOf = (folder: string, file: string) => zip.file(`${folder}/${file}`)!.async('string');

  it('holds per task only task.json, icon.png, index.js, plain lazy chunks with their source maps, and the notices; no node_modules', async () => {
    assert.ok(zip, 'the vsix was built');
    const entries = Object.keys(zip.files).filter((name) => !zip.files[name].dir);
    assert.deepEqual(entries.filter((e) => /(^|\/)node_modules\//.test(e)), []);
    for (const folder of folders) {
      const files = filesOf(folder);
      const code = files.filter((f) => f.endsWith('.js'));
      for (const required of ['task.json', 'icon.png', 'index.js', 'ThirdPartyNotices.txt']) assert.ok(files.includes(required), `${folder} has no ${required}`);
      assert.deepEqual(files.filter((f) => !/^(task\.json|icon\.png|ThirdPartyNotices\.txt|(index|lazy-[\w-]+)\.js(\.map|\.LEGAL\.txt)?)$/.test(f)), [], folder);
      assert.ok(code.some((f) => f.startsWith('lazy-')), `${folder} has no lazy chunk file`);
      for (const file of code) {
        const text = await textOf(folder, file);
        assert.match(text, new RegExp(`\\n//# sourceMappingURL=${file.replace(/\./g, '\\.')}\\.map\\n?$`), `${folder}/${file} links no source map`);
        const map = JSON.parse(await textOf(folder, `${file}.map`)) as { sources: string[]; sourcesContent: (string | null)[] };
        assert.ok(map.sources.length > 0, `${folder}/${file}.map maps nothing`);
        if (file === 'index.js') {
          const ours = map.sources.findIndex((s) => /(^|\/)tasks\/common\/src\/.+\.ts$/.test(s));
          assert.ok(ours >= 0, `${folder}/index.js.map names none of tasks/common/src`);
          assert.ok(map.sourcesContent[ours], `${folder}/index.js.map carries no text of ${map.sources[ours]}`);
        }
      }
      // index.js reaches each chunk with a plain require of the file beside it.
      const index = await textOf(folder, 'index.js');
      for (const chunk of code.filter((f) => f.startsWith('lazy-') && f !== 'lazy-deferred.js')) {
        assert.ok(index.includes(`require("./${chunk}")`), `${folder}/index.js does not require ./${chunk}`);
      }
    }
    const manifest = extensionManifest();
    for (const file of (manifest.files ?? []).map((f) => f.path).filter((p) => !folders.includes(p))) {
      assert.ok(entries.includes(file), `${file} is not in the vsix`);
    }
  });

  it('holds nothing compressed into a string or evaluated from one', async () => {
    for (const folder of folders) {
      for (const file of filesOf(folder).filter((f) => f.endsWith('.js'))) {
        const text = await textOf(folder, file);
        const where = `${folder}/${file}`;
        assert.doesNotMatch(text, /require\("(node:)?vm"\)|runInThisContext|runInNewContext|compileFunction/, `${where} uses vm`);
        assert.doesNotMatch(text, /[A-Za-z0-9+/]{256,}={0,2}/, `${where} holds a base64 payload`);
        assert.doesNotMatch(text, /lazy-chunk:/, `${where} holds a packed chunk`);
        // Our own code and the chunk loader: no eval, no Function built from a string (SDK code in the
        // chunks has polyfills that do, which is theirs to answer for).
        if (file === 'index.js') assert.doesNotMatch(text, /(^|[^\w$.])(eval|Function)\(|new Function\b/, `${where} evaluates a string`);
      }
    }
  });

  it('names every bundled package, with its licence text, in each task\'s ThirdPartyNotices.txt', async () => {
    for (const folder of folders) {
      const notices = await textOf(folder, 'ThirdPartyNotices.txt');
      // The packages the source maps name, what esbuild really put in the task's files: for each source,
      // the innermost installed package on its path (the maps are relative to dist/tasks/<folder>).
      const bundled = new Set<string>();
      for (const file of filesOf(folder).filter((f) => f.endsWith('.js.map'))) {
        const map = JSON.parse(await textOf(folder, file)) as { sources: string[] };
        for (const source of map.sources) {
          const absolute = path.resolve(root, 'dist', 'tasks', folder, source);
          const folders = [...absolute.matchAll(/\/node_modules\/(@[^/]+\/)?[^/]+/g)].map((m) => absolute.slice(0, m.index + m[0].length)).reverse();
          const installed = folders.find((f) => existsSync(path.join(f, 'package.json')));
          if (installed) bundled.add((JSON.parse(readFileSync(path.join(installed, 'package.json'), 'utf8')) as { name: string }).name);
        }
      }
      assert.ok(bundled.has('azure-pipelines-task-lib') && bundled.has('@azure/identity'), `${folder}: the maps name ${[...bundled].join(', ')}`);
      const missing = [...bundled].filter((name) => !new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}@\\d\\S* \\(`, 'm').test(notices));
      assert.deepEqual(missing, [], `${folder}/ThirdPartyNotices.txt does not name these bundled packages`);
      assert.match(notices, /Permission is hereby granted, free of charge/, `${folder}: no MIT licence text`);
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
    const probe = path.join(place, 'probe.js');
    writeFileSync(probe, `const write = process.stdout.write;
process.stdout.write = function (chunk, ...rest) {
  if (String(chunk).includes('##vso[task.complete')) process.stderr.write('STACK ' + new Error('probe').stack + '\\n');
  return write.call(this, chunk, ...rest);
};
`);
    try {
      for (const folder of folders) {
        const dir = path.join(place, folder);
        mkdirSync(dir, { recursive: true });
        for (const name of filesOf(folder)) writeFileSync(path.join(dir, name), await zip.file(`${folder}/${name}`)!.async('nodebuffer'));
        const work = mkdtempSync(path.join(place, 'temp-'));
        // Only what every agent sets; no inputs, so the task must stop at input validation.
        const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, AGENT_TEMPDIRECTORY: work, SYSTEM_CULTURE: 'en-US' };
        // The probe prints the stack of an Error made where the task reports its result, from inside the bundle.
        const result = spawnSync(process.execPath, ['--enable-source-maps', '--require', probe, path.join(dir, 'index.js')],
          { cwd: work, env, encoding: 'utf8', timeout: 20_000 });
        const output = `${result.stdout}\n${result.stderr}`;
        assert.match(result.stderr, /STACK[\s\S]*\((\/|[A-Z]:\\).*tasks[\\/]common[\\/]src[\\/][\w\\/.-]+\.ts:\d+:\d+\)/, `${folder}: the stack names no tasks/common/src file: ${result.stderr}`);
        assert.doesNotMatch(output, /Cannot find module|MODULE_NOT_FOUND|ERR_REQUIRE/, `${folder}: ${output}`);
        assert.doesNotMatch(output, /loc string for key|LIB_ResourceFile does not exist/, `${folder}: task.json not found for messages: ${output}`);
        assert.match(output, /##vso\[task\.complete result=Failed;?\]/, `${folder} should fail on its missing inputs: ${output}`);
        assert.equal(result.signal, null, `${folder} did not exit by itself`);
      }
    } finally {
      rmSync(place, { recursive: true, force: true });
    }
  });

  it('a lazy chunk loaded from the vsix throws, naming module and member, on a member the bundle does not know', async () => {
    const place = mkdtempSync(path.join(os.tmpdir(), 'ephemeral-agents-vsix-chunk-'));
    try {
      const folder = folders[0];
      for (const name of filesOf(folder).filter((f) => f.startsWith('lazy-'))) writeFileSync(path.join(place, name), await zip.file(`${folder}/${name}`)!.async('nodebuffer'));
      const script = `const identity = require(${JSON.stringify(path.join(place, 'lazy-identity.js'))})['@azure/identity'];
if (typeof identity.ClientSecretCredential !== 'function') throw new Error('ClientSecretCredential missing');
try { identity.DefaultAzureCredential; } catch (error) { console.log('THREW ' + error.message); }`;
      const result = spawnSync(process.execPath, ['-e', script], { cwd: place, encoding: 'utf8', timeout: 20_000 });
      assert.equal(result.status, 0, result.stderr);
      assert.match(result.stdout, /THREW .*module '@azure\/identity' has no member 'DefaultAzureCredential'/);
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
