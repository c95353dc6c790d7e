// Bundles each task with esbuild into dist/tasks/<TaskFolder>/: its index.js, the lazy SDK chunks its
// code can require (lazy-<name>.js, scripts/lazy-chunks.mjs), a linked source map for each, the legal
// comments esbuild found (*.LEGAL.txt) and the licences of the packages bundled (ThirdPartyNotices.txt,
// scripts/notices.mjs). The vsix then carries no node_modules. Type-checking is tsc's job (npm run build).
//
// Start-up time is dominated by V8 compiling code, and most of it is Azure SDK code a task may never
// run (Batch when the provider is ACI, the identity library when the job token registers...). So the
// SDKs are plain files beside index.js, required on first use.
import { build } from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildChunks, chunkFile, chunksRequiredBy, lazyChunksPlugin } from './lazy-chunks.mjs';
import { bundledPackages, installedPackages, NOTICES_FILE, noticesText } from './notices.mjs';
import { deferredModulesPlugin, TASK_LIB_DEFERRED } from './startup-plugins.mjs';
import { bundleController } from './build-controller.mjs';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

// `minify: 'names'` keeps identifiers (for profiling a bundle as it ships, with readable names).
const minifyOptions = (minify) => (minify === 'names' ? { minifyWhitespace: true, minifySyntax: true } : { minify });

// Linked source maps: a stack trace (node --enable-source-maps) names the real file and line, ours or
// an SDK's. They carry the text of our own sources, so a debugger shows the TypeScript that threw;
// not that of the packages (public, named with their version in the notices), which would triple
// the vsix. Metafile paths are relative to the repository root.
const common = {
  bundle: true, platform: 'node', target: 'node20', format: 'cjs', legalComments: 'linked', logLevel: 'warning',
  sourcemap: 'linked', sourcesContent: true, metafile: true, absWorkingDir: root,
};

// A task folder counts once it has both its manifest and its code: a task.json may land before the
// code (the manifest of a task still being written), and esbuild cannot bundle a missing entry point.
export function taskFolders() {
  return readdirSync(path.join(root, 'tasks'), { withFileTypes: true })
    .filter((d) => d.isDirectory() && /V\d+$/.test(d.name))
    .filter((d) => ['task.json', 'src/index.ts'].every((f) => existsSync(path.join(root, 'tasks', d.name, f))))
    .map((d) => d.name)
    .sort();
}

const relative = (file) => path.relative(root, file).split(path.sep).join('/');

/** The chunks `names` require, and those they require in turn. */
function chunkClosure(names, chunkMetafiles, chunkDir) {
  const needed = new Set();
  const visit = (name) => {
    if (needed.has(name)) return;
    if (!chunkMetafiles[name]) throw new Error(`${chunkFile(name)} is required but no such chunk was built`);
    needed.add(name);
    for (const next of chunksRequiredBy(chunkMetafiles[name].outputs[relative(path.join(chunkDir, chunkFile(name)))])) visit(next);
  };
  names.forEach(visit);
  return [...needed].sort();
}

/**
 * Rewrites the source map `from` into `to`: sources relative to its new folder, and the text of
 * package sources (node_modules) left out (see `common`).
 */
function writeSourceMap(from, to) {
  const map = JSON.parse(readFileSync(from, 'utf8'));
  map.sources = map.sources.map((s) => path.relative(path.dirname(to), path.resolve(path.dirname(from), s)).split(path.sep).join('/'));
  map.sourcesContent = map.sourcesContent?.map((text, i) => (/(^|\/)node_modules\//.test(map.sources[i]) ? null : text));
  writeFileSync(to, JSON.stringify(map));
}

/** Copies a chunk, its legal comments and its source map into `dir`. */
function copyChunk(name, chunkDir, dir) {
  const file = chunkFile(name);
  copyFileSync(path.join(chunkDir, file), path.join(dir, file));
  const legal = `${file}.LEGAL.txt`;
  if (existsSync(path.join(chunkDir, legal))) copyFileSync(path.join(chunkDir, legal), path.join(dir, legal));
  writeSourceMap(path.join(chunkDir, `${file}.map`), path.join(dir, `${file}.map`));
}

export async function bundleTasks({ minify = true } = {}) {
  const folders = taskFolders();
  const chunkDir = path.join(root, 'dist', 'chunks');
  for (const dir of [chunkDir, ...folders.map((f) => path.join(root, 'dist', 'tasks', f))]) rmSync(dir, { recursive: true, force: true });
  const [chunks, packages] = await Promise.all([
    buildChunks({ ...common, ...minifyOptions(minify), root, outdir: chunkDir }),
    installedPackages(root),
  ]);
  return Promise.all(
    folders.map(async (folder) => {
      const dir = path.join(root, 'dist', 'tasks', folder);
      const outfile = path.join(dir, 'index.js');
      const result = await build({
        ...common,
        entryPoints: [path.join(root, 'tasks', folder, 'src', 'index.ts')],
        outfile,
        ...minifyOptions(minify),
        loader: { '.json': 'json' },
        plugins: [lazyChunksPlugin(), deferredModulesPlugin(TASK_LIB_DEFERRED)],
      });
      writeSourceMap(`${outfile}.map`, `${outfile}.map`);
      const own = result.metafile.outputs[relative(outfile)];
      const needed = chunkClosure(chunksRequiredBy(own), chunks, chunkDir);
      mkdirSync(dir, { recursive: true });
      for (const name of needed) copyChunk(name, chunkDir, dir);
      const outputs = [own, ...needed.map((name) => chunks[name].outputs[relative(path.join(chunkDir, chunkFile(name)))])];
      const perFile = outputs.map((output) => bundledPackages(Object.keys(output.inputs), packages, root));
      // task-lib keeps state (its secret vault, the variables it read): a second copy would not see it.
      const taskLibCopies = perFile.flat().filter((id) => id.startsWith('azure-pipelines-task-lib@'));
      if (taskLibCopies.length !== 1) throw new Error(`${folder} bundles azure-pipelines-task-lib ${taskLibCopies.length} times (${taskLibCopies.join(', ')}): it must be once, in index.js`);
      const bundled = [...new Set(perFile.flat())].sort();
      writeFileSync(path.join(dir, NOTICES_FILE), noticesText(folder, bundled, packages));
      return { folder, chunks: needed, packages: bundled, files: readdirSync(dir).sort() };
    }),
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const results = await bundleTasks();
  // Progress on stderr: `npm run bench` prints only its JSON metric lines on stdout.
  for (const r of results) process.stderr.write(`bundled ${r.folder} (chunks: ${r.chunks.join(', ')}; ${r.packages.length} packages)\n`);
  await bundleController();
  process.stderr.write('bundled controller\n');
}
