/**
 * Parser for the Prometheus text exposition format 0.0.4 and OpenMetrics 1.0 text format.
 *
 * Behaviour follows Prometheus's own parsers (`model/textparse/promparse.go` + `promlex.l`
 * and `openmetricsparse.go` + `openmetricslex.l`, Prometheus 2.x): the same tokens are
 * accepted and the same pages are rejected, with messages worded like Prometheus's. It scans
 * char codes of an already-decoded string (decode bytes with `TextDecoder('utf-8', { fatal: true })`
 * so invalid UTF-8 is refused before parsing, as Prometheus refuses it in label values and HELP).
 *
 * Samples are grouped into metric families the way Prometheus associates metadata: a sample
 * belongs to the family of the last HELP/TYPE/UNIT line when its name is that family's name
 * plus a suffix its type allows (`_bucket`, `_sum`, `_count`, `_created`, `_total`, ...);
 * otherwise it forms an implicit `unknown` family named after itself.
 */

/** The two text formats. */
export type ExpositionFormat = 'text' | 'openmetrics';

/** Metric types; text 0.0.4's `untyped` is reported as `unknown` (as Prometheus does). */
export type MetricType = 'counter' | 'gauge' | 'histogram' | 'gaugehistogram' | 'summary' | 'info' | 'stateset' | 'unknown';

/** One parsed sample. */
export interface ExpositionSample {
  /** The metric name (the `__name__` label). */
  name: string;
  /** Label pairs flattened `[name0, value0, name1, value1, ...]`, in page order, unescaped. */
  labels: string[];
  /** The value; NaN and ±Infinity allowed. */
  value: number;
  /** Milliseconds since the epoch: the page's timestamp, else `defaultTimestampMs`, else undefined. */
  timestampMs: number | undefined;
  /** True when the page carried a timestamp for this sample. */
  hasTimestamp: boolean;
}

/** A metric family: metadata and the samples that belong to it. */
export interface MetricFamily {
  /** Family name as in HELP/TYPE (for implicit families, the sample name). */
  name: string;
  type: MetricType;
  help: string | undefined;
  /** OpenMetrics UNIT. */
  unit: string | undefined;
  /** Whether HELP/TYPE/UNIT declared this family (false: implicit, from a bare sample). */
  declared: boolean;
  samples: ExpositionSample[];
}

/** Options of {@link parseExposition}. */
export interface ParseExpositionOptions {
  format: ExpositionFormat;
  /** Timestamp given to samples without one (ms). */
  defaultTimestampMs?: number;
  /** Stop with an error (`code: 'sample_limit'`) once more samples than this are read. */
  sampleLimit?: number;
  /**
   * Text 0.0.4 only: also refuse what the Pushgateway's parser (client_golang `expfmt.TextParser`)
   * refuses and a scrape accepts: a second TYPE line for a family, a TYPE after the family's
   * samples, a second HELP line. As there, `x_sum`/`x_count` (and `x_bucket`) name the family `x`
   * once `x` is a summary (a histogram).
   */
  metadataOnce?: boolean;
}

/** The result of {@link parseExposition}. */
export interface ParsedExposition {
  /** Families in page order (a name may appear twice if its metadata is repeated after other families). */
  families: MetricFamily[];
  /** Total samples. */
  samples: number;
}

/** Why a page was refused. */
export type ExpositionErrorCode = 'syntax' | 'sample_limit';

/** A page Prometheus would refuse: the 1-based line and the reason. */
export class ExpositionError extends Error {
  override readonly name = 'ExpositionError';
  constructor(
    readonly line: number,
    message: string,
    readonly code: ExpositionErrorCode = 'syntax',
  ) {
    super(`line ${line}: ${message}`);
  }
}

/** Suffixes a sample name may add to its family name, per type (OpenMetrics 1.0 §4; promparse `isSeriesPartOfFamily`). */
const FAMILY_SUFFIXES: Record<MetricType, readonly string[]> = {
  counter: ['_total', '_created'],
  gauge: [],
  histogram: ['_bucket', '_sum', '_count', '_created'],
  gaugehistogram: ['_bucket', '_gsum', '_gcount'],
  summary: ['_sum', '_count', '_created'],
  info: ['_info'],
  stateset: [],
  unknown: [],
};

