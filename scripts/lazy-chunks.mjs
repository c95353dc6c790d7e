// Lazy chunks: the SDKs the core loads lazily (`require` inside a function) are built apart from the
// task's code, each into a plain file `lazy-<name>.js` that sits beside the task's `index.js` and is
// loaded with a plain `require('./lazy-<name>.js')` on first use. A task pays only for the SDKs it
// uses; every chunk has its linked source map, so stack traces name the real sources.
import { build } from 'esbuild';
import path from 'node:path';
import { startupPlugins, strictFacadeSource } from './startup-plugins.mjs';

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
  // Behind a proxy with the agent's own CA (proxy-tls-agent.ts).
  proxy: { modules: { 'https-proxy-agent': '*' } },
  devops: {
    modules: {
      'azure-devops-node-api/TaskAgentApiBase': '*',
      'azure-devops-node-api/TaskApi': '*',
      'azure-devops-node-api/handlers/personalaccesstoken': '*',
      'azure-devops-node-api/handlers/bearertoken': '*',
    },
  },
};

/** The file a chunk is built into, and the specifier code beside it requires it by. */
export const chunkFile = (name) => `lazy-${name}.js`;
const chunkSpecifier = (name) => `./${chunkFile(name)}`;
const CHUNK_SPECIFIER = /^\.\/lazy-([\w-]+)\.js$/;

/** The chunk names a built file requires (from its esbuild metafile output entry). */
export function chunksRequiredBy(output) {
  return (output.imports ?? []).filter((i) => i.external).map((i) => CHUNK_SPECIFIER.exec(i.path)?.[1]).filter(Boolean);
}

/**
 * Builds one chunk into `outdir`: its exports hold each of its modules, by module name. A whole
 * module (`'*'`) is evaluated on first access, not when the chunk loads: node-api's TaskApi, say,
 * runs only when a workload identity connection needs an OIDC token. A module of listed names
 * throws on any other name (strictFacadeSource) instead of handing out undefined.
 */
async function buildChunk(name, { esm = false, modules, files }, { root, outdir, deferred, ...options }) {
  const contents = Object.entries(modules)
    .map(([module, names], i) => (names === '*'
      ? `Object.defineProperty(exports, ${JSON.stringify(module)}, { enumerable: true, get: () => require(${JSON.stringify(files?.get(module) ?? module)}) });`
      : `import { ${names.join(', ')} } from ${JSON.stringify(module)};
const m${i} = ${strictFacadeSource(module, `{ ${names.join(', ')} }`, `LAZY_CHUNKS.${name} in scripts/lazy-chunks.mjs`)};
export { m${i} as ${JSON.stringify(module)} };`))
    .join('\n');
  const entry = path.join(root, `lazy-${name}.js`);
  const result = await build({
    ...options,
    stdin: { contents, resolveDir: root, sourcefile: `lazy-${name}.js`, loader: 'js' },
    outfile: path.join(outdir, chunkFile(name)),
    plugins: deferred ? startupPlugins({ ...deferred, entry }) : [],
    ...(esm ? { mainFields: ['module', 'main'] } : {}),
  });
  return result.metafile;
}

/**
 * Builds every chunk into `outdir`: those of LAZY_CHUNKS, then `deferred`, which holds the modules
 * their facades load on first call (startup-plugins.mjs), each evaluated on first access. Returns
 * name -> esbuild metafile.
 */
export async function buildChunks(options) {
  const collected = new Map();
  const deferred = { chunk: 'deferred', collected, root: options.root };
  const chunks = Object.fromEntries(await Promise.all(Object.entries(LAZY_CHUNKS).map(async ([name, chunk]) => [name, await buildChunk(name, chunk, { ...options, deferred })])));
  const modules = Object.fromEntries([...collected.keys()].sort().map((key) => [key, '*']));
  chunks.deferred = await buildChunk('deferred', { modules, files: collected }, options);
  return chunks;
}

/** Resolves each lazy module of the task's code to a one-line module that requires its chunk file and picks the module. */
export function lazyChunksPlugin() {
  const chunkOf = new Map(Object.entries(LAZY_CHUNKS).flatMap(([chunk, { modules }]) => Object.keys(modules).map((m) => [m, chunk])));
  return {
    name: 'lazy-chunks',
    setup(esbuild) {
      esbuild.onResolve({ filter: CHUNK_SPECIFIER }, (args) => ({ path: args.path, external: true }));
      esbuild.onResolve({ filter: /.*/ }, (args) => {
        if (args.namespace === 'lazy') return undefined;
        const chunk = chunkOf.get(args.path);
        // Only the task's own code is redirected; an SDK requiring another SDK keeps its own copy.
        if (!chunk || args.importer.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
        return { path: args.path, namespace: 'lazy', pluginData: { chunk } };
      });
      esbuild.onLoad({ filter: /.*/, namespace: 'lazy' }, (args) => ({
        contents: `module.exports = require(${JSON.stringify(chunkSpecifier(args.pluginData.chunk))})[${JSON.stringify(args.path)}];`,
        loader: 'js',
      }));
    },
  };
}
