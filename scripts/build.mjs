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
import { readFile, writeFile } from 'node:fs/promises';
import { startupPlugins } from './startup-plugins.mjs';
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

/**
 * Builds one chunk: its exports hold each of its modules, by module name. A whole module (`'*'`) is
 * evaluated on first access, not when the chunk loads: node-api's TaskApi, say, runs only when a
 * workload identity connection needs an OIDC token.
 */
async function buildChunk(name, { esm = false, modules }, minify) {
  const contents = Object.entries(modules)
    .map(([module, names], i) => (names === '*'
      ? `Object.defineProperty(exports, ${JSON.stringify(module)}, { enumerable: true, get: () => require(${JSON.stringify(module)}) });`
      : `import { ${names.join(', ')} } from ${JSON.stringify(module)}; const m${i} = { ${names.join(', ')} }; export { m${i} as ${JSON.stringify(module)} };`))
    .join('\n');
  const result = await build({
    ...common,
    stdin: { contents, resolveDir: root, sourcefile: `lazy-${name}.js`, loader: 'js' },
    write: false,
    ...minifyOptions(minify),
    plugins: startupPlugins(),
    ...(esm ? { mainFields: ['module', 'main'] } : {}),
  });
  return result.outputFiles[0].text;
}

// Chunks ride at the end of the task's file, inside one block comment: the loader reads them with the
// file but V8 only skips over a comment, where a string literal of the same code had to be tokenised
// and kept (about twice the compile time). A chunk is read back by its distance from the end of the
// file in bytes, known before the code above it is built. The one sequence a comment cannot hold,
// `*` `/`, is stored with a \x01 between.
const COMMENT_END = '*/\n';
const chunkHeader = (name) => `\n//lazy-chunk:${name}\n`;
const escapeForComment = (text) => text.replaceAll('*/', '*\x01/');

function chunkPayload(chunks, names) {
  const parts = names.map((name) => {
    const text = chunkHeader(name) + escapeForComment(chunks[name]);
    if (chunks[name].includes('*\x01/')) throw new Error(`lazy chunk '${name}' holds the escape sequence of '*/'`);
    return { name, text, bytes: Buffer.byteLength(text) };
  });
  const table = {};
  let fromEnd = COMMENT_END.length;
  for (const part of [...parts].reverse()) {
    fromEnd += part.bytes;
    table[part.name] = [fromEnd, part.bytes];
  }
  return { text: `/* Lazily loaded SDK chunks (scripts/build.mjs).${parts.map((p) => p.text).join('')}${COMMENT_END}`, table };
}

/** The module that reads a chunk back from the file's end and evaluates it (vm, under its own file name). */
function chunkReaderSource(table) {
  return `const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const TABLE = ${JSON.stringify(table)};
exports.load = (name) => {
  const [fromEnd, length] = TABLE[name];
  const fd = fs.openSync(__filename, 'r');
  let text;
  try {
    const bytes = Buffer.allocUnsafe(length);
    fs.readSync(fd, bytes, 0, length, fs.fstatSync(fd).size - fromEnd);
    text = bytes.toString('utf8');
  } finally {
    fs.closeSync(fd);
  }
  const header = ${chunkHeader.toString().replace(/^\(name\) => /, '')};
  if (!text.startsWith(header)) throw new Error(__filename + ' is damaged (its ' + name + ' code is not where it should be): reinstall the extension');
  const source = '(function (exports, require, module, __filename, __dirname) {' + text.slice(header.length).replaceAll('*\\x01/', '*/') + '\\n})';
  const module = { exports: {} };
  vm.runInThisContext(source, { filename: path.join(__dirname, 'lazy-' + name + '.js') })(module.exports, require, module, __filename, __dirname);
  return module.exports;
};
`;
}

/** Resolves each lazy module to a tiny module that loads its chunk (once) and picks the module. */
function lazyChunksPlugin(table) {
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

export async function bundleTasks({ minify = true, metafile = false } = {}) {
  const folders = taskFolders();
  const chunks = Object.fromEntries(
    await Promise.all(Object.entries(LAZY_CHUNKS).map(async ([name, chunk]) => [name, await buildChunk(name, chunk, minify)])),
  );
  // Every task carries every chunk its code can reach; the payload (and so each offset) is the same for all.
  const payload = chunkPayload(chunks, Object.keys(LAZY_CHUNKS));
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
        plugins: [lazyChunksPlugin(payload.table)],
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
  for (const r of results) console.log(`bundled ${r.folder}`);
}