/**
 * Whether a sample named `sampleName` belongs to the family `familyName` of type `type`
 * (the rule Prometheus uses to attach HELP/TYPE metadata, and the Pushgateway to group
 * "same-named metrics").
 */
export function belongsToFamily(sampleName: string, familyName: string, type: MetricType): boolean {
  if (!sampleName.startsWith(familyName)) {
    // Prometheus text allows a counter family declared with its `_total` name.
    if (type === 'counter' && familyName.endsWith('_total')) {
      return belongsToFamily(sampleName, familyName.slice(0, -6), type);
    }
    if (type === 'info' && familyName.endsWith('_info')) {
      return belongsToFamily(sampleName, familyName.slice(0, -5), type);
    }
    return false;
  }
  if (sampleName.length === familyName.length) return true;
  const rest = sampleName.slice(familyName.length);
  const suffixes = FAMILY_SUFFIXES[type];
  for (let k = 0; k < suffixes.length; k++) if (rest === suffixes[k]) return true;
  return false;
}

/**
 * The family name a sample belongs to given its family's type: the sample name minus the
 * suffix its type allows (`http_requests_total` of a counter → `http_requests`).
 */
export function familyOf(sampleName: string, type: MetricType): string {
  const suffixes = FAMILY_SUFFIXES[type];
  for (let k = 0; k < suffixes.length; k++) {
    const s = suffixes[k];
    if (sampleName.length > s.length && sampleName.endsWith(s)) return sampleName.slice(0, -s.length);
  }
  return sampleName;
}

/** A family as expfmt's text parser tracks it (`metadataOnce`). */
interface DeclaredFamily {
  name: string;
  /** Set by its TYPE line or its first sample. */
  type: MetricType | undefined;
  help: boolean;
}

/** The names expfmt folds into a declared summary or histogram (`summaryMetricName`, `histogramMetricName`). */
const EXPFMT_SUFFIXES: readonly (readonly [MetricType, readonly string[]])[] = [
  ['summary', ['_sum', '_count']],
  ['histogram', ['_sum', '_count', '_bucket']],
];

const TEXT_TYPES: Record<string, MetricType> = {
  counter: 'counter',
  gauge: 'gauge',
  histogram: 'histogram',
  summary: 'summary',
  untyped: 'unknown',
};

const OM_TYPES: Record<string, MetricType> = {
  counter: 'counter',
  gauge: 'gauge',
  histogram: 'histogram',
  gaugehistogram: 'gaugehistogram',
  summary: 'summary',
  info: 'info',
  stateset: 'stateset',
  unknown: 'unknown',
};

// Char codes.
const NL = 10;
const SP = 32;
const TAB = 9;
const HASH = 35;
const QUOTE = 34;
const BSLASH = 92;
const LBRACE = 123;
const RBRACE = 125;
const COMMA = 44;
const EQ = 61;

/** `[a-zA-Z_:]` */
function isMStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 58;
}
/** `[a-zA-Z_:0-9]` */
function isMChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 58 || (c >= 48 && c <= 57);
}
/** `[a-zA-Z_]` */
function isLStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
}
/** `[a-zA-Z_0-9]` */
function isLChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || (c >= 48 && c <= 57);
}

/**
 * Label-value escapes (`lvalReplacer` in promparse.go): `\\`, `\"`, `\n`; any other
 * backslash sequence is kept as written.
 */
export function unescapeLabelValue(s: string): string {
  return unescapeBackslashes(s, true);
}

/** HELP escapes of text 0.0.4 (`helpReplacer`): `\\` and `\n` only. */
function unescapeTextHelp(s: string): string {
  return unescapeBackslashes(s, false);
}

