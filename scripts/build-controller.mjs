// Bundles the standing controller into dist/controller/index.js (one file, no node_modules) with the
// tasks' esbuild settings, and the licences of the packages it bundles into ThirdPartyNotices.txt
// beside it. A long-running process starts once, so it needs no lazy chunks.
import { build } from 'esbuild';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundledPackages, installedPackages, NOTICES_FILE, noticesText } from './notices.mjs';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

export async function bundleController({ minify = true } = {}) {
  const dir = path.join(root, 'dist', 'controller');
  const outfile = path.join(dir, 'index.js');
  const result = await build({
    bundle: true, platform: 'node', target: 'node20', format: 'cjs', legalComments: 'none', logLevel: 'warning',
    entryPoints: [path.join(root, 'controller', 'src', 'index.ts')],
    outfile,
    minify,
    sourcemap: 'linked',
    metafile: true,
    absWorkingDir: root,
    loader: { '.json': 'json' },
  });
  const packages = await installedPackages(root);
  const bundled = bundledPackages(Object.keys(result.metafile.inputs), packages, root);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, NOTICES_FILE), noticesText('the controller', bundled, packages));
  return { outfile, packages: bundled };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { packages } = await bundleController();
  process.stderr.write(`bundled controller (${packages.length} packages)\n`);
}
