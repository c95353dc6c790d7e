// PowerShell cannot run here, so the Windows entrypoint and the PowerShell in the Windows
// Dockerfile are parsed with a real PowerShell grammar (tree-sitter-powershell): a syntax error
// shows here instead of on a Windows host.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const repoRoot = path.resolve(__dirname, '../../..');

interface SyntaxNode {
  type: string;
  isMissing: boolean;
  startIndex: number;
  endIndex: number;
  startPosition: { row: number; column: number };
  children: SyntaxNode[];
}

type Parse = (source: string) => SyntaxNode;

async function powerShellParser(): Promise<Parse> {
  const { default: Parser } = await import('tree-sitter');
  const { default: PowerShell } = await import('tree-sitter-powershell');
  const parser = new Parser();
  parser.setLanguage(PowerShell as Parameters<typeof parser.setLanguage>[0]);
  // The default buffer is too small for a whole script.
  return (source) => parser.parse(source, undefined, { bufferSize: 1024 * 1024 }).rootNode as unknown as SyntaxNode;
}

/** Every error or missing node, as `line:column: text`. */
function syntaxErrors(root: SyntaxNode, source: string): string[] {
  const errors: string[] = [];
  const walk = (node: SyntaxNode) => {
    if (node.type === 'ERROR' || node.isMissing) {
      const text = source.slice(node.startIndex, Math.min(node.endIndex, node.startIndex + 60)).replace(/\n/g, '\\n');
      errors.push(`${node.startPosition.row + 1}:${node.startPosition.column + 1}: ${node.isMissing ? `missing ${node.type}` : text}`);
    }
    node.children.forEach(walk);
  };
  walk(root);
  return errors;
}

/** The PowerShell of each RUN instruction of a Dockerfile whose escape character is a backtick. */
function runCommands(dockerfile: string): string[] {
  const joined = dockerfile.replace(/`\r?\n/g, '\n');
  return [...joined.matchAll(/^RUN ([\s\S]*?)(?=^\S|$(?![\s\S]))/gm)].map((m) => m[1]);
}

describe('PowerShell syntax (tree-sitter-powershell)', () => {
  let parse: Parse;
  before(async () => {
    parse = await powerShellParser();
  });

  it('reports a broken script (the parser is live)', () => {
    const broken = 'function Test-It {\n  if ($x -eq 1 {\n    exit 1\n}\n';
    assert.notDeepEqual(syntaxErrors(parse(broken), broken), []);
  });

  it('images/windows/start.ps1 parses without errors', () => {
    const script = readFileSync(path.join(repoRoot, 'images/windows/start.ps1'), 'utf8');
    assert.deepEqual(syntaxErrors(parse(script), script), []);
  });

  it('the RUN instructions of images/windows/Dockerfile parse without errors', () => {
    const commands = runCommands(readFileSync(path.join(repoRoot, 'images/windows/Dockerfile'), 'utf8'));
    assert.ok(commands.length >= 2, 'the download and the permissions');
    for (const command of commands) assert.deepEqual(syntaxErrors(parse(command), command), [], command);
  });
});