/** Replaces `\\`, `\n` and (when `quote`) `\"`; other backslash sequences stay as written. */
function unescapeBackslashes(s: string, quote: boolean): string {
  if (s.indexOf('\\') < 0) return s;
  let out = '';
  let from = 0;
  for (let k = 0; k < s.length - 1; k++) {
    if (s.charCodeAt(k) !== BSLASH) continue;
    const n = s.charCodeAt(k + 1);
    const rep = n === BSLASH ? '\\' : n === 110 ? '\n' : quote && n === QUOTE ? '"' : undefined;
    if (rep === undefined) continue;
    out += s.slice(from, k) + rep;
    k++;
    from = k + 1;
  }
  return out + s.slice(from);
}

/** Result slot for float parsing, to avoid allocating. */
const FLOAT_ERR = { message: '' };

/**
 * Go's `strconv.ParseFloat(s, 64)` as Prometheus calls it (`parseFloat` in promparse.go):
 * decimal with optional sign/exponent, `Inf`/`Infinity`/`NaN` in any case, no `_`, no hex
 * (Prometheus refuses `p`/`P`); out-of-range values are errors. Returns undefined on error
 * with the reason in FLOAT_ERR.
 */
export function parseGoFloat(s: string): number | undefined {
  const n = s.length;
  if (n === 0) {
    FLOAT_ERR.message = 'strconv.ParseFloat: parsing "": invalid syntax';
    return undefined;
  }
  let k = 0;
  let c = s.charCodeAt(0);
  if (c === 43 || c === 45) {
    k = 1;
    c = s.charCodeAt(1);
  }
  // Specials: inf, infinity (signed), nan (unsigned).
  if (c === 105 || c === 73 || c === 110 || c === 78) {
    const rest = s.slice(k).toLowerCase();
    if (rest === 'inf' || rest === 'infinity') return s.charCodeAt(0) === 45 ? -Infinity : Infinity;
    if (rest === 'nan' && k === 0) return NaN;
    return syntaxError(s);
  }
  let digits = 0;
  while (k < n && (c = s.charCodeAt(k)) >= 48 && c <= 57) {
    k++;
    digits++;
  }
  if (k < n && s.charCodeAt(k) === 46) {
    k++;
    while (k < n && (c = s.charCodeAt(k)) >= 48 && c <= 57) {
      k++;
      digits++;
    }
  }
  if (digits === 0) return syntaxError(s);
  if (k < n) {
    c = s.charCodeAt(k);
    if (c !== 101 && c !== 69) return syntaxError(s);
    k++;
    c = s.charCodeAt(k);
    if (c === 43 || c === 45) k++;
    const e0 = k;
    while (k < n && (c = s.charCodeAt(k)) >= 48 && c <= 57) k++;
    if (k === e0 || k < n) return syntaxError(s);
  }
  const v = +s;
  if (v === Infinity || v === -Infinity) {
    FLOAT_ERR.message = `strconv.ParseFloat: parsing ${JSON.stringify(s)}: value out of range`;
    return undefined;
  }
  return v;
}

function syntaxError(s: string): undefined {
  FLOAT_ERR.message = `strconv.ParseFloat: parsing ${JSON.stringify(s)}: invalid syntax`;
  return undefined;
}

const INT64_MAX = 9223372036854775807n;

/**
 * Parses an exposition page. Throws {@link ExpositionError} (with the 1-based line) for
 * anything Prometheus's parser refuses, plus duplicate label names within a sample (which
 * Prometheus's scrape loop refuses).
 */
export function parseExposition(text: string, opts: ParseExpositionOptions): ParsedExposition {
  return new Parser(text, opts).run();
}

class Parser {
  private readonly s: string;
  private readonly n: number;
  private i = 0;
  private line = 1;
  private lineStart = 0;
  private readonly om: boolean;
  private readonly defaultTs: number | undefined;
  private readonly limit: number;
  private readonly families: MetricFamily[] = [];
  /** Family of the last HELP/TYPE/UNIT line. */
  private current: MetricFamily | undefined;
  /** Implicit families by sample name (samples with no matching metadata). */
  private readonly implicit = new Map<string, MetricFamily>();
  private count = 0;
  private lastFamily: MetricFamily | undefined;
  private lastName = '';
  /** Families whose TYPE line has been read. */
  private readonly typed = new WeakSet<MetricFamily>();
  /** With `metadataOnce`: expfmt's families by name, whether typed (by TYPE or a sample) and whether HELP was read. */
  private readonly declaredOnce: Map<string, DeclaredFamily> | undefined;

