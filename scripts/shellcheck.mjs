// Runs shellcheck over every shell script git knows about (tracked or new), so none is forgotten.
import { execFileSync, spawnSync } from 'node:child_process';

const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '*.sh'], { encoding: 'utf8' })
  .split('\n')
  .filter(Boolean);
if (files.length === 0) process.exit(0);
const result = spawnSync('shellcheck', ['--severity=style', ...files], { stdio: 'inherit' });
if (result.error) {
  console.error(`shellcheck could not run (${result.error.message}); install it with: apt-get install shellcheck`);
  process.exit(2);
}
process.exit(result.status ?? 1);
