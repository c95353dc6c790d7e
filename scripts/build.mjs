// Bundles each task into one minified file (dist/tasks/<TaskFolder>/index.js) with esbuild, so the
// task starts fast and the vsix carries no node_modules. Type-checking is tsc's job (npm run build).
//
// Start-up time is dominated by V8 compiling code, and most of it is Azure SDK code a task may never
// run (Batch when the provider is ACI, the identity library when the job token registers...). So the
// SDKs ride in the same file as *lazy chunks* (scripts/lazy-chunks.mjs), compiled on first use.
import { build } from 'esbuild';
import { existsSync, readdirSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { buildChunks, chunkPayload, lazyChunksPlugin } from './lazy-chunks.mjs';
import { deferredModulesPlugin, TASK_LIB_DEFERRED } from './startup-plugins.mjs';
import { bundleController } from './build-controller.mjs';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

// `minify: 'names'` keeps identifiers (for profiling a bundle as it ships, with readable names).
const minifyOptions = (minify) => (minify === 'names' ? { minifyWhitespace: true, minifySyntax: true } : { minify });

const common = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', legalComments: 'none', logLevel: 'warning' };

// A task folder counts once it has both its manifest and its code: a task.json may land before the
// code (the manifest of a task still being written), and esbuild cannot bundle a missing entry point.
export function taskFolders() {
  return readdirSync(path.join(root, 'tasks'), { withFileTypes: true })
    .filter((d) => d.isDirectory() && /V\d+$/.test(d.name))
    .filter((d) => ['task.json', 'src/index.ts'].every((f) => existsSync(path.join(root, 'tasks', d.name, f))))
    .map((d) => d.name)
    .sort();
}

export async function bundleTasks({ minify = true, metafile = false } = {}) {
  const folders = taskFolders();
  const chunks = await buildChunks({ ...common, ...minifyOptions(minify), root });
  // Every task carries every chunk its code can reach; the payload (and so each offset) is the same for all.
  const payload = chunkPayload(chunks);
  const results = await Promise.all(
    folders.map(async (folder) => {
      const outfile = path.join(root, 'dist', 'tasks', folder, 'index.js');
      const result = await build({
        ...common,
        entryPoints: [path.join(root, 'tasks', folder, 'src', 'index.ts')],
        outfile,
        ...minifyOptions(minify),
        sourcemap: false,
        metafile: true,
        loader: { '.json': 'json' },
        plugins: [lazyChunksPlugin(payload.table, root), deferredModulesPlugin(TASK_LIB_DEFERRED)],
      });
      const code = await readFile(outfile, 'utf8');
      await writeFile(outfile, `${code.endsWith('\n') ? code : `${code}\n`}${payload.text}`);
      return { folder, metafile: metafile ? result.metafile : undefined };
    }),
  );
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const results = await bundleTasks();
  // Progress on stderr: `npm run bench` prints only its JSON metric lines on stdout.
  for (const r of results) process.stderr.write(`bundled ${r.folder}\n`);
  await bundleController();
  process.stderr.write('bundled controller\n');
}
