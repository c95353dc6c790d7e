// esbuild plugins that keep SDK code a task does not run from running at start-up. Each one names the
// files it rewrites and fails the build when a new release of the package no longer has the shape it
// expects: that must be looked at, not become slow (or wrong) without notice. The tasks' first request
// comes after the identity and Azure DevOps SDKs have loaded, so every module they evaluate for nothing
// is paid by every task run (see `npm run bench`, startup.ratio).
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';

/**
 * Modules evaluated when an SDK loads but used on few paths, replaced by a facade that requires the
 * real module on the first call of one of its `members` (functions or constructors): the only members
 * the SDKs in the lazy chunks use. Any other member throws an Error naming the module and the member
 * (strictFacadeSource); the e2e tests run each path (certificate credentials sign with jsonwebtoken,
 * the proxy tests use the proxy agents, node-api queries use qs).
 */
export const DEFERRED_MODULES = {
  // MSAL signs a client assertion only for certificate credentials.
  jsonwebtoken: { members: ['sign'] },
  // Only behind a proxy.
  'https-proxy-agent': { members: ['HttpsProxyAgent'] },
  'http-proxy-agent': { members: ['HttpProxyAgent'] },
  // typed-rest-client builds query strings with it; the first request of a task has none.
  qs: { members: ['stringify'] },
};

/**
 * In the task's own bundle: task-lib's tool runner and child_process (task.js uses it only to delete
 * files on Windows), for tasks that run no tool.
 */
export const TASK_LIB_DEFERRED = {
  './toolrunner': { importer: /[\\/]azure-pipelines-task-lib[\\/]task\.js$/, members: ['ToolRunner'] },
  child_process: { importer: /[\\/]azure-pipelines-task-lib[\\/]task\.js$/, members: ['execFileSync'] },
};

// Read on a module object by CommonJS/ES module interop and by `await`, never as a member of the module.
const INTEROP_KEYS = ['__esModule', 'then'];

/**
 * Source of an expression: `object` (the members a facade knows) behind a Proxy that throws an Error
 * naming `module` and the member on any other member, where a plain object would hand out undefined
 * and fail later, far from the cause. `listedIn` says where the known members are listed.
 */
export function strictFacadeSource(module, object, listedIn) {
  return `new Proxy(${object}, {
  get(target, key, receiver) {
    if (typeof key === 'symbol' || key in target || ${JSON.stringify(INTEROP_KEYS)}.includes(key)) return Reflect.get(target, key, receiver);
    throw new Error(${JSON.stringify(`The lazily loaded module '${module}' has no member '`)} + key + ${JSON.stringify(`' in this bundle: the bundle knows only ` +
      `the members listed in ${listedIn}; add it there and rebuild`)});
  },
})`;
}

/**
 * Replaces the `deferred` modules by facades. With `chunk`, the real modules are left out of this build:
 * the facade takes them from that lazy chunk (`require('./lazy-<chunk>.js')[<key>]`), and `collected`
 * gets key -> file for building it, so code a task never calls is not even parsed. `entry` is the
 * chunk's own entry file, whose imports are left alone.
 */
export function deferredModulesPlugin(deferred = DEFERRED_MODULES, { chunk, collected, root, entry } = {}) {
  const names = Object.keys(deferred);
  const filter = new RegExp(`^(${names.map((n) => n.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&')).join('|')})$`);
  return {
    name: 'deferred-modules',
    setup(esbuild) {
      esbuild.onResolve({ filter }, (args) => {
        const { importer } = deferred[args.path];
        if (importer && !importer.test(args.importer)) return undefined;
        // A chunk that exists to carry the module (its entry asks for it) gets the module itself.
        if (args.importer === entry) return undefined;
        // The facade's own require of the real module is an absolute path, so it does not come back here.
        const real = createRequire(path.join(args.resolveDir, 'index.js')).resolve(args.path);
        return { path: `${real} (deferred)`, namespace: 'deferred', pluginData: { module: args.path, real, members: deferred[args.path].members } };
      });
      // The chunk the facades read from is a file beside this one, required at run time.
      if (chunk) esbuild.onResolve({ filter: /^\.\/lazy-[\w-]+\.js$/ }, (args) => ({ path: args.path, external: true }));
      esbuild.onLoad({ filter: /.*/, namespace: 'deferred' }, (args) => {
        const { module, real, members } = args.pluginData;
        let source = `require(${JSON.stringify(real)})`;
        if (chunk) {
          const key = path.relative(root, real).split(path.sep).join('/');
          collected.set(key, real);
          source = `require(${JSON.stringify(`./lazy-${chunk}.js`)})[${JSON.stringify(key)}]`;
        }
        return {
          contents: `let real;
const load = () => (real ??= ${source});
const facade = {};
${members.map((member) => `facade[${JSON.stringify(member)}] = function (...args) {
  const target = load()[${JSON.stringify(member)}];
  return new.target ? Reflect.construct(target, args) : target.apply(this, args);
};`).join('\n')}
module.exports = ${strictFacadeSource(module, 'facade', 'DEFERRED_MODULES or TASK_LIB_DEFERRED in scripts/startup-plugins.mjs')};`,
          loader: 'js',
          resolveDir: path.dirname(real),
        };
      });
    },
  };
}

