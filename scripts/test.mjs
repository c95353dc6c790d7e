// Runs the test suite: makes sure the emulator's certificate authority exists before mocha starts,
// because Node reads NODE_EXTRA_CA_CERTS only at process start-up.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const require = createRequire(import.meta.url);
const { ensureTlsMaterial } = require(path.join(root, 'build/emulator/src/tls.js'));

const tlsDir = path.join(root, '.tls');
const tls = await ensureTlsMaterial(tlsDir);

const mocha = path.join(root, 'node_modules/mocha/bin/mocha.js');
// Paths given on the command line replace the default set (e.g. node scripts/test.mjs 'build/test/unit/**/*.test.js').
const args = process.argv.slice(2);
const specs = args.some((a) => !a.startsWith('-')) ? [] : ['build/test/**/*.test.js'];
const result = spawnSync(process.execPath, [mocha, ...specs, ...args], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, NODE_EXTRA_CA_CERTS: tls.caPath, EMULATOR_TLS_DIR: tlsDir },
});
process.exit(result.status ?? 1);