  constructor(text: string, opts: ParseExpositionOptions) {
    this.s = text;
    this.n = text.length;
    this.om = opts.format === 'openmetrics';
    this.defaultTs = opts.defaultTimestampMs;
    this.limit = opts.sampleLimit ?? Infinity;
    this.declaredOnce = opts.metadataOnce && !this.om ? new Map() : undefined;
  }

  /** expfmt's `setOrCreateCurrentMF`: the family `name` is, creating it when none is. */
  private declaredFamily(declared: Map<string, DeclaredFamily>, name: string): DeclaredFamily {
    const own = declared.get(name);
    if (own !== undefined) return own;
    for (const [type, suffixes] of EXPFMT_SUFFIXES) {
      for (const suffix of suffixes) {
        if (!name.endsWith(suffix)) continue;
        const base = declared.get(name.slice(0, -suffix.length));
        if (base !== undefined && base.type === type) return base;
      }
    }
    const created: DeclaredFamily = { name, type: undefined, help: false };
    declared.set(name, created);
    return created;
  }

  run(): ParsedExposition {
    if (this.om) this.runOpenMetrics();
    else this.runText();
    return { families: this.families, samples: this.count };
  }

  private fail(message: string): never {
    throw new ExpositionError(this.line, message);
  }

  /** `<exp>, got "<token>" while parsing: "<line so far>"`, like promparse's parseError. */
  private failAt(exp: string, tokenStart: number): never {
    const end = Math.min(this.n, Math.max(this.i, tokenStart) + 1);
    const got = this.s.slice(tokenStart, end);
    const ctx = this.s.slice(this.lineStart, end);
    this.fail(`${exp}, got ${JSON.stringify(got)} while parsing: ${JSON.stringify(ctx)}`);
  }

  /** The float in `[start, end)` of the current line, or the error Prometheus gives for it. */
  private goFloat(start: number, end: number): number {
    const v = parseGoFloat(this.s.slice(start, end));
    if (v === undefined) this.fail(`${FLOAT_ERR.message} while parsing: ${JSON.stringify(this.s.slice(this.lineStart, end))}`);
    return v;
  }

  private skipWs(): void {
    const s = this.s;
    let i = this.i;
    let c: number;
    while (i < this.n && ((c = s.charCodeAt(i)) === SP || c === TAB)) i++;
    this.i = i;
  }

  private newline(): void {
    this.i++;
    this.line++;
    this.lineStart = this.i;
  }

  // ---- Prometheus text format 0.0.4 (promlex.l) ----

  private runText(): void {
    const s = this.s;
    while (true) {
      this.lineStart = this.i;
      this.skipWs();
      if (this.i >= this.n) return;
      const c = s.charCodeAt(this.i);
      if (c === NL) {
        this.newline();
        continue;
      }
      if (c === HASH) {
        this.textComment();
        continue;
      }
      if (isMStart(c) || c === LBRACE) {
        this.series();
        continue;
      }
      if (c === 0) return; // promlex: \0 ends the input
      this.failAt('expected a valid start token', this.i);
    }
  }

  private restOfLine(): string {
    const s = this.s;
    const start = this.i;
    let end = s.indexOf('\n', start);
    if (end < 0) end = this.n;
    this.i = end;
    return s.slice(start, end);
  }

