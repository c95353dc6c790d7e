// Bundles each task into one minified file (dist/tasks/<TaskFolder>/index.js) with esbuild, so the
// task starts fast and the vsix carries no node_modules. Type-checking is tsc's job (npm run build).
//
// Start-up time is dominated by V8 compiling the bundle, and most of it is Azure SDK code a task may
// never run (Batch when the provider is ACI, the identity library when the job token registers...).
// So the SDKs the core loads lazily (`require` inside a function) are bundled as *lazy chunks*: each
// is built separately and embedded in the task's one file as a string, which V8 scans without
// compiling; the first `require` of one of its modules compiles and runs it (vm, with its own file
// name for stack traces). A task pays only for the SDKs it uses, and still ships one file.
import { build } from 'esbuild';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

/**
 * Lazily loaded SDK modules, grouped by what is used together (one chunk shares one copy of its
 * dependencies): module -> '*' (the whole module) or the names the core uses, which lets esbuild
 * drop the rest of the package from its ES module build (`esm`). A module required at start-up, or
 * not listed, is simply bundled as usual.
 */
export const LAZY_CHUNKS = {
  // azure-auth.ts uses these four credentials; another one must be added here.
  identity: { esm: true, modules: { '@azure/identity': ['ClientSecretCredential', 'ClientCertificateCredential', 'ClientAssertionCredential', 'ManagedIdentityCredential'] } },
  aci: { modules: { '@azure/arm-containerinstance': '*', '@azure/core-rest-pipeline': '*' } },
  batch: { modules: { '@azure/batch': '*', '@azure/ms-rest-js': '*' } },
  devops: {
    modules: {
      'azure-devops-node-api/TaskAgentApiBase': '*',
      'azure-devops-node-api/TaskApi': '*',
      'azure-devops-node-api/handlers/personalaccesstoken': '*',
      'azure-devops-node-api/handlers/bearertoken': '*',
    },
  },
};

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

/** Builds one chunk: its exports hold each of its modules, by module name. */
async function buildChunk(name, { esm = false, modules }, minify) {
  const contents = Object.entries(modules)
    .map(([module, names], i) => (names === '*'
      ? `import * as m${i} from ${JSON.stringify(module)};`
      : `import { ${names.join(', ')} } from ${JSON.stringify(module)}; const m${i} = { ${names.join(', ')} };`)
      + ` export { m${i} as ${JSON.stringify(module)} };`)
    .join('\n');
  const result = await build({
    ...common,
    stdin: { contents, resolveDir: root, sourcefile: `lazy-${name}.js`, loader: 'js' },
    write: false,
    minify,
    ...(esm ? { mainFields: ['module', 'main'] } : {}),
  });
  return result.outputFiles[0].text;
}

/** Resolves each lazy module to a tiny module that evaluates its chunk (once) and picks the module. */
function lazyChunksPlugin(chunks) {
  const chunkOf = new Map(Object.entries(LAZY_CHUNKS).flatMap(([chunk, { modules }]) => Object.keys(modules).map((m) => [m, chunk])));
  return {
    name: 'lazy-chunks',
    setup(esbuild) {
      esbuild.onResolve({ filter: /.*/ }, (args) => {
        if (args.namespace === 'lazy') return undefined;
        const chunk = chunkOf.get(args.path);
        // Only the task's own code is redirected; an SDK requiring another SDK keeps its own copy.
        if (!chunk || args.importer.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
        return { path: args.path, namespace: 'lazy', pluginData: { chunk } };
      });
      esbuild.onResolve({ filter: /^lazy-chunk:/, namespace: 'lazy' }, (args) => ({ path: args.path, namespace: 'lazy' }));
      esbuild.onLoad({ filter: /.*/, namespace: 'lazy' }, (args) => {
        if (args.path.startsWith('lazy-chunk:')) {
          const chunk = args.path.slice('lazy-chunk:'.length);
          const source = `(function (exports, require, module, __filename, __dirname) {${chunks[chunk]}\n})`;
          return {
            contents: `const vm = require('node:vm');
const fn = vm.runInThisContext(${JSON.stringify(source)}, { filename: __dirname + '/lazy-${chunk}.js' });
fn(module.exports, require, module, __filename, __dirname);`,
            loader: 'js',
            resolveDir: root,
          };
        }
        return { contents: `module.exports = require('lazy-chunk:${args.pluginData.chunk}')[${JSON.stringify(args.path)}];`, loader: 'js', resolveDir: root };
      });
    },
  };
}

export async function bundleTasks({ minify = true, metafile = false } = {}) {
  const folders = taskFolders();
  const chunks = Object.fromEntries(
    await Promise.all(Object.entries(LAZY_CHUNKS).map(async ([name, chunk]) => [name, await buildChunk(name, chunk, minify)])),
  );
  const results = await Promise.all(
    folders.map((folder) =>
      build({
        ...common,
        entryPoints: [path.join(root, 'tasks', folder, 'src', 'index.ts')],
        outfile: path.join(root, 'dist', 'tasks', folder, 'index.js'),
        minify,
        sourcemap: false,
        metafile,
        loader: { '.json': 'json' },
        plugins: [lazyChunksPlugin(chunks)],
      }).then((r) => ({ folder, metafile: r.metafile })),
    ),
  );
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const results = await bundleTasks();
  for (const r of results) console.log(`bundled ${r.folder}`);
}
