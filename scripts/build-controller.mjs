// Bundles the standing controller into dist/controller/index.js (one file, no node_modules), with the
// same esbuild settings as the tasks. A long-running process starts once, so it needs no lazy chunks.
import { build } from 'esbuild';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

export async function bundleController({ minify = true } = {}) {
  const outfile = path.join(root, 'dist', 'controller', 'index.js');
  await build({
    bundle: true, platform: 'node', target: 'node20', format: 'cjs', legalComments: 'none', logLevel: 'warning',
    entryPoints: [path.join(root, 'controller', 'src', 'index.ts')],
    outfile,
    minify,
    sourcemap: 'linked',
    loader: { '.json': 'json' },
  });
  return outfile;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await bundleController();
  process.stderr.write('bundled controller\n');
}
