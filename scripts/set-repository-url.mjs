// Points every link into the repository at package.json's repository.url, the one place that names
// the repository: overview.md, vss-extension.json, every task.json (helpUrl and help texts) and the
// Markdown under docs/. The URL they use now is read from vss-extension.json's repository.uri.
//
//   node scripts/set-repository-url.mjs        (then: node scripts/gen-docs.mjs)
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

/** `text` with every link under `from` moved under `to` (whole URLs only: `from` followed by /, #, ., ", ) or the end). */
export function retarget(text, from, to) {
  if (!from || from === to) return text;
  const escaped = from.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return text.replace(new RegExp(`${escaped}(?=[/#.")\\s]|$)`, 'gm'), to);
}

/** The files that link into the repository, relative to the root. */
export function linkingFiles() {
  const tasks = readdirSync(path.join(root, 'tasks'), { withFileTypes: true })
    .filter((d) => d.isDirectory() && /V\d+$/.test(d.name)).map((d) => `tasks/${d.name}/task.json`);
  const docs = readdirSync(path.join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`);
  return ['overview.md', 'vss-extension.json', ...tasks, ...docs];
}

function main() {
  const to = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).repository?.url;
  const from = JSON.parse(readFileSync(path.join(root, 'vss-extension.json'), 'utf8')).repository?.uri;
  if (!/^https:\/\/github\.com\/[^/]+\/[^/]+$/.test(to ?? '')) throw new Error(`package.json repository.url must be https://github.com/<owner>/<name>; got '${to}'`);
  for (const file of linkingFiles()) {
    const full = path.join(root, file);
    const text = readFileSync(full, 'utf8');
    const changed = retarget(text, from, to);
    if (changed !== text) {
      writeFileSync(full, changed);
      console.log(`retargeted ${file}`);
    }
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) main();