  private textComment(): void {
    const s = this.s;
    this.i++; // '#'
    const c = s.charCodeAt(this.i);
    if (c !== SP && c !== TAB) {
      this.restOfLine();
      return;
    }
    this.skipWs();
    const kw = s.slice(this.i, this.i + 4);
    const after = s.charCodeAt(this.i + 4);
    if ((kw !== 'HELP' && kw !== 'TYPE') || (after !== SP && after !== TAB)) {
      this.restOfLine();
      return;
    }
    this.i += 4;
    this.skipWs();
    const name = this.metaName(kw);
    // promlex: sMeta2 takes the rest of the line; the parser drops its first character.
    const rest = this.restOfLine();
    const textValue = rest.length > 1 ? rest.slice(1) : '';
    if (this.declaredOnce !== undefined) {
      // expfmt's wording (text_parse.go readingType / readingHelp).
      const f = this.declaredFamily(this.declaredOnce, name);
      if (kw === 'TYPE') {
        if (f.type !== undefined) this.fail(`second TYPE line for metric name ${JSON.stringify(f.name)}, or TYPE reported after samples`);
        f.type = TEXT_TYPES[textValue] ?? 'unknown';
      } else {
        if (f.help) this.fail(`second HELP line for metric name ${JSON.stringify(f.name)}`);
        f.help = true;
      }
    }
    if (kw === 'TYPE') {
      const type = TEXT_TYPES[textValue];
      if (type === undefined) this.fail(`invalid metric type ${JSON.stringify(textValue)}`);
      this.meta(name, 'type', type);
    } else {
      this.meta(name, 'help', unescapeTextHelp(textValue));
    }
  }

  /** Metric name after HELP/TYPE/UNIT: `{M}({M}|{D})*` or a quoted name. */
  private metaName(kw: string): string {
    const s = this.s;
    const start = this.i;
    const c = s.charCodeAt(start);
    if (isMStart(c)) {
      let i = start + 1;
      while (i < this.n && isMChar(s.charCodeAt(i))) i++;
      this.i = i;
      return s.slice(start, i);
    }
    if (c === QUOTE) {
      const raw = this.quoted(false);
      if (raw !== undefined) return unescapeLabelValue(raw);
    }
    this.failAt(`expected metric name after ${kw}`, start);
  }

  /**
   * Attaches metadata: the current family gets it if the name matches and the field is
   * unset and it has no samples yet; otherwise a new declared family starts.
   */
  private meta(name: string, field: 'help' | 'type' | 'unit', value: string): void {
    let f = this.current;
    const seen = field === 'type' ? f !== undefined && this.typed.has(f) : f !== undefined && f[field] !== undefined;
    if (f === undefined || f.name !== name || f.samples.length > 0 || seen) {
      f = { name, type: 'unknown', help: undefined, unit: undefined, declared: true, samples: [] };
      this.families.push(f);
      this.current = f;
    }
    if (field === 'type') {
      f.type = value as MetricType;
      this.typed.add(f);
    } else if (field === 'help') f.help = value;
    else f.unit = value;
  }

  /** Scans a `"..."` token with backslash escapes (no raw newline in OpenMetrics); returns its raw inside. */
  private quoted(noNewline: boolean): string | undefined {
    const s = this.s;
    let i = this.i + 1;
    const start = i;
    while (i < this.n) {
      const c = s.charCodeAt(i);
      if (c === QUOTE) {
        this.i = i + 1;
        return s.slice(start, i);
      }
      if (c === BSLASH) {
        const d = s.charCodeAt(i + 1);
        if (d === NL) return undefined; // `\\.` does not match a newline
        i += 2;
        continue;
      }
      if (c === NL) {
        if (noNewline) return undefined;
        this.line++;
      }
      i++;
    }
    return undefined;
  }

