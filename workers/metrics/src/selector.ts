/**
 * A small, strict parser for the PromQL subset the read API answers: a vector selector
 * (`name`, `name{l="v",...}`, `{__name__=~"x.*"}`) optionally followed by a range (`[5m]`),
 * or a plain number literal. Anything else is refused with a message naming the position.
 * (Full PromQL is a later issue; `@prometheus-io/lezer-promql` is not installed.)
 *
 * Matchers follow the Prometheus data model: a missing label matches as the empty string,
 * regexes are fully anchored (`^(?s:re)$`), and a selector must have at least one matcher
 * that does not match the empty string.
 */

/** One label matcher. */
export interface LabelMatcher {
  name: string;
  type: '=' | '!=' | '=~' | '!~';
  value: string;
}

/** A parsed query expression. */
export type SelectorExpr =
  | { kind: 'vector'; matchers: LabelMatcher[]; rangeMs?: number }
  | { kind: 'number'; value: number };

/** A parse error, with Prometheus's `1:col: parse error: ...` message. */
export class SelectorParseError extends Error {}

const IDENT_START = /[a-zA-Z_:]/;
const IDENT_CHAR = /[a-zA-Z0-9_:]/;
const LABEL_START = /[a-zA-Z_]/;
const LABEL_CHAR = /[a-zA-Z0-9_]/;

/** Parses a query: a vector selector with an optional range, or a number literal. */
export function parseSelector(input: string): SelectorExpr {
  const p = new Parser(input);
  const expr = p.expression();
  p.skipSpace();
  if (!p.atEnd()) p.fail(`unexpected ${JSON.stringify(input.slice(p.pos, p.pos + 20))}: only vector selectors, range selectors and number literals are supported`);
  return expr;
}

class Parser {
  pos = 0;
  constructor(readonly src: string) {}

  atEnd(): boolean { return this.pos >= this.src.length; }

  fail(message: string): never {
    throw new SelectorParseError(`1:${this.pos + 1}: parse error: ${message}`);
  }

  skipSpace(): void {
    while (!this.atEnd()) {
      const c = this.src[this.pos];
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r') this.pos++;
      else if (c === '#') { while (!this.atEnd() && this.src[this.pos] !== '\n') this.pos++; }
      else break;
    }
  }

  expression(): SelectorExpr {
    this.skipSpace();
    if (this.atEnd()) this.fail('no expression found in input');
    const c = this.src[this.pos];
    const number = /^[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|0[xX][0-9a-fA-F]+|[iI][nN][fF](?![a-zA-Z0-9_:])|[nN][aA][nN](?![a-zA-Z0-9_:]))/.exec(this.src.slice(this.pos));
    if (number && (c !== 'i' && c !== 'I' && c !== 'n' && c !== 'N' || this.isNumberWord(number[0]))) {
      this.pos += number[0].length;
      return { kind: 'number', value: parseNumberLiteral(number[0]) };
    }
    const matchers: LabelMatcher[] = [];
    let hasName = false;
    if (IDENT_START.test(c)) {
      const start = this.pos;
      while (!this.atEnd() && IDENT_CHAR.test(this.src[this.pos])) this.pos++;
      const name = this.src.slice(start, this.pos);
      if (KEYWORDS.has(name.toLowerCase())) {
        this.pos = start;
        this.fail(`${JSON.stringify(name)} is not supported: only vector selectors, range selectors and number literals are supported`);
      }
      matchers.push({ name: '__name__', type: '=', value: name });
      hasName = true;
      this.skipSpace();
    }
    if (!this.atEnd() && this.src[this.pos] === '{') {
      this.pos++;
      for (const m of this.matcherList()) {
        if (hasName && m.name === '__name__') this.fail('metric name must not be set twice');
        matchers.push(m);
      }
    } else if (!hasName) {
      this.fail(`unexpected character ${JSON.stringify(c)}: only vector selectors, range selectors and number literals are supported`);
    }
    if (!matchers.some((m) => !matchesValue(compileMatcher(m), ''))) {
      this.fail('vector selector must contain at least one non-empty matcher');
    }
    this.skipSpace();
    let rangeMs: number | undefined;
    if (!this.atEnd() && this.src[this.pos] === '[') {
      this.pos++;
      this.skipSpace();
      const start = this.pos;
      while (!this.atEnd() && /[0-9a-zA-Z.]/.test(this.src[this.pos])) this.pos++;
      const text = this.src.slice(start, this.pos);
      const ms = parsePromDuration(text);
      if (ms === undefined) { this.pos = start; this.fail(`bad number or duration syntax: ${JSON.stringify(text)}`); }
      if (ms <= 0) { this.pos = start; this.fail('range must be positive'); }
      this.skipSpace();
      if (this.src[this.pos] !== ']') this.fail('expected "]" after the range duration (subqueries are not supported)');
      this.pos++;
      rangeMs = ms;
    }
    this.skipSpace();
    if (!this.atEnd()) {
      const rest = this.src.slice(this.pos);
      if (/^(offset|@)\b|^@/.test(rest)) this.fail('the offset and @ modifiers are not supported');
    }
    return rangeMs === undefined ? { kind: 'vector', matchers } : { kind: 'vector', matchers, rangeMs };
  }

