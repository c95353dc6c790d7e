// Bundles each task into one minified file (dist/tasks/<TaskFolder>/index.js) with esbuild, so the
// task starts fast and the vsix carries no node_modules. Type-checking is tsc's job (npm run build).
import { build } from 'esbuild';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

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
  const results = await Promise.all(
    folders.map((folder) =>
      build({
        entryPoints: [path.join(root, 'tasks', folder, 'src', 'index.ts')],
        outfile: path.join(root, 'dist', 'tasks', folder, 'index.js'),
        bundle: true,
        platform: 'node',
        target: 'node20',
        format: 'cjs',
        minify,
        sourcemap: false,
        legalComments: 'none',
        metafile,
        // task-lib reads its own lib.json (loc strings) next to its module; keep it resolvable.
        loader: { '.json': 'json' },
        logLevel: 'warning',
      }).then((r) => ({ folder, metafile: r.metafile })),
    ),
  );
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const results = await bundleTasks();
  for (const r of results) console.log(`bundled ${r.folder}`);
}
