// Tokens and syntax tree of the Batch autoscale formula language (the subset formula.ts evaluates).
// Statements are `name = expression` separated by `;`; `//` and `/* */` comments and line breaks are
// allowed. Precedence, lowest first: ?:, ||, &&, == !=, < <= > >=, + -, * /, unary - !, then
// calls, methods (`$PendingTasks.GetSample(...)`) and members (`time().hour`).

export interface Position {
  line: number;
  col: number;
}

export type Expr =
  | { kind: 'number'; value: number; pos: Position }
  | { kind: 'string'; value: string; pos: Position }
  | { kind: 'name'; name: string; pos: Position }
  | { kind: 'unary'; op: '-' | '!'; operand: Expr; pos: Position }
  | { kind: 'binary'; op: BinaryOperator; left: Expr; right: Expr; pos: Position }
  | { kind: 'ternary'; condition: Expr; whenTrue: Expr; whenFalse: Expr; pos: Position }
  | { kind: 'call'; name: string; args: Expr[]; pos: Position }
  | { kind: 'method'; target: Expr; name: string; args: Expr[]; pos: Position }
  | { kind: 'member'; target: Expr; name: string; pos: Position };

export type BinaryOperator = '+' | '-' | '*' | '/' | '<' | '<=' | '>' | '>=' | '==' | '!=' | '&&' | '||';

export interface Statement {
  target: string;
  targetPos: Position;
  value: Expr;
}

/** A formula that does not parse; `detail` reads like the service's "Line 1, Col 5: ..." messages. */
export class FormulaSyntaxError extends Error {
  constructor(
    readonly pos: Position,
    readonly detail: string,
  ) {
    super(`Line ${pos.line}, Col ${pos.col}: ${detail}`);
    this.name = 'FormulaSyntaxError';
  }
}

type TokenKind = 'number' | 'string' | 'name' | 'op' | 'end';
interface Token {
  kind: TokenKind;
  text: string;
  pos: Position;
}

const OPERATORS = ['&&', '||', '==', '!=', '<=', '>=', '<', '>', '=', '+', '-', '*', '/', '!', '?', ':', ';', ',', '(', ')', '.'];

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const here = (): Position => ({ line, col: i - lineStart + 1 });
  while (i < source.length) {
    const ch = source[i];
    if (ch === '\n') {
      i++;
      line++;
      lineStart = i;
      continue;
    }
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    if (source.startsWith('//', i)) {
      while (i < source.length && source[i] !== '\n') i++;
      continue;
    }
    if (source.startsWith('/*', i)) {
      const start = here();
      const end = source.indexOf('*/', i + 2);
      if (end < 0) throw new FormulaSyntaxError(start, 'Unterminated comment');
      for (; i < end + 2; i++) {
        if (source[i] === '\n') {
          line++;
          lineStart = i + 1;
        }
      }
      continue;
    }
    const pos = here();
    const rest = source.slice(i);
    const number = /^(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/.exec(rest);
    if (number) {
      tokens.push({ kind: 'number', text: number[0], pos });
      i += number[0].length;
      continue;
    }
    const name = /^\$?[A-Za-z_][A-Za-z0-9_]*/.exec(rest);
    if (name) {
      tokens.push({ kind: 'name', text: name[0], pos });
      i += name[0].length;
      continue;
    }
    if (ch === '"') {
      const end = source.indexOf('"', i + 1);
      const newline = source.indexOf('\n', i + 1);
      if (end < 0 || (newline >= 0 && newline < end)) throw new FormulaSyntaxError(pos, 'Unterminated string literal');
      tokens.push({ kind: 'string', text: source.slice(i + 1, end), pos });
      i = end + 1;
      continue;
    }
    const op = OPERATORS.find((candidate) => source.startsWith(candidate, i));
    if (!op) throw new FormulaSyntaxError(pos, `Unexpected character '${ch}'`);
    tokens.push({ kind: 'op', text: op, pos });
    i += op.length;
  }
  tokens.push({ kind: 'end', text: '', pos: here() });
  return tokens;
}

const BINARY_LEVELS: BinaryOperator[][] = [['||'], ['&&'], ['==', '!='], ['<', '<=', '>', '>='], ['+', '-'], ['*', '/']];

class Parser {
  private index = 0;
  constructor(private readonly tokens: Token[]) {}

  private peek(): Token {
    return this.tokens[this.index];
  }

