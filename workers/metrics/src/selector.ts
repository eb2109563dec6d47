/**
 * Label matchers and the selectors of `match[]` (`/api/v1/series`, `/labels`, `/label/<n>/values`):
 * a vector selector (`name`, `name{l="v",...}`, `{__name__=~"x.*"}`, `{"utf8.name"}`), read with
 * Prometheus's own grammar (`@prometheus-io/lezer-promql`); the literal readers the PromQL parser
 * (promql/parse.ts) shares. Anything else in `match[]` is refused by name.
 *
 * Matchers follow the Prometheus data model: a missing label matches as the empty string,
 * regexes are fully anchored (`^(?s:re)$`), and a selector must have at least one matcher
 * that does not match the empty string.
 */
import type { SyntaxNode } from '@lezer/common';
import { parser } from '@prometheus-io/lezer-promql';
import { parsePromDuration } from '@pushpull/wire/prometheus-model/duration';
import { RE2JS } from 're2js';

/** One label matcher. */
export interface LabelMatcher {
  name: string;
  type: '=' | '!=' | '=~' | '!~';
  value: string;
}

/** A parsed query expression. */
export type SelectorExpr = { kind: 'vector'; matchers: LabelMatcher[]; rangeMs?: number } | { kind: 'number'; value: number };

/** A parse error, with Prometheus's `1:col: parse error: ...` message. */
export class SelectorParseError extends Error {}

/** PromQL that parses but that the read API does not evaluate (yet), by node type. */
const UNSUPPORTED: Record<string, string> = {
  FunctionCall: 'function calls',
  AggregateExpr: 'aggregations',
  BinaryExpr: 'binary operators',
  UnaryExpr: 'unary operators on selectors',
  OffsetExpr: 'the offset modifier',
  StepInvariantExpr: 'the @ modifier',
  SubqueryExpr: 'subqueries',
  StringLiteral: 'string literals',
};
const SUPPORTED = 'only vector selectors, range selectors and number literals are supported';

/**
 * The top expression node of a query read with Prometheus's grammar; a syntax error is refused
 * with its position (shared with the PromQL parser, promql/parse.ts).
 */
export function topExpression(input: string): SyntaxNode {
  const tree = parser.parse(input);
  let errorAt = -1;
  tree.iterate({
    enter: (n) => {
      if (errorAt < 0 && n.type.isError) errorAt = n.from;
      return errorAt < 0;
    },
  });
  if (errorAt >= 0) fail(errorAt, `unexpected ${describeAt(input, errorAt)}`);
  const node = child(tree.topNode);
  if (node === null) return fail(0, 'no expression found in input');
  return node;
}

/** Parses a query: a vector selector with an optional range, or a number literal. */
export function parseSelector(input: string): SelectorExpr {
  let node = topExpression(input);
  while (node.name === 'ParenExpr') {
    const inner: SyntaxNode | null = child(node);
    if (inner === null) return fail(node.from, 'no expression found in parentheses');
    node = inner;
  }
  switch (node.name) {
    case 'NumberDurationLiteral':
      return { kind: 'number', value: numberLiteral(input, node) };
    case 'VectorSelector':
      return { kind: 'vector', matchers: vectorMatchers(input, node) };
    case 'MatrixSelector': {
      const vector = node.getChild('VectorSelector');
      const range = node.getChild('DurationExpr');
      if (vector === null || range === null) return fail(node.from, 'malformed range selector');
      return { kind: 'vector', matchers: vectorMatchers(input, vector), rangeMs: rangeMs(input, range) };
    }
    default:
      return fail(node.from, `${UNSUPPORTED[node.name] ?? node.name} not supported: ${SUPPORTED}`);
  }
}

export function fail(pos: number, message: string): never {
  throw new SelectorParseError(`1:${pos + 1}: parse error: ${message}`);
}