  private isNumberWord(word: string): boolean {
    const rest = this.src.slice(this.pos + word.length);
    return !/^[a-zA-Z0-9_:{]/.test(rest) && !/^\s*\{/.test(rest);
  }

  matcherList(): LabelMatcher[] {
    const out: LabelMatcher[] = [];
    for (;;) {
      this.skipSpace();
      if (this.atEnd()) this.fail('unexpected end of input inside braces');
      if (this.src[this.pos] === '}') { this.pos++; return out; }
      let name: string;
      if (this.src[this.pos] === '"' || this.src[this.pos] === "'" || this.src[this.pos] === '`') {
        name = this.stringLiteral();
      } else {
        if (!LABEL_START.test(this.src[this.pos])) this.fail(`unexpected ${JSON.stringify(this.src[this.pos])} in label matching, expected label name`);
        const start = this.pos;
        while (!this.atEnd() && LABEL_CHAR.test(this.src[this.pos])) this.pos++;
        name = this.src.slice(start, this.pos);
      }
      this.skipSpace();
      const op = /^(=~|!~|!=|=)/.exec(this.src.slice(this.pos));
      if (!op) this.fail(`unexpected ${JSON.stringify(this.src.slice(this.pos, this.pos + 1) || 'end of input')} in label matching, expected label matching operator`);
      this.pos += op[0].length;
      this.skipSpace();
      const value = this.stringLiteral();
      const matcher: LabelMatcher = { name, type: op[0] as LabelMatcher['type'], value };
      if (matcher.type === '=~' || matcher.type === '!~') {
        try { compileMatcher(matcher); } catch (e) { this.fail(`invalid regular expression ${JSON.stringify(value)}: ${(e as Error).message}`); }
      }
      out.push(matcher);
      this.skipSpace();
      if (this.src[this.pos] === ',') { this.pos++; continue; }
      if (this.src[this.pos] === '}') { this.pos++; return out; }
      this.fail(`unexpected ${JSON.stringify(this.src.slice(this.pos, this.pos + 1) || 'end of input')} in label matching, expected "," or "}"`);
    }
  }

  /** A PromQL string: "..." and '...' with Go escapes, `...` raw. */
  stringLiteral(): string {
    const quote = this.src[this.pos];
    if (quote !== '"' && quote !== "'" && quote !== '`') this.fail('expected a string literal');
    this.pos++;
    let out = '';
    while (!this.atEnd()) {
      const c = this.src[this.pos++];
      if (c === quote) return out;
      if (quote === '`') { out += c; continue; }
      if (c === '\n') this.fail('unterminated quoted string');
      if (c !== '\\') { out += c; continue; }
      const e = this.src[this.pos++];
      switch (e) {
        case 'n': out += '\n'; break;
        case 't': out += '\t'; break;
        case 'r': out += '\r'; break;
        case 'a': out += '\x07'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'v': out += '\v'; break;
        case '\\': out += '\\'; break;
        case '"': case "'": out += e; break;
        case 'x': case 'u': case 'U': {
          const len = e === 'x' ? 2 : e === 'u' ? 4 : 8;
          const hex = this.src.slice(this.pos, this.pos + len);
          if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(hex)) this.fail(`invalid escape \\${e}${hex}`);
          this.pos += len;
          out += String.fromCodePoint(parseInt(hex, 16));
          break;
        }
        default: this.fail(`unknown escape sequence ${JSON.stringify('\\' + (e ?? ''))}`);
      }
    }
    return this.fail('unterminated quoted string');
  }
}

const KEYWORDS = new Set(['sum', 'avg', 'min', 'max', 'count', 'stddev', 'stdvar', 'topk', 'bottomk', 'quantile', 'count_values', 'group', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless', 'offset']);

function parseNumberLiteral(text: string): number {
  const lower = text.toLowerCase().replace(/^\+/, '');
  if (lower === 'inf') return Infinity;
  if (lower === '-inf') return -Infinity;
  if (lower.endsWith('nan')) return NaN;
  if (/^-?0x/.test(lower)) return lower.startsWith('-') ? -parseInt(lower.slice(3), 16) : parseInt(lower.slice(2), 16);
  return Number(lower);
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 31_536_000_000 };

/**
 * A Prometheus duration (`1h30m`, `15s`, `500ms`, units ms s m h d w y, largest first, each once)
 * in milliseconds; undefined when the text is not one.
 */
export function parsePromDuration(text: string): number | undefined {
  if (text === '0') return 0;
  const re = /(\d+)(ms|s|m|h|d|w|y)/y;
  let pos = 0;
  let total = 0;
  let lastUnit = Infinity;
  while (pos < text.length) {
    re.lastIndex = pos;
    const m = re.exec(text);
    if (!m) return undefined;
    const unit = DURATION_UNITS[m[2]];
    if (unit >= lastUnit) return undefined;
    lastUnit = unit;
    total += Number(m[1]) * unit;
    pos = re.lastIndex;
  }
  return pos === 0 ? undefined : total;
}

/** A matcher ready to test values. */
export interface CompiledMatcher {
  name: string;
  test: (value: string) => boolean;
}

/** Compiles a matcher; regexes are anchored like Prometheus's `^(?s:re)$`. Throws on a bad regex. */
export function compileMatcher(m: LabelMatcher): CompiledMatcher {
  switch (m.type) {
    case '=': return { name: m.name, test: (v) => v === m.value };
    case '!=': return { name: m.name, test: (v) => v !== m.value };
    case '=~': { const re = new RegExp(`^(?:${m.value})$`, 's'); return { name: m.name, test: (v) => re.test(v) }; }
    case '!~': { const re = new RegExp(`^(?:${m.value})$`, 's'); return { name: m.name, test: (v) => !re.test(v) }; }
  }
}

function matchesValue(m: CompiledMatcher, value: string): boolean {
  return m.test(value);
}

/** True when a label set satisfies every matcher (a missing label is the empty string). */
export function matchesLabels(matchers: readonly CompiledMatcher[], labels: Record<string, string>): boolean {
  for (const m of matchers) {
    if (!m.test(labels[m.name] ?? '')) return false;
  }
  return true;
}
