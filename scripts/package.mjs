// Packages the extension: stages dist/vsix/ with, per contributed task, only its task.json (version
// stamped), what the build made for it (bundle, lazy chunks, source maps, notices) and its icon, plus the manifest and the files it lists; then runs
// tfx-cli. Any tfx warning fails the packaging. Run after `npm run build` (npm run package does both).
//
//   node scripts/package.mjs [--publisher <id>] [--private] [--out-dir <dir>]
//
// --private builds the dev variant (extension id suffixed -dev, derived task ids, task names suffixed Dev,
// e.g. RequestEphemeralAgentDev@1): see private-variant.mjs.
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { privateManifest, privateTask } from './private-variant.mjs';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const TASK_CONTRIBUTION = 'ms.vss-distributed-task.task';
/**
 * What a task folder in the vsix holds besides its task.json and icon.png: what the build put in
 * dist/tasks/<folder>/ (index.js, its lazy chunks, their source maps, legal comments and the
 * third-party notices: see build.mjs), nothing else (no node_modules).
 */
export const TASK_BUILD_FILES = /^(index|lazy-[\w-]+)\.js(\.map|\.LEGAL\.txt)?$|^ThirdPartyNotices\.txt$/;

function readJson(file) {
  return JSON.parse(readFileSync(file, 'utf8'));
}

/** Task folders contributed by vss-extension.json: the manifest is the source of truth. */
export function contributedTaskFolders(manifest) {
  return (manifest.contributions ?? []).filter((c) => c.type === TASK_CONTRIBUTION).map((c) => c.properties.name);
}

/** Task version: the folder's Major (TaskV1 -> 1), the extension's minor and patch. */
export function stampedVersion(folder, extensionVersion) {
  const major = /V(\d+)$/.exec(folder)?.[1];
  const parts = /^(\d+)\.(\d+)\.(\d+)/.exec(extensionVersion);
  if (!major || !parts) throw new Error(`Cannot stamp a version for ${folder} from extension version '${extensionVersion}'`);
  return { Major: Number(major), Minor: Number(parts[2]), Patch: Number(parts[3]) };
}

function stageTask(folder, stage, { manifest, version, publisher, isPrivate }) {
  const source = path.join(root, 'tasks', folder);
  const bundle = path.join(root, 'dist', 'tasks', folder, 'index.js');
  if (!existsSync(bundle)) {
    throw new Error(`vss-extension.json contributes ${folder}, but its bundle ${path.relative(root, bundle)} is missing: ` +
      `run 'npm run build' (it needs tasks/${folder}/src/index.ts)`);
  }
  let task = readJson(path.join(source, 'task.json'));
  task.version = stampedVersion(folder, version);
  if (isPrivate) task = privateTask(task, manifest, publisher);
  const target = path.join(stage, folder);
  mkdirSync(target, { recursive: true });
  writeFileSync(path.join(target, 'task.json'), `${JSON.stringify(task, null, 2)}\n`);
  for (const file of readdirSync(path.dirname(bundle))) {
    if (!TASK_BUILD_FILES.test(file)) throw new Error(`${path.relative(root, path.join(path.dirname(bundle), file))} is not a file the build makes: run 'npm run build' again`);
    copyFileSync(path.join(path.dirname(bundle), file), path.join(target, file));
  }
  copyFileSync(path.join(source, 'icon.png'), path.join(target, 'icon.png'));
}

function stageFile(relative, stage) {
  const from = path.join(root, relative);
  if (!existsSync(from)) throw new Error(`vss-extension.json lists ${relative}, which does not exist`);
  const to = path.join(stage, relative);
  mkdirSync(path.dirname(to), { recursive: true });
  cpSync(from, to, { recursive: true });
}

/** Runs `tfx extension create` over a staged folder; throws when it fails or prints any warning. */
export function runTfx(stage, outDir, override) {
  const require = createRequire(import.meta.url);
  const tfxPackage = require.resolve('tfx-cli/package.json');
  const bin = require(tfxPackage).bin;
  const tfx = path.join(path.dirname(tfxPackage), typeof bin === 'string' ? bin : bin.tfx);
  const result = spawnSync(process.execPath, [
    tfx, 'extension', 'create', '--root', stage, '--manifest-globs', 'vss-extension.json',
    '--output-path', outDir, '--override', JSON.stringify(override), '--no-prompt', '--no-color', '--json',
  ], { cwd: stage, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  const output = `${result.stdout ?? ''}\n${result.stderr ?? ''}`;
  const warnings = output.split(/\r?\n/).filter((line) => /warning:/i.test(line));
  if (result.status !== 0 || warnings.length > 0) {
    throw new Error(`tfx extension create ${result.status === 0 ? 'warned' : `failed (exit ${result.status})`}:\n${output.trim()}`,
      { cause: result.error });
  }
  return output;
}

/**
 * Builds the vsix. Returns its path and size. `outDir` receives the vsix and the staging folder
 * `vsix/` (emptied first).
 */
export function packageExtension({ publisher, isPrivate = false, outDir = path.join(root, 'dist') } = {}) {
  const publicManifest = readJson(path.join(root, 'vss-extension.json'));
  const version = readJson(path.join(root, 'package.json')).version;
  const owner = publisher ?? publicManifest.publisher;
  const manifest = isPrivate ? privateManifest(publicManifest) : publicManifest;
  const stage = path.join(outDir, 'vsix');
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(stage, { recursive: true });

  const folders = contributedTaskFolders(publicManifest);
  for (const folder of folders) stageTask(folder, stage, { manifest: publicManifest, version, publisher: owner, isPrivate });
  const listed = (manifest.files ?? []).map((f) => f.path).filter((p) => !folders.includes(p));
  const content = Object.values(manifest.content ?? {}).map((c) => c.path);
  for (const file of [...new Set([...listed, ...content])]) stageFile(file, stage);
  writeFileSync(path.join(stage, 'vss-extension.json'), `${JSON.stringify(manifest, null, 2)}\n`);

  runTfx(stage, outDir, { publisher: owner, version });
  const vsixPath = path.join(outDir, `${owner}.${manifest.id}-${version}.vsix`);
  if (!existsSync(vsixPath)) throw new Error(`tfx reported success but ${vsixPath} is missing`);
  return { vsixPath, bytes: statSync(vsixPath).size, stage };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: { publisher: { type: 'string' }, private: { type: 'boolean', default: false }, 'out-dir': { type: 'string' } },
  });
  try {
    const result = packageExtension({
      publisher: values.publisher,
      isPrivate: values.private,
      outDir: values['out-dir'] ? path.resolve(values['out-dir']) : undefined,
    });
    console.log(`${path.relative(process.cwd(), result.vsixPath) || result.vsixPath} (${result.bytes} bytes, ${(result.bytes / 1048576).toFixed(2)} MB)`);
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  }
}