export function describeAt(input: string, pos: number): string {
  return pos >= input.length ? 'end of input' : JSON.stringify(input.slice(pos, pos + 20));
}

/** The first child that is not a comment. */
export function child(node: SyntaxNode): SyntaxNode | null {
  let c = node.firstChild;
  while (c !== null && c.name === 'LineComment') c = c.nextSibling;
  return c;
}

export function text(input: string, node: SyntaxNode): string {
  return input.slice(node.from, node.to);
}

export function vectorMatchers(input: string, node: SyntaxNode): LabelMatcher[] {
  const matchers: LabelMatcher[] = [];
  const name = node.getChild('Identifier');
  if (name !== null) matchers.push({ name: '__name__', type: '=', value: text(input, name) });
  const list = node.getChild('LabelMatchers');
  for (let m = list?.firstChild ?? null; m !== null; m = m.nextSibling) {
    if (m.name === 'QuotedLabelName') {
      // `{"metric.name", ...}`: the metric name, quoted (UTF-8 names).
      if (name !== null || matchers.some((x) => x.name === '__name__' && x.type === '=')) fail(m.from, 'metric name must not be set twice');
      matchers.push({ name: '__name__', type: '=', value: stringLiteral(input, m.getChild('StringLiteral') ?? m) });
      continue;
    }
    if (m.name !== 'UnquotedLabelMatcher' && m.name !== 'QuotedLabelMatcher') continue;
    const labelNode = m.getChild('LabelName') ?? m.getChild('QuotedLabelName');
    const op = m.getChild('MatchOp');
    const values = m.getChildren('StringLiteral');
    const valueNode = values[values.length - 1];
    if (labelNode === null || op === null || valueNode === undefined) fail(m.from, 'malformed label matcher');
    const label =
      labelNode.name === 'LabelName' ? text(input, labelNode) : stringLiteral(input, labelNode.getChild('StringLiteral') ?? labelNode);
    if (label === '__name__' && name !== null) fail(m.from, 'metric name must not be set twice');
    const matcher: LabelMatcher = { name: label, type: text(input, op) as LabelMatcher['type'], value: stringLiteral(input, valueNode) };
    if (matcher.type === '=~' || matcher.type === '!~') {
      try {
        compileMatcher(matcher);
      } catch (e) {
        fail(valueNode.from, `invalid regular expression ${JSON.stringify(matcher.value)}: ${(e as Error).message}`);
      }
    }
    matchers.push(matcher);
  }
  if (!matchers.some((m) => !compileMatcher(m).test(''))) fail(node.from, 'vector selector must contain at least one non-empty matcher');
  return matchers;
}

function rangeMs(input: string, node: SyntaxNode): number {
  const literal = child(node);
  if (literal === null || literal.name !== 'NumberDurationLiteralInDurationContext' || literal.nextSibling !== null) {
    return fail(node.from, `duration expressions are not supported: ${SUPPORTED}`);
  }
  const raw = text(input, literal);
  const seconds = /^\d+(?:\.\d+)?$/.test(raw) ? Number(raw) : undefined;
  const ms = seconds !== undefined ? Math.round(seconds * 1000) : parsePromDuration(raw);
  if (ms === undefined) return fail(literal.from, `bad number or duration syntax: ${JSON.stringify(raw)}`);
  if (ms <= 0) return fail(literal.from, 'range must be positive');
  return ms;
}

/** A number literal (decimal, hex, Inf, NaN) or a duration literal (its seconds, as Prometheus 3). */
export function numberLiteral(input: string, node: SyntaxNode): number {
  // The grammar folds a sign into the literal, with any spaces between (`- 2`).
  const raw = text(input, node).replace(/^([+-])\s+/, '$1');
  const sign = raw.startsWith('-') ? -1 : 1;
  const unsigned = raw.replace(/^[+-]/, '');
  const ms = /^\d+[a-z]/.test(unsigned) ? parsePromDuration(unsigned) : undefined;
  if (ms !== undefined) return (sign * ms) / 1000;
  const value = parseNumberLiteral(raw);
  if (Number.isNaN(value) && !/nan$/i.test(raw)) fail(node.from, `bad number or duration syntax: ${JSON.stringify(raw)}`);
  return value;
}