  /** One sample line (both formats). */
  private series(): void {
    const s = this.s;
    const om = this.om;
    let name: string | undefined;
    const start = this.i;
    if (isMStart(s.charCodeAt(start))) {
      let i = start + 1;
      while (i < this.n && isMChar(s.charCodeAt(i))) i++;
      this.i = i;
      name = s.slice(start, i);
      if (!om) this.skipWs();
    }
    let labels: string[] = [];
    if (s.charCodeAt(this.i) === LBRACE) {
      this.i++;
      const r = this.labelSet(name === undefined);
      labels = r.labels;
      if (r.name !== undefined) name = r.name;
    }
    if (name === undefined) {
      this.fail(`metric name not set while parsing: ${JSON.stringify(s.slice(this.lineStart, this.i))}`);
    }
    // Value.
    let vStart: number;
    if (om) {
      if (s.charCodeAt(this.i) !== SP) this.failAt('expected value after metric', this.i);
      vStart = ++this.i;
    } else {
      this.skipWs();
      vStart = this.i;
    }
    let i = vStart;
    let c: number;
    if (om) while (i < this.n && (c = s.charCodeAt(i)) !== SP && c !== NL) i++;
    else while (i < this.n && (c = s.charCodeAt(i)) !== SP && c !== TAB && c !== NL && c !== LBRACE) i++;
    if (i === vStart) this.failAt('expected value after metric', vStart);
    this.i = i;
    const value = this.goFloat(vStart, i);
    const ts = om ? this.omSuffix() : this.textSuffix();
    // expfmt types a family on its first sample (untyped), so a TYPE after it is refused.
    if (this.declaredOnce !== undefined) {
      const f = this.declaredFamily(this.declaredOnce, name);
      f.type ??= 'unknown';
    }
    this.addSample(name, labels, value, ts);
  }

  /** After a text-format value: optional integer ms timestamp, then end of line. */
  private textSuffix(): number | undefined {
    const s = this.s;
    this.skipWs();
    if (this.i >= this.n) return undefined;
    let c = s.charCodeAt(this.i);
    if (c === NL) {
      this.newline();
      return undefined;
    }
    if (c < 48 || c > 57) this.failAt('expected timestamp or new record', this.i);
    const tStart = this.i;
    let i = tStart;
    while (i < this.n && (c = s.charCodeAt(i)) >= 48 && c <= 57) i++;
    this.i = i;
    const digits = s.slice(tStart, i);
    if (digits.length >= 19 && BigInt(digits) > INT64_MAX) {
      this.fail(
        `strconv.ParseInt: parsing ${JSON.stringify(digits)}: value out of range while parsing: ` +
          `${JSON.stringify(s.slice(this.lineStart, i))}`,
      );
    }
    const ts = +digits;
    this.skipWs();
    if (this.i < this.n) {
      if (s.charCodeAt(this.i) !== NL) this.failAt('expected next entry after timestamp', this.i);
      this.newline();
    }
    return ts;
  }

  /** After an OpenMetrics value: `\n`, ` ts\n`, ` # {exemplar}...`, ` ts # {exemplar}...`. */
  private omSuffix(): number | undefined {
    const s = this.s;
    if (this.i >= this.n) this.fail('data does not end with # EOF');
    let c = s.charCodeAt(this.i);
    if (c === NL) {
      this.newline();
      return undefined;
    }
    // c is SP here (the value scan stops only at SP or NL).
    if (this.atExemplar()) {
      this.exemplar();
      return undefined;
    }
    const tStart = ++this.i;
    let i = tStart;
    while (i < this.n && (c = s.charCodeAt(i)) !== SP && c !== NL) i++;
    if (i === tStart) this.failAt('expected timestamp or new record', tStart);
    this.i = i;
    const sec = this.goFloat(tStart, i);
    if (Number.isNaN(sec) || !Number.isFinite(sec)) this.fail(`invalid timestamp ${goFloatF(sec)}`);
    const ts = Math.trunc(sec * 1000);
    if (this.i >= this.n) this.fail('data does not end with # EOF');
    c = s.charCodeAt(this.i);
    if (c === NL) {
      this.newline();
      return ts;
    }
    if (this.atExemplar()) {
      this.exemplar();
      return ts;
    }
    this.failAt('expected next entry after timestamp', this.i);
  }

  /** At ` # {`? */
  private atExemplar(): boolean {
    const s = this.s;
    const i = this.i;
    return s.charCodeAt(i) === SP && s.charCodeAt(i + 1) === HASH && s.charCodeAt(i + 2) === SP && s.charCodeAt(i + 3) === LBRACE;
  }