/**
 * CommonJS barrels (TypeScript's `export * from`) whose every export is a getter over an eagerly
 * required file: the require moves into the getter, so only the files a task uses are evaluated.
 * typed-rest-client's Handlers: node-api's bearer and PAT handlers extend its classes, and the barrel
 * would evaluate the NTLM handler with underscore as well.
 */
const LAZY_BARRELS = [/[\\/]typed-rest-client[\\/]Handlers\.js$/];
const BARREL_EXPORT = /var (\w+) = require\(("[^"]+")\);\nObject\.defineProperty\(exports, ("\w+"), \{ enumerable: true, get: function \(\) \{ return \1\.(\w+); \} \}\);/g;

export function lazyBarrelsPlugin() {
  return {
    name: 'lazy-barrels',
    setup(esbuild) {
      for (const filter of LAZY_BARRELS) {
        esbuild.onLoad({ filter }, async (args) => {
          const source = (await readFile(args.path, 'utf8')).replace(/\r\n/g, '\n');
          const rewritten = source.replace(BARREL_EXPORT, (_all, _binding, file, name, member) =>
            `Object.defineProperty(exports, ${name}, { enumerable: true, get: function () { return require(${file}).${member}; } });`);
          if (rewritten === source || /= require\(/.test(rewritten)) throw new Error(`${args.path} is no longer a barrel of getters this build can make lazy; update scripts/startup-plugins.mjs`);
          return { contents: rewritten, loader: 'js' };
        });
      }
    },
  };
}

// ts-http-runtime (under core-rest-pipeline) asks `typeof FormData` of every request. In Node that global
// is a getter that loads undici, Node's whole fetch implementation: about 20 ms before the first token
// request, for a type no task sends. A FormData body can only exist once undici is loaded, so the check
// becomes one that reads the value's tag instead of the global; same answer, nothing loaded.
const FORM_DATA_FILES = /[\\/]@typespec[\\/]ts-http-runtime[\\/]dist[\\/](esm|commonjs)[\\/](formData|client[\\/]sendRequest)\.js$/;
const FORM_DATA_CHECK = 'typeof FormData !== "undefined" && body instanceof FormData';
const FORM_DATA_TAG_CHECK = 'body !== null && typeof body === "object" && body[Symbol.toStringTag] === "FormData"';

export function noUndiciForFormDataPlugin() {
  return {
    name: 'no-undici-for-form-data',
    setup(esbuild) {
      esbuild.onLoad({ filter: FORM_DATA_FILES }, async (args) => {
        const source = await readFile(args.path, 'utf8');
        if (!source.includes(FORM_DATA_CHECK)) throw new Error(`${args.path} no longer holds the FormData check this build rewrites; update scripts/startup-plugins.mjs`);
        return { contents: source.replaceAll(FORM_DATA_CHECK, FORM_DATA_TAG_CHECK), loader: 'js' };
      });
    },
  };
}

/** For the lazy SDK chunks; the deferred modules go to the chunk `deferred` (see deferredModulesPlugin). */
export const startupPlugins = (deferred) => [deferredModulesPlugin(DEFERRED_MODULES, deferred), lazyBarrelsPlugin(), noUndiciForFormDataPlugin()];
