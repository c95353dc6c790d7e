// Every user-facing message a task emits through loc() must be in that task's task.json `messages`
// with the very text the code falls back to (the agent prints the task.json text), and every message
// in a task.json must be one the task can emit.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { root } from './manifests';

const TASKS = ['RequestEphemeralAgentV1', 'WaitForAgentV1', 'ReleaseEphemeralAgentV1', 'ScaleAgentPoolV1'];

interface LocCall {
  key: string;
  fallback: string;
  where: string;
}

function resolveImport(from: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const base = path.resolve(path.dirname(from), specifier);
  return [`${base}.ts`, path.join(base, 'index.ts')].find((candidate) => existsSync(candidate));
}

/** The loc('Key', 'fallback', ...) calls of every source file the task's entry point reaches. */
function locCallsOf(entry: string): LocCall[] {
  const calls: LocCall[] = [];
  const seen = new Set<string>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    const visit = (node: ts.Node): void => {
      if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
        const target = resolveImport(file, node.moduleSpecifier.text);
        if (target) queue.push(target);
      }
      if (ts.isCallExpression(node)) {
        const callee = node.expression;
        const name = ts.isIdentifier(callee) ? callee.text : ts.isPropertyAccessExpression(callee) ? callee.name.text : '';
        const [key, fallback] = node.arguments;
        if (name === 'loc' && key && fallback && ts.isStringLiteralLike(key)) {
          assert.ok(ts.isStringLiteralLike(fallback), `${path.relative(root, file)}: the fallback of loc('${key.text}') must be a string literal`);
          const { line } = source.getLineAndCharacterOfPosition(node.getStart());
          calls.push({ key: key.text, fallback: fallback.text, where: `${path.relative(root, file)}:${line + 1}` });
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return calls;
}

describe('task.json messages and the loc() calls of the code', () => {
  for (const folder of TASKS) {
    describe(folder, () => {
      const manifest = () => JSON.parse(readFileSync(path.join(root, 'tasks', folder, 'task.json'), 'utf8')) as { messages?: Record<string, string> };
      const calls = () => locCallsOf(path.join(root, 'tasks', folder, 'src', 'index.ts'));

      it('has every message the code emits, with the code\'s English text', () => {
        const messages = manifest().messages ?? {};
        const found = calls();
        assert.ok(found.length > 0, 'no loc() call reached from the entry point');
        for (const call of found) {
          assert.ok(call.key in messages, `${call.where}: message '${call.key}' is missing from ${folder}/task.json`);
          assert.equal(messages[call.key], call.fallback, `${call.where}: message '${call.key}' differs from ${folder}/task.json`);
        }
      });

      it('has no message the code never emits', () => {
        const used = new Set(calls().map((c) => c.key));
        const unused = Object.keys(manifest().messages ?? {}).filter((key) => !used.has(key));
        assert.deepEqual(unused, [], `${folder}/task.json messages no loc() call uses`);
      });
    });
  }
});