  /** An OpenMetrics exemplar: validated and dropped (exemplars are tolerated, not stored). */
  private exemplar(): void {
    const s = this.s;
    this.i += 4;
    this.labelSet(false, true);
    if (s.charCodeAt(this.i) !== SP) this.failAt('expected value after exemplar labels', this.i);
    const vStart = ++this.i;
    let i = vStart;
    let c = 0;
    while (i < this.n && (c = s.charCodeAt(i)) !== SP && c !== NL) i++;
    if (i === vStart) this.failAt('expected value after exemplar labels', vStart);
    this.i = i;
    this.goFloat(vStart, i);
    if (i >= this.n) this.fail('data does not end with # EOF');
    if (c === SP) {
      const tStart = ++this.i;
      i = tStart;
      while (i < this.n && (c = s.charCodeAt(i)) !== SP && c !== NL) i++;
      if (i === tStart) this.failAt('expected timestamp or comment', tStart);
      this.i = i;
      const sec = this.goFloat(tStart, i);
      if (!Number.isFinite(sec)) this.fail(`invalid exemplar timestamp ${goFloatF(sec)}`);
      if (i >= this.n) this.fail('data does not end with # EOF');
      if (c !== NL) this.failAt('expected next entry after exemplar timestamp', i);
    }
    this.newline();
  }

  /**
   * The inside of `{...}` (the `{` consumed). Text 0.0.4 allows whitespace and missing
   * commas between pairs (promparse.go notes this); OpenMetrics requires `,` or `}` after a
   * value. A quoted string followed by `,`/`}` is the metric name (UTF-8 names).
   */
  private labelSet(nameAllowed: boolean, exemplar = false): { labels: string[]; name: string | undefined } {
    const s = this.s;
    const om = this.om;
    const labels: string[] = [];
    let name: string | undefined;
    while (true) {
      if (!om) this.skipWs();
      const tStart = this.i;
      const c = s.charCodeAt(tStart);
      if (c === RBRACE) {
        this.i++;
        break;
      }
      let lname: string;
      let quotedName = false;
      if (isLStart(c)) {
        let i = tStart + 1;
        while (i < this.n && isLChar(s.charCodeAt(i))) i++;
        this.i = i;
        lname = s.slice(tStart, i);
      } else if (c === QUOTE && !exemplar) {
        const raw = this.quoted(true);
        if (raw === undefined) this.failAt('expected label name', tStart);
        lname = unescapeLabelValue(raw);
        quotedName = true;
      } else {
        this.failAt('expected label name', tStart);
      }
      if (!om) this.skipWs();
      let d = s.charCodeAt(this.i);
      if (quotedName && (d === COMMA || d === RBRACE)) {
        if (!nameAllowed || name !== undefined) {
          this.fail(`metric name already set while parsing: ${JSON.stringify(s.slice(this.lineStart, this.i))}`);
        }
        name = lname;
        this.i++;
        if (d === RBRACE) break;
        continue;
      }
      if (d !== EQ) this.failAt('expected equal', this.i);
      this.i++;
      if (!om) this.skipWs();
      if (s.charCodeAt(this.i) !== QUOTE) this.failAt('expected label value', this.i);
      const vStart = this.i;
      const raw = this.quoted(om);
      if (raw === undefined) this.failAt('expected label value', vStart);
      const value = unescapeLabelValue(raw);
      for (let k = 0; k < labels.length; k += 2) {
        if (labels[k] === lname) this.fail(`label name ${JSON.stringify(lname)} is not unique: invalid sample`);
      }
      labels.push(lname, value);
      if (!om) this.skipWs();
      d = s.charCodeAt(this.i);
      if (d === COMMA) this.i++;
      else if (om && d !== RBRACE) this.failAt('expected comma or brace close', this.i);
    }
    if (nameAllowed && name === undefined && !exemplar) {
      this.fail(`metric name not set while parsing: ${JSON.stringify(s.slice(this.lineStart, this.i))}`);
    }
    return { labels, name };
  }

