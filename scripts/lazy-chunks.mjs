// Lazy chunks: the SDKs the core loads lazily (`require` inside a function) are built apart from the
// task's code and carried at the end of its one file, compressed, inside a block comment. The Node
// loader reads the comment with the file and V8 skips it without parsing; the first `require` of one
// of a chunk's modules reads that chunk back (by its distance in bytes from the end of the file, known
// before the code above it is built), inflates it and compiles it (vm, under its own file name for
// stack traces). A task pays only for the SDKs it uses, and still ships one file.
import { build } from 'esbuild';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { startupPlugins } from './startup-plugins.mjs';

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

/**
 * Builds one chunk: its exports hold each of its modules, by module name. A whole module (`'*'`) is
 * evaluated on first access, not when the chunk loads: node-api's TaskApi, say, runs only when a
 * workload identity connection needs an OIDC token.
 */
async function buildChunk(name, { esm = false, modules, files }, { root, deferred, ...options }) {
  const contents = Object.entries(modules)
    .map(([module, names], i) => (names === '*'
      ? `Object.defineProperty(exports, ${JSON.stringify(module)}, { enumerable: true, get: () => require(${JSON.stringify(files?.get(module) ?? module)}) });`
      : `import { ${names.join(', ')} } from ${JSON.stringify(module)}; const m${i} = { ${names.join(', ')} }; export { m${i} as ${JSON.stringify(module)} };`))
    .join('\n');
  const result = await build({
    ...options,
    stdin: { contents, resolveDir: root, sourcefile: `lazy-${name}.js`, loader: 'js' },
    write: false,
    plugins: deferred ? startupPlugins({ ...deferred, entry: path.join(root, `lazy-${name}.js`) }) : [],
    ...(esm ? { mainFields: ['module', 'main'] } : {}),
  });
  return result.outputFiles[0].text;
}

/**
 * Builds every chunk: those of LAZY_CHUNKS, then `deferred`, which holds the modules their facades
 * load on first call (startup-plugins.mjs), each evaluated on first access.
 */
export async function buildChunks(options) {
  const collected = new Map();
  const deferred = { chunk: 'deferred', collected, root: options.root };
  const chunks = Object.fromEntries(await Promise.all(Object.entries(LAZY_CHUNKS).map(async ([name, chunk]) => [name, await buildChunk(name, chunk, { ...options, deferred })])));
  const modules = Object.fromEntries([...collected.keys()].sort().map((key) => [key, '*']));
  chunks.deferred = await buildChunk('deferred', { modules, files: collected }, options);
  return chunks;
}

const COMMENT_END = '*/\n';
// Each chunk starts with its own header, so a file changed after the build fails with a clear message.
const chunkHeader = (name) => `\n//lazy-chunk:${name}\n`;

/**
 * The comment that carries the chunks (gzip, then base64: ASCII, and never `*` `/`) and where each
 * one is: name -> [bytes from the end of the file to its header, its length in bytes].
 */
export function chunkPayload(chunks) {
  const parts = Object.entries(chunks).map(([name, code]) => ({ name, text: chunkHeader(name) + gzipSync(code, { level: 9 }).toString('base64') }));
  const table = {};
  let fromEnd = COMMENT_END.length;
  for (const part of [...parts].reverse()) {
    fromEnd += part.text.length;
    table[part.name] = [fromEnd, part.text.length];
  }
  return { text: `/* Lazily loaded SDK chunks (scripts/lazy-chunks.mjs).${parts.map((p) => p.text).join('')}${COMMENT_END}`, table };
}

/** The module that reads a chunk back from the end of the file, inflates and evaluates it. */
function chunkReaderSource(table) {
  return `const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const zlib = require('node:zlib');
const TABLE = ${JSON.stringify(table)};
const loaded = new Map();
// A chunk's code asks for another chunk as 'lazy-chunk:<name>' (the deferred modules' facades).
const chunkRequire = (id) => (id.startsWith('lazy-chunk:') ? exports.load(id.slice('lazy-chunk:'.length)) : require(id));
exports.load = (name) => {
  if (loaded.has(name)) return loaded.get(name);
  const [fromEnd, length] = TABLE[name];
  const fd = fs.openSync(__filename, 'r');
  const bytes = Buffer.allocUnsafe(length);
  try {
    fs.readSync(fd, bytes, 0, length, fs.fstatSync(fd).size - fromEnd);
  } finally {
    fs.closeSync(fd);
  }
  const text = bytes.toString('latin1');
  const header = ${JSON.stringify(chunkHeader('\0')).replace('\\u0000', '" + name + "')};
  if (!text.startsWith(header)) throw new Error(__filename + ' is damaged (its ' + name + ' code is not where it should be): reinstall the extension');
  const code = zlib.gunzipSync(Buffer.from(text.slice(header.length), 'base64')).toString('utf8');
  const module = { exports: {} };
  vm.runInThisContext('(function (exports, require, module, __filename, __dirname) {' + code + '\\n})', { filename: path.join(__dirname, 'lazy-' + name + '.js') })(module.exports, chunkRequire, module, __filename, __dirname);
  loaded.set(name, module.exports);
  return module.exports;
};
`;
}

/** Resolves each lazy module of the task's code to a tiny module that loads its chunk (once) and picks the module. */
export function lazyChunksPlugin(table, root) {
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
      esbuild.onResolve({ filter: /^lazy-chunk[:-]/, namespace: 'lazy' }, (args) => ({ path: args.path, namespace: 'lazy' }));
      esbuild.onLoad({ filter: /.*/, namespace: 'lazy' }, (args) => {
        if (args.path === 'lazy-chunk-reader') return { contents: chunkReaderSource(table), loader: 'js', resolveDir: root };
        if (args.path.startsWith('lazy-chunk:')) {
          const chunk = args.path.slice('lazy-chunk:'.length);
          return { contents: `module.exports = require('lazy-chunk-reader').load(${JSON.stringify(chunk)});`, loader: 'js', resolveDir: root };
        }
        return { contents: `module.exports = require('lazy-chunk:${args.pluginData.chunk}')[${JSON.stringify(args.path)}];`, loader: 'js', resolveDir: root };
      });
    },
  };
}
