// The facade the build puts in place of a lazily loaded module (scripts/startup-plugins.mjs): it loads
// the real module on the first call of a member it knows, and throws an Error naming the module and
// the member on any other member, instead of handing out undefined to fail later far from the cause.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { importScript, root } from './manifests';

interface StartupPlugins {
  deferredModulesPlugin(deferred: Record<string, { members: string[] }>): unknown;
}

describe('lazily loaded module facades', function () {
  this.timeout(30_000);
  let dir: string;
  let qs: Record<string, unknown> & { stringify(value: unknown): string };

  before(async () => {
    const { build } = await import('esbuild');
    const { deferredModulesPlugin } = await importScript<StartupPlugins>('startup-plugins.mjs');
    dir = mkdtempSync(path.join(os.tmpdir(), 'lazy-facade-'));
    const outfile = path.join(dir, 'out.js');
    await build({
      stdin: { contents: "module.exports = require('qs');", resolveDir: root, loader: 'js' },
      outfile, bundle: true, platform: 'node', format: 'cjs', logLevel: 'silent',
      plugins: [deferredModulesPlugin({ qs: { members: ['stringify'] } }) as never],
    });
    qs = createRequire(outfile)(outfile) as typeof qs;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('calls through to the real module for a member it knows', () => {
    assert.equal(qs.stringify({ a: 1, b: 'x y' }), 'a=1&b=x%20y');
  });

  it('throws an Error naming the module and the member for a member it does not know', () => {
    assert.throws(() => qs.parse, (error: Error) => {
      assert.ok(error instanceof Error);
      assert.match(error.message, /module 'qs' has no member 'parse'/);
      assert.match(error.message, /scripts\/startup-plugins\.mjs/);
      return true;
    });
  });

  it('answers what module interop and await ask of it without throwing', async () => {
    assert.equal(qs.__esModule, undefined);
    assert.equal(qs.then, undefined);
    assert.equal(await Promise.resolve(qs), qs);
    assert.equal(typeof qs[Symbol.toStringTag as unknown as string], 'undefined');
    assert.deepEqual(Object.keys(qs), ['stringify']);
  });
});