  private addSample(name: string, labels: string[], value: number, ts: number | undefined): void {
    if (++this.count > this.limit) {
      throw new ExpositionError(this.line, `sample limit exceeded: more than ${this.limit} samples`, 'sample_limit');
    }
    for (let k = 0; k < labels.length; k += 2) {
      if (labels[k] === '__name__') this.fail(`label name "__name__" is not unique: invalid sample`);
    }
    const sample: ExpositionSample = {
      name,
      labels,
      value,
      timestampMs: ts ?? this.defaultTs,
      hasTimestamp: ts !== undefined,
    };
    const cur = this.current;
    // Consecutive samples mostly share a name: remember the last decision.
    if (cur !== undefined && cur === this.lastFamily && name === this.lastName) {
      cur.samples.push(sample);
      return;
    }
    if (cur !== undefined && (cur.name === name || belongsToFamily(name, cur.name, cur.type))) {
      cur.samples.push(sample);
      this.lastFamily = cur;
      this.lastName = name;
      return;
    }
    let f = this.implicit.get(name);
    if (f === undefined) {
      f = { name, type: 'unknown', help: undefined, unit: undefined, declared: false, samples: [] };
      this.implicit.set(name, f);
      this.families.push(f);
    }
    f.samples.push(sample);
  }

  // ---- OpenMetrics 1.0 (openmetricslex.l) ----

  private runOpenMetrics(): void {
    const s = this.s;
    while (true) {
      this.lineStart = this.i;
      if (this.i >= this.n) this.fail('data does not end with # EOF');
      const c = s.charCodeAt(this.i);
      if (c === HASH) {
        if (this.omComment()) return;
        continue;
      }
      if (isMStart(c) || c === LBRACE) {
        this.series();
        continue;
      }
      this.failAt('expected a valid start token', this.i);
    }
  }

  /** A `# ` line; returns true at `# EOF`. */
  private omComment(): boolean {
    const s = this.s;
    const start = this.i;
    if (s.charCodeAt(start + 1) !== SP) this.failAt('expected a valid start token', start);
    this.i += 2;
    if (s.startsWith('EOF', this.i)) {
      let i = this.i + 3;
      if (s.charCodeAt(i) === NL) i++;
      if (i < this.n) {
        this.i = i;
        this.fail('unexpected data after # EOF');
      }
      this.i = i;
      return true;
    }
    const kw = s.slice(this.i, this.i + 4);
    if ((kw !== 'HELP' && kw !== 'TYPE' && kw !== 'UNIT') || s.charCodeAt(this.i + 4) !== SP) {
      this.failAt('expected a valid start token', start);
    }
    this.i += 5;
    const name = this.metaName(kw);
    // sMeta2: `{S}{C}*\n` — one space, the text, a newline.
    if (s.charCodeAt(this.i) !== SP) this.fail(`expected text in ${kw}`);
    this.i++;
    const textValue = this.restOfLine();
    if (this.i >= this.n) this.fail(`expected text in ${kw}`);
    this.newline();
    if (kw === 'TYPE') {
      const type = OM_TYPES[textValue];
      if (type === undefined) this.fail(`invalid metric type ${JSON.stringify(textValue)}`);
      this.meta(name, 'type', type);
    } else if (kw === 'HELP') {
      this.meta(name, 'help', unescapeLabelValue(textValue));
    } else {
      if (
        textValue.length > 0 &&
        !(name.length > textValue.length && name.endsWith(textValue) && name.charCodeAt(name.length - textValue.length - 1) === 95)
      ) {
        this.fail(`unit ${JSON.stringify(textValue)} not a suffix of metric ${JSON.stringify(name)}`);
      }
      this.meta(name, 'unit', textValue);
    }
    return false;
  }
}

/** Go's `%f` of a non-finite float (for messages). */
function goFloatF(v: number): string {
  return Number.isNaN(v) ? 'NaN' : v > 0 ? '+Inf' : '-Inf';
}