/** A PromQL string: "..." and '...' with Go escapes, `...` raw. */
export function stringLiteral(input: string, node: SyntaxNode): string {
  const src = text(input, node);
  const quote = src[0];
  const body = src.slice(1, -1);
  if (quote === '`') return body;
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = body[++i];
    switch (e) {
      case 'n':
        out += '\n';
        break;
      case 't':
        out += '\t';
        break;
      case 'r':
        out += '\r';
        break;
      case 'a':
        out += '\x07';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'v':
        out += '\v';
        break;
      case '\\':
        out += '\\';
        break;
      case '"':
      case "'":
        out += e;
        break;
      case 'x':
      case 'u':
      case 'U': {
        const len = e === 'x' ? 2 : e === 'u' ? 4 : 8;
        const hex = body.slice(i + 1, i + 1 + len);
        if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(hex)) fail(node.from + 1 + i, `invalid escape \\${e}${hex}`);
        i += len;
        out += String.fromCodePoint(parseInt(hex, 16));
        break;
      }
      default:
        fail(node.from + i, `unknown escape sequence ${JSON.stringify('\\' + (e ?? ''))}`);
    }
  }
  return out;
}

function parseNumberLiteral(text: string): number {
  const lower = text.toLowerCase().replace(/^\+/, '');
  if (lower === 'inf') return Infinity;
  if (lower === '-inf') return -Infinity;
  if (lower.endsWith('nan')) return NaN;
  if (/^-?0x/.test(lower)) return lower.startsWith('-') ? -parseInt(lower.slice(3), 16) : parseInt(lower.slice(2), 16);
  return Number(lower);
}

/** A matcher ready to test values. */
export interface CompiledMatcher {
  name: string;
  test: (value: string) => boolean;
}

/** A literal alternation (`a|b|c`, no regex syntax): matched as a set, as Prometheus's FastRegexMatcher does. */
const LITERALS = /^[A-Za-z0-9_:/ -]*(?:\|[A-Za-z0-9_:/ -]*)*$/;

/**
 * A regex matcher's test, with RE2's syntax and linear-time matching (re2js, a port of RE2/J):
 * fully anchored and `.` matching newlines, as Prometheus 3's `^(?s:re)$`. The value must parse on
 * its own first, so that it cannot close the anchoring group (`nomatch)|(.*`). Throws on a bad regex.
 */
function regexTest(value: string): (v: string) => boolean {
  if (value === '.*') return () => true;
  if (value === '.+') return (v) => v.length > 0;
  if (LITERALS.test(value)) {
    const set = new Set(value.split('|'));
    return (v) => set.has(v);
  }
  RE2JS.compile(value, RE2JS.DOTALL);
  const re = RE2JS.compile(`^(?:${value})$`, RE2JS.DOTALL);
  return (v) => re.matches(v);
}

/** Compiles a matcher. Throws on a bad regex. */
export function compileMatcher(m: LabelMatcher): CompiledMatcher {
  switch (m.type) {
    case '=':
      return { name: m.name, test: (v) => v === m.value };
    case '!=':
      return { name: m.name, test: (v) => v !== m.value };
    case '=~': {
      const test = regexTest(m.value);
      return { name: m.name, test };
    }
    case '!~': {
      const test = regexTest(m.value);
      return { name: m.name, test: (v) => !test(v) };
    }
  }
}

/** True when a label set satisfies every matcher (a missing label is the empty string). */
export function matchesLabels(matchers: readonly CompiledMatcher[], labels: Record<string, string>): boolean {
  for (const m of matchers) {
    if (!m.test(labels[m.name] ?? '')) return false;
  }
  return true;
}