  private next(): Token {
    return this.tokens[this.index++];
  }

  private isOp(text: string): boolean {
    const token = this.peek();
    return token.kind === 'op' && token.text === text;
  }

  private expectOp(text: string, context: string): Token {
    const token = this.peek();
    if (token.kind !== 'op' || token.text !== text) throw new FormulaSyntaxError(token.pos, `Expected '${text}' ${context} but found ${describe(token)}`);
    return this.next();
  }

  statements(): Statement[] {
    const statements: Statement[] = [];
    for (;;) {
      while (this.isOp(';')) this.next();
      const token = this.peek();
      if (token.kind === 'end') return statements;
      if (token.kind !== 'name') throw new FormulaSyntaxError(token.pos, `Expected a variable to assign but found ${describe(token)}`);
      this.next();
      this.expectOp('=', `after '${token.text}'`);
      const value = this.expression();
      const after = this.peek();
      if (after.kind !== 'end' && !(after.kind === 'op' && after.text === ';')) {
        throw new FormulaSyntaxError(after.pos, `Expected ';' after the statement but found ${describe(after)}`);
      }
      statements.push({ target: token.text, targetPos: token.pos, value });
    }
  }

  private expression(): Expr {
    const condition = this.binary(0);
    if (!this.isOp('?')) return condition;
    const question = this.next();
    const whenTrue = this.expression();
    this.expectOp(':', "in a conditional ('a ? b : c')");
    const whenFalse = this.expression();
    return { kind: 'ternary', condition, whenTrue, whenFalse, pos: question.pos };
  }

  private binary(level: number): Expr {
    if (level === BINARY_LEVELS.length) return this.unary();
    let left = this.binary(level + 1);
    for (;;) {
      const token = this.peek();
      const op = BINARY_LEVELS[level].find((candidate) => token.kind === 'op' && token.text === candidate);
      if (!op) return left;
      this.next();
      const right = this.binary(level + 1);
      left = { kind: 'binary', op, left, right, pos: token.pos };
    }
  }

  private unary(): Expr {
    if (this.isOp('-') || this.isOp('!')) {
      const token = this.next();
      return { kind: 'unary', op: token.text as '-' | '!', operand: this.unary(), pos: token.pos };
    }
    return this.postfix();
  }

  private postfix(): Expr {
    let expr = this.primary();
    while (this.isOp('.')) {
      this.next();
      const name = this.next();
      if (name.kind !== 'name' || name.text.startsWith('$')) throw new FormulaSyntaxError(name.pos, `Expected a method or member name after '.' but found ${describe(name)}`);
      if (this.isOp('(')) expr = { kind: 'method', target: expr, name: name.text, args: this.args(), pos: name.pos };
      else expr = { kind: 'member', target: expr, name: name.text, pos: name.pos };
    }
    return expr;
  }

  private args(): Expr[] {
    this.expectOp('(', 'to open the argument list');
    const args: Expr[] = [];
    if (this.isOp(')')) {
      this.next();
      return args;
    }
    for (;;) {
      args.push(this.expression());
      if (this.isOp(',')) {
        this.next();
        continue;
      }
      this.expectOp(')', 'to close the argument list');
      return args;
    }
  }

  private primary(): Expr {
    const token = this.peek();
    if (token.kind === 'number') {
      this.next();
      return { kind: 'number', value: Number(token.text), pos: token.pos };
    }
    if (token.kind === 'string') {
      this.next();
      return { kind: 'string', value: token.text, pos: token.pos };
    }
    if (token.kind === 'name') {
      this.next();
      if (this.isOp('(')) return { kind: 'call', name: token.text, args: this.args(), pos: token.pos };
      return { kind: 'name', name: token.text, pos: token.pos };
    }
    if (this.isOp('(')) {
      this.next();
      const inner = this.expression();
      this.expectOp(')', 'to close the parenthesis');
      return inner;
    }
    throw new FormulaSyntaxError(token.pos, `Expected a value but found ${describe(token)}`);
  }
}

function describe(token: Token): string {
  if (token.kind === 'end') return 'the end of the formula';
  if (token.kind === 'string') return `"${token.text}"`;
  return `'${token.text}'`;
}

/** Parses a whole formula; throws FormulaSyntaxError. */
export function parseFormula(source: string): Statement[] {
  return new Parser(tokenize(source)).statements();
}
