/**
 * InfluxDB line protocol parser.
 *
 * Reference: InfluxDB v2 "Line protocol" reference (docs.influxdata.com/influxdb/v2/reference/syntax/line-protocol/),
 * the v1 reference for the `n|u|m|h` precisions, and the behaviour of InfluxDB's own decoders
 * (`influxdata/line-protocol/v2/lineprotocol` for escaping, `influxdb/models` for error wording).
 *
 * Syntax: `<measurement>[,<tag_key>=<tag_value>...] <field_key>=<field_value>[,...] [<timestamp>]`
 *
 * The parser is on the ingest hot path: it walks the UTF-8 bytes of the body once (no decoding of the
 * whole body), decodes each distinct name once per request (interned by a hash computed while scanning),
 * parses numbers without intermediate strings where the result is exact, and allocates no object per
 * line: points go into columns ({@link PointColumns}: a shared shape per series key and field layout,
 * numbers in typed arrays); {@link Point} objects are built only when a caller asks for them.
 */

import {
  columnsForBody,
  grown,
  growPoints,
  pointsOf,
  type FieldType,
  type Point,
  type PointColumns,
  type PointShape,
} from './point-columns';

/** Timestamp precision of a write: v2 `ns|us|ms|s`, v1 also `n|u|m|h` (`m` is minutes, `h` hours). */
export type Precision = 'ns' | 'us' | 'ms' | 's' | 'n' | 'u' | 'm' | 'h';

/** A line that could not be parsed. */
export interface LineError {
  /** 1-based line number. */
  line: number;
  /** InfluxDB's wording: `unable to parse '<line>': <reason>` (the quoted line is cut at 256 chars). */
  message: string;
  /** The reason alone, e.g. `missing fields`, `invalid boolean`, `unbalanced quotes`. */
  reason: string;
}

/** Options of {@link parseLineProtocol}. */
export interface ParseOptions {
  /** Timestamp precision (`precision` query parameter). */
  precision: Precision;
  /** Server time in milliseconds, used for lines without a timestamp. */
  now: () => number;
  /**
   * Maximum number of points (non-blank, non-comment lines) to parse. Past it parsing stops, the result
   * has `limitExceeded: true` and the caller should refuse the whole request (413).
   */
  maxLines?: number;
}

/** Result of {@link parseLineProtocol}. */
export interface ParseResult {
  /** The points of every line that parsed, in input order, in columns (the ingest path reads these). */
  columns: PointColumns;
  /** The same points as objects (built on first access from `columns`). */
  readonly points: Point[];
  /** One entry per line that did not parse, in input order. */
  errors: LineError[];
  /** True when the input had more than `maxLines` points (parsing stopped there). */
  limitExceeded: boolean;
}

const TAB = 9;
const LF = 10;
const CR = 13;
const SPACE = 32;
const QUOTE = 34;
const HASH = 35;
const COMMA = 44;
const MINUS = 45;
const DOT = 46;
const ZERO = 48;
const NINE = 57;
const EQUALS = 61;
const BACKSLASH = 92;
const UPPER_E = 69;
const LOWER_E = 101;
const PLUS = 43;
const LOWER_I = 105;
const LOWER_U = 117;
const LOWER_T = 116;
const UPPER_T = 84;
const LOWER_F = 102;
const UPPER_F = 70;
const LOWER_N = 110;
const UPPER_N = 78;

/** Bytes that end (or escape within) a measurement: comma, space, newline, backslash. */
const MEASUREMENT_STOP = byteSet([COMMA, SPACE, LF, BACKSLASH]);
/** Bytes that end (or escape within) a tag key, tag value or field key: also the equals sign. */
const NAME_STOP = byteSet([COMMA, SPACE, LF, BACKSLASH, EQUALS]);
/** Bytes that end an unquoted field value. */
const VALUE_STOP = byteSet([COMMA, SPACE, LF, CR]);

function byteSet(bytes: number[]): Uint8Array {
  const set = new Uint8Array(256);
  for (const b of bytes) set[b] = 1;
  return set;
}

/** Exact powers of ten (all exactly representable as float64 up to 1e22). */
const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16];

/**
 * Largest timestamp magnitude per precision: InfluxDB accepts -9223372036854775806..9223372036854775806 ns
 * (models.MinNanoTime/MaxNanoTime), i.e. floor(9223372036854775806 / nanoseconds per unit).
 */
const MAX_UNITS: Record<Precision, string> = {
  ns: '9223372036854775806',
  n: '9223372036854775806',
  us: '9223372036854775',
  u: '9223372036854775',
  ms: '9223372036854',
  s: '9223372036',
  m: '153722867',
  h: '2562047',
};

/** How a precision's integer maps to (ms, sub-ms ns): digits below ms, or a multiplier to ms. */
const SUB_MS_DIGITS: Record<Precision, number> = { ns: 6, n: 6, us: 3, u: 3, ms: 0, s: 0, m: 0, h: 0 };
const MS_PER_UNIT: Record<Precision, number> = { ns: 0, n: 0, us: 0, u: 0, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

const TIME_RANGE_ERROR = 'time outside range -9223372036854775806 - 9223372036854775806';
const MAX_QUOTED_LINE = 256;

const INVALID_UTF8 = 'invalid UTF-8';
const EMPTY_TAGS: readonly string[] = [];
const EMPTY_TYPES: readonly FieldType[] = [];
const NO_SHAPE: PointShape = { measurement: '', tags: EMPTY_TAGS, fieldKeys: EMPTY_TAGS, fieldTypes: EMPTY_TYPES };
const NO_BYTES = new Uint8Array(0);
const NO_VIEW = new DataView(new ArrayBuffer(0));
/** Most probes of an open-addressing table before giving up (a miss then costs a decode, never a long scan). */
const MAX_PROBES = 8;
/** FNV-1a's offset basis, the seed of the series-key hash. */
const KEY_SEED = 0x811c9dc5 | 0;

const encoder = new TextEncoder();
const utf8Strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const utf8Lenient = new TextDecoder('utf-8');

/**
 * Parse InfluxDB line protocol, given as the request body's bytes (UTF-8; preferred: no decoding of the
 * body at all) or as text.
 *
 * Blank lines and comment lines (`#` first, after optional leading whitespace) are skipped; `\r\n` line
 * endings are accepted. A bad line becomes an entry in `errors` (1-based line number, InfluxDB's wording)
 * and the other lines are still parsed, so the caller can do InfluxDB's partial write. A quoted string
 * field value may span lines, as in InfluxDB; an unterminated one swallows the rest of the input and is
 * reported once (`unbalanced quotes`). Names and string values must be valid UTF-8 (as in InfluxDB's
 * line-protocol decoder).
 */
export function parseLineProtocol(input: string | Uint8Array, opts: ParseOptions): ParseResult {
  // One parser is kept between calls so that its tables are allocated once (VictoriaMetrics keeps its
  // parsers in a pool the same way); a call made while it is busy (from `opts.now`) gets a new one.
  const parser = idleParser ?? new LineProtocolParser();
  idleParser = undefined;
  try {
    return parser.parse(input, opts);
  } finally {
    idleParser = parser;
  }
}

/**
 * The parser's state, in one reusable object: the request's bytes and columns, what the previous
 * point shared, the tables of names, series keys and field keys seen in this request, and the
 * outcome of the line being parsed. Every table is emptied when a parse ends, so no request's
 * strings or bytes outlive it.
 */
class LineProtocolParser {
  // ---- the request -------------------------------------------------------------------------------
  private b: Uint8Array = NO_BYTES;
  /** The same bytes, for reading four at a time. */
  private view: DataView = NO_VIEW;
  /** Length of `b`; `b[n - 1]` is always a newline (a sentinel every scan stops at). */
  private n = 0;
  private columns: PointColumns = columnsForBody(0);
  private now: () => number = Date.now;
  /** The server time (truncated to the precision), read once per request when a line needs it. */
  private nowMs = Number.NaN;
  // The precision's constants: largest magnitude, digits below the millisecond, ms per unit.
  private maxUnits = '';
  private subDigits = 0;
  private msPerUnit = 0;

  // ---- the line being parsed ---------------------------------------------------------------------
  /** Why the line failed ('' while it parses). */
  private reason = '';
  /** Newlines consumed inside string values (they do not end the line). */
  private newlines = 0;
  private measurement = '';
  private lineTags: readonly string[] | undefined;
  /** The line's slot in the series-key cache (-1: none). */
  private slot = -1;
  private fieldCount = 0;
  /** While true, the line's field keys (types) repeat the previous point's and are not copied to the scratch arrays. */
  private sameKeys = true;
  private sameTypes = true;
  /** The text of the line's string fields, by field index (only when it has one). */
  private strings: (string | undefined)[] | undefined;
  // Outputs of the value helpers (numbers and constant strings: no allocation per value).
  private nameEscaped = false;
  private valueEnd = 0;
  private valueType: FieldType = 'float';
  private stringValue = '';
  private timestampSubMs = 0;

  // ---- shared with the previous point --------------------------------------------------------------
  private prevTags: readonly string[] = EMPTY_TAGS;
  private prevKeys: readonly string[] = EMPTY_TAGS;
  private prevTypes: readonly FieldType[] = EMPTY_TYPES;
  /** The shape of the previous point (for lines that are not in the series-key cache). */
  private lastShape: PointShape = NO_SHAPE;
  // Scratch arrays for the line's tags, field keys and types, reused across lines.
  private readonly tags: string[] = [];
  private readonly keys: string[] = [];
  private readonly types: FieldType[] = [];

  private readonly names = new NameTable();
  private readonly seriesKeys = new SeriesKeyCache();
  private readonly fieldKeys = new FieldKeyTemplate();

  parse(input: string | Uint8Array, opts: ParseOptions): ParseResult {
    const precision = opts.precision;
    if (!(precision in MAX_UNITS)) throw new RangeError(`unknown precision ${String(precision)}`);
    const maxLines = opts.maxLines ?? Number.POSITIVE_INFINITY;
    const inputLength = this.begin(input, opts);
    const buf = this.b;
    const n = this.n;
    const columns = this.columns;
    const errors: LineError[] = [];
    let pos = 0;
    let lineNo = 1;
    let count = 0;
    let limitExceeded = false;
    try {
      while (pos < n) {
        let c = buf[pos];
        // Leading whitespace before a point or comment is ignored (models.skipWhitespace).
        while (c === SPACE || c === TAB) {
          pos++;
          c = pos < n ? buf[pos] : LF;
        }
        if (c === LF) {
          pos++;
          lineNo++;
          continue;
        }
        if (c === CR && (pos + 1 >= n || buf[pos + 1] === LF)) {
          pos += 2;
          lineNo++;
          continue;
        }
        if (c === HASH) {
          const nl = buf.indexOf(LF, pos);
          if (nl < 0) break;
          pos = nl + 1;
          lineNo++;
          continue;
        }
        if (pos >= n) break;
        if (++count > maxLines) {
          limitExceeded = true;
          break;
        }
        const lineStart = pos;
        const startLine = lineNo;
        pos = this.parseLine(pos, startLine);
        lineNo += this.newlines;
        if (this.reason === '') {
          if (pos < n) {
            pos++;
            lineNo++;
          }
        } else {
          // Skip the rest of the line (an unterminated string already consumed the input).
          const nl = pos < n ? buf.indexOf(LF, pos) : -1;
          errors.push(lineError(buf, lineStart, nl < 0 ? inputLength : nl, startLine, this.reason));
          if (nl < 0) pos = n;
          else {
            pos = nl + 1;
            lineNo++;
          }
        }
      }
    } finally {
      this.end();
    }
    let points: Point[] | undefined;
    return {
      columns,
      get points(): Point[] {
        points ??= pointsOf(columns);
        return points;
      },
      errors,
      limitExceeded,
    };
  }

  /** Takes the request: its bytes (with the newline sentinel), fresh columns, the precision; returns the input's length. */
  private begin(input: string | Uint8Array, opts: ParseOptions): number {
    let buf = typeof input === 'string' ? encoder.encode(input) : input;
    const inputLength = buf.length;
    // The buffer always ends with a newline (a copy gets one when the input does not): every scan in
    // parseLine stops at a newline, so it reads bytes without comparing each position with the end.
    if (inputLength > 0 && buf[inputLength - 1] !== LF) {
      const copy = new Uint8Array(inputLength + 1);
      copy.set(buf);
      copy[inputLength] = LF;
      buf = copy;
    }
    this.b = buf;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.n = buf.length;
    this.columns = columnsForBody(buf.length);
    this.now = opts.now;
    this.nowMs = Number.NaN;
    this.maxUnits = MAX_UNITS[opts.precision];
    this.subDigits = SUB_MS_DIGITS[opts.precision];
    this.msPerUnit = MS_PER_UNIT[opts.precision];
    let size = 64;
    while (size < 16384 && size * 16 < buf.length) size *= 2;
    this.names.reset(size);
    this.seriesKeys.reset(size);
    this.fieldKeys.reset();
    this.prevTags = EMPTY_TAGS;
    this.prevKeys = EMPTY_TAGS;
    this.prevTypes = EMPTY_TYPES;
    this.lastShape = NO_SHAPE;
    return inputLength;
  }

  /** Drops every reference to the request (its bytes, strings and columns), so the parser keeps nothing alive. */
  private end(): void {
    this.names.release();
    this.seriesKeys.release();
    this.fieldKeys.release();
    this.b = NO_BYTES;
    this.view = NO_VIEW;
    this.columns = columnsForBody(0);
    this.prevTags = EMPTY_TAGS;
    this.prevKeys = EMPTY_TAGS;
    this.prevTypes = EMPTY_TYPES;
    this.lastShape = NO_SHAPE;
    this.lineTags = undefined;
    this.strings = undefined;
    this.measurement = '';
    this.stringValue = '';
  }

  /**
   * Parses the point that starts at `pos` (not blank, not a comment) and appends it to the columns.
   * Returns the position of the line end (the `\n`) on success, or where parsing stopped on error; the
   * outcome is in `reason`, the newlines consumed inside string values in `newlines`.
   */
  private parseLine(pos: number, lineNo: number): number {
    const out = this.columns;
    const i = out.length;
    if (i === out.lines.length) growPoints(out);
    this.reason = '';
    this.newlines = 0;
    pos = this.parseSeriesKey(pos);
    if (this.reason === '') pos = this.parseFieldSet(pos, out.valueStart[i]);
    if (this.reason === '') pos = this.parseTimestamp(pos, i);
    if (this.reason !== '') return pos;
    this.appendPoint(i, lineNo);
    return this.b[pos] === CR ? pos + 1 : pos;
  }

  // ---- series key: measurement and tags --------------------------------------------------------------

  /**
   * The measurement and tags (into `measurement`, `lineTags`, `slot`). Most lines of a batch repeat a
   * series key seen before: when the bytes up to the first space equal a key that parsed before, its
   * measurement and tag array are reused as they are. Returns the position of the space after the key.
   */
  private parseSeriesKey(pos: number): number {
    const b = this.b;
    const view = this.view;
    const n = this.n;
    const start = pos;
    this.lineTags = undefined;
    this.slot = -1;
    // One pass finds the first space (or the line end: then there is no key to look up) and hashes the
    // bytes before it (FNV-1a over every byte, so keys that differ anywhere hash apart): four bytes at a
    // time while none of them is a space or a newline (SWAR zero-byte test on the word XOR each
    // delimiter), then byte by byte.
    let keyEnd = pos;
    let keyHash = KEY_SEED;
    while (keyEnd + 4 <= n) {
      const w = view.getInt32(keyEnd, true);
      const xs = w ^ 0x20202020;
      const xl = w ^ 0x0a0a0a0a;
      if ((((xs - 0x01010101) & ~xs) | ((xl - 0x01010101) & ~xl)) & 0x80808080) break;
      keyHash = Math.imul(keyHash ^ w, 0x01000193);
      keyEnd += 4;
    }
    for (;;) {
      const k = b[keyEnd];
      if (k === SPACE || k === LF) break;
      keyHash = Math.imul(keyHash ^ k, 0x01000193);
      keyEnd++;
    }
    if (keyEnd < n && b[keyEnd] === SPACE && keyEnd > start && b[keyEnd - 1] !== BACKSLASH) {
      const hit = this.seriesKeys.lookup(b, view, start, keyEnd, keyHash);
      if (hit >= 0) {
        this.measurement = this.seriesKeys.measurements[hit];
        this.lineTags = this.seriesKeys.tagSets[hit];
        this.slot = hit;
        return keyEnd;
      }
    } else keyEnd = -1;
    pos = this.parseMeasurementAndTags(pos);
    if (this.reason === '' && pos === keyEnd) {
      this.slot = this.seriesKeys.insert(start, keyEnd, keyHash, this.measurement, this.lineTags ?? EMPTY_TAGS, this.names.limit);
    }
    return pos;
  }

  /** Scans `measurement[,key=value...]` from its bytes; returns the position of the space after it (or of the error). */
  private parseMeasurementAndTags(pos: number): number {
    const b = this.b;
    const tags = this.tags;
    let start = pos;
    pos = this.scanName(pos, MEASUREMENT_STOP, false);
    let c = b[pos];
    let name: string | undefined;
    if (pos === start) return this.failAt(pos, c === LF ? 'missing fields' : 'missing measurement');
    if (c === LF) return this.failAt(pos, 'missing fields');
    if ((name = this.readName(start, pos, this.nameEscaped, false)) === undefined) return this.failAt(pos, INVALID_UTF8);
    this.measurement = name;
    let tagCount = 0;
    while (c === COMMA) {
      pos++;
      c = b[pos];
      start = pos;
      if (c === SPACE || c === COMMA || c === EQUALS || c === LF) return this.failAt(pos, 'missing tag key');
      pos = this.scanName(pos, NAME_STOP, true);
      c = b[pos];
      if (c !== EQUALS) return this.failAt(pos, 'missing tag value');
      const key = this.readName(start, pos, this.nameEscaped, true);
      if (key === undefined) return this.failAt(pos, INVALID_UTF8);
      pos++;
      c = b[pos];
      start = pos;
      if (c === COMMA || c === SPACE || c === LF) return this.failAt(pos, 'missing tag value');
      pos = this.scanName(pos, NAME_STOP, true);
      c = b[pos];
      if (c === EQUALS) return this.failAt(pos, 'invalid tag format');
      if (c === LF) return this.failAt(pos, 'missing fields');
      for (let k = 0; k < tagCount; k += 2) {
        if (tags[k] === key) return this.failAt(pos, 'duplicate tags');
      }
      const value = this.readName(start, pos, this.nameEscaped, true);
      if (value === undefined) return this.failAt(pos, INVALID_UTF8);
      tags[tagCount++] = key;
      tags[tagCount++] = value;
    }
    this.lineTags = sameStrings(this.prevTags, tags, tagCount) ? this.prevTags : tags.slice(0, tagCount);
    return pos;
  }

  // ---- field set -------------------------------------------------------------------------------------

  /**
   * The fields `key=value[,key=value...]` from `pos` (at the space after the series key): values go
   * straight into the value column from index `base` (kept only if the line parses), keys and types
   * into `keys`/`types` unless they repeat the previous point's. Returns the position after the last value.
   */
  private parseFieldSet(pos: number, base: number): number {
    const b = this.b;
    const n = this.n;
    let c = b[pos];
    // Further whitespace before the field set is tolerated (models.scanFields).
    while (c === SPACE || c === TAB) c = b[++pos];
    if (c === LF || (c === CR && isLineEnd(b, pos + 1, n))) return this.failAt(pos, 'missing fields');
    this.fieldCount = 0;
    this.sameKeys = true;
    this.sameTypes = true;
    this.strings = undefined;
    let ordinal = 0;
    for (;;) {
      const start = pos;
      let key: string | undefined;
      // Field-key template: when the bytes here repeat the previous line's key at the same ordinal and
      // are followed by '=', it is the same key (same bytes scan the same way): no scan, no lookup.
      const matched = this.fieldKeys.match(b, this.view, n, pos, ordinal);
      if (matched > 0) {
        key = this.fieldKeys.keys[ordinal];
        pos += matched;
      } else {
        pos = this.scanName(pos, NAME_STOP, true);
        if (b[pos] !== EQUALS) return this.failAt(pos, 'invalid field format');
        if (pos === start) return this.failAt(pos, 'missing field key');
        key = this.readName(start, pos, this.nameEscaped, true);
        if (key === undefined) return this.failAt(pos, INVALID_UTF8);
        this.fieldKeys.remember(b, ordinal, start, pos, key);
      }
      ordinal++;
      pos++;
      c = b[pos];
      let value: number;
      let type: FieldType;
      let str: string | undefined;
      if (c === QUOTE) {
        pos = this.parseStringValue(pos);
        if (this.reason !== '') return pos;
        str = this.stringValue;
        value = Number.NaN;
        type = 'string';
      } else if ((c >= ZERO && c <= NINE) || c === MINUS || c === DOT || c === PLUS || c === LOWER_N || c === UPPER_N) {
        // Fast path, inline (it is most of a line's cost): `[-]digits[.digits]` (a float) or
        // `[-]digits i` (an integer), up to 15 digits in all, so the mantissa is an exact integer and
        // one division by an exact power of ten rounds correctly. Anything else (exponents, `u`, long
        // or invalid numbers) goes through the full grammar (scanNumber).
        const negative = c === MINUS;
        let p = negative ? pos + 1 : pos;
        const intStart = p;
        let d = b[p];
        let mantissa = 0;
        while (d >= ZERO && d <= NINE) {
          mantissa = mantissa * 10 + (d - ZERO);
          d = b[++p];
        }
        let digits = p - intStart;
        let fractionDigits = 0;
        const dot = d === DOT;
        if (dot) {
          const fractionStart = ++p;
          d = b[p];
          while (d >= ZERO && d <= NINE) {
            mantissa = mantissa * 10 + (d - ZERO);
            d = b[++p];
          }
          fractionDigits = p - fractionStart;
          digits += fractionDigits;
        }
        if (digits > 0 && digits <= 15 && VALUE_STOP[d] !== 0) {
          const v = fractionDigits === 0 ? mantissa : mantissa / POW10[fractionDigits];
          value = negative ? -v : v;
          type = 'float';
          pos = p;
        } else if (digits > 0 && digits <= 15 && d === LOWER_I && !dot && (p + 1 >= n || VALUE_STOP[b[p + 1]] !== 0)) {
          value = negative ? -mantissa : mantissa;
          type = 'integer';
          pos = p + 1;
        } else {
          value = this.scanNumber(pos);
          if (value !== value) return this.valueEnd;
          type = this.valueType;
          pos = this.valueEnd;
        }
      } else {
        value = this.parseBooleanValue(pos);
        if (value < 0) return this.valueEnd;
        type = 'boolean';
        pos = this.valueEnd;
      }
      this.storeField(key, type, base, value, str);
      c = b[pos];
      if (c === COMMA) {
        pos++;
        continue;
      }
      if (c === SPACE || c === LF || (c === CR && isLineEnd(b, pos + 1, n))) return pos;
      return this.failAt(pos, 'invalid field format');
    }
  }

  /**
   * Records field `key` of the line. Duplicate keys: the last value wins (InfluxDB merges the field
   * set). While the keys repeat the previous point's (unique) keys in order, no search is needed and
   * neither keys nor types are copied into the scratch arrays (the point will share the previous
   * arrays); they are materialised when a line departs from them.
   */
  private storeField(key: string, type: FieldType, base: number, value: number, str: string | undefined): void {
    const keys = this.keys;
    const types = this.types;
    const prevKeys = this.prevKeys;
    const prevTypes = this.prevTypes;
    const count = this.fieldCount;
    let at = count;
    if (this.sameKeys && prevKeys[count] === key) {
      if (this.sameTypes && prevTypes[count] !== type) {
        this.sameTypes = false;
        for (let k = 0; k < count; k++) types[k] = prevTypes[k];
      }
      if (!this.sameTypes) types[at] = type;
      this.fieldCount = count + 1;
    } else {
      if (this.sameKeys) {
        this.sameKeys = false;
        for (let k = 0; k < count; k++) keys[k] = prevKeys[k];
        if (this.sameTypes) {
          this.sameTypes = false;
          for (let k = 0; k < count; k++) types[k] = prevTypes[k];
        }
      }
      for (let k = 0; k < count; k++) {
        if (keys[k] === key) {
          at = k;
          break;
        }
      }
      if (at === count) this.fieldCount = count + 1;
      keys[at] = key;
      types[at] = type;
    }
    const out = this.columns;
    if (base + at >= out.values.length) out.values = grown(out.values, out.values.length * 2);
    out.values[base + at] = value;
    if (str !== undefined || this.strings !== undefined) (this.strings ??= [])[at] = str;
  }

  /**
   * A quoted string value from its opening quote (into `stringValue`): `\"` and `\\` are escapes, any
   * other backslash is literal. Returns the position after the closing quote.
   */
  private parseStringValue(pos: number): number {
    const b = this.b;
    const n = this.n;
    pos++;
    const start = pos;
    let escaped = false;
    for (;;) {
      if (pos >= n) return this.failAt(pos, 'unbalanced quotes');
      const c = b[pos];
      if (c === QUOTE) break;
      if (c === BACKSLASH) {
        const d = b[pos + 1];
        if (d === QUOTE || d === BACKSLASH) {
          escaped = true;
          pos += 2;
          continue;
        }
      } else if (c === LF) this.newlines++;
      pos++;
    }
    const str = decode(b, start, pos);
    if (str === undefined) return this.failAt(pos, INVALID_UTF8);
    this.stringValue = escaped ? unescape(str, STRING_ESCAPES) : str;
    return pos + 1;
  }

  /** The full number grammar from `start` (a float, `i` integer or `u` unsigned); NaN with `reason` when invalid. */
  private scanNumber(start: number): number {
    const b = this.b;
    const n = this.n;
    let end = start;
    while (end < n && VALUE_STOP[b[end]] === 0) end++;
    const last = b[end - 1];
    this.valueEnd = end;
    if (last === LOWER_I) {
      this.valueType = 'integer';
      return this.parseInteger(start, end - 1, false);
    }
    if (last === LOWER_U) {
      this.valueType = 'unsigned';
      return this.parseInteger(start, end - 1, true);
    }
    this.valueType = 'float';
    return this.parseFloat(start, end);
  }

  /**
   * A float value (`-?digits[.digits][(e|E)[+-]digits]`, InfluxDB's models.scanNumber grammar: no NaN,
   * no Inf, no hex, no underscores); NaN with `reason` when invalid.
   */
  private parseFloat(start: number, end: number): number {
    const b = this.b;
    let i = start;
    let c = b[i];
    const negative = c === MINUS;
    if (negative) i++;
    let mantissa = 0;
    let digits = 0;
    let fractionDigits = 0;
    let dot = false;
    for (; i < end; i++) {
      c = b[i];
      if (c >= ZERO && c <= NINE) {
        mantissa = mantissa * 10 + (c - ZERO);
        digits++;
        if (dot) fractionDigits++;
      } else if (c === DOT) {
        if (dot) return this.failValue('invalid number');
        dot = true;
      } else break;
    }
    if (digits === 0) return this.failValue('invalid number');
    if (i === end) {
      // Exact fast path: an integer mantissa below 2^53 divided by an exact power of ten is correctly rounded.
      if (digits <= 15) {
        const v = fractionDigits === 0 ? mantissa : mantissa / POW10[fractionDigits];
        return negative ? -v : v;
      }
      const v = Number(latin1(b, start, end));
      return Number.isFinite(v) ? v : this.failValue('invalid float');
    }
    if (c !== LOWER_E && c !== UPPER_E) return this.failValue('invalid number');
    i++;
    if (i < end) {
      c = b[i];
      if (c === PLUS || c === MINUS) i++;
    }
    const expStart = i;
    for (; i < end; i++) {
      c = b[i];
      if (c < ZERO || c > NINE) {
        const floatish = c === DOT || c === LOWER_E || c === UPPER_E || c === PLUS || c === MINUS;
        return this.failValue(floatish ? 'invalid float' : 'invalid number');
      }
    }
    if (i === expStart) return this.failValue('invalid float');
    const v = Number(latin1(b, start, end));
    return Number.isFinite(v) ? v : this.failValue('invalid float');
  }

  /** An integer (`i`) or unsigned (`u`) value without its suffix, range-checked against int64 / uint64; NaN with `reason` when invalid. */
  private parseInteger(start: number, end: number, unsigned: boolean): number {
    const b = this.b;
    let i = start;
    const negative = b[i] === MINUS;
    if (negative) {
      if (unsigned) return this.failValue('invalid number');
      i++;
    }
    if (i === end) return this.failValue('invalid number');
    let value = 0;
    for (let j = i; j < end; j++) {
      const c = b[j];
      if (c < ZERO || c > NINE) return this.failValue('invalid number');
      value = value * 10 + (c - ZERO);
    }
    if (end - i > 15) {
      // Possibly beyond 2^53: check the range on the digits, then let Number round once.
      let k = i;
      while (k < end - 1 && b[k] === ZERO) k++;
      const max = unsigned ? '18446744073709551615' : negative ? '9223372036854775808' : '9223372036854775807';
      if (compareDigits(b, k, end, max) > 0) {
        return this.failValue(`unable to parse ${unsigned ? 'unsigned' : 'integer'} ${latin1(b, start, end)}: value out of range`);
      }
      value = Number(latin1(b, k, end));
    }
    return negative ? -value : value;
  }

  /**
   * A boolean value (t T true True TRUE f F false False FALSE) from `pos`: 1 or 0 (its end in
   * `valueEnd`), or -1 with `reason` set. models.scanFields scans anything that is neither a number
   * nor a string as a boolean.
   */
  private parseBooleanValue(pos: number): number {
    const b = this.b;
    const start = pos;
    while (VALUE_STOP[b[pos]] === 0) pos++;
    this.valueEnd = pos;
    if (pos === start) {
      this.reason = 'missing field value';
      return -1;
    }
    const first = b[start];
    const v = first === LOWER_T || first === UPPER_T || first === LOWER_F || first === UPPER_F ? parseBoolean(b, start, pos) : -1;
    if (v < 0) this.reason = 'invalid boolean';
    return v;
  }

  // ---- timestamp -----------------------------------------------------------------------------------

  /**
   * The optional timestamp from `pos` (after the field set) into point `i`'s columns (the server time
   * when absent). Returns the position of the line end.
   */
  private parseTimestamp(pos: number, i: number): number {
    const b = this.b;
    const n = this.n;
    const out = this.columns;
    let c = b[pos];
    while (c === SPACE || c === TAB) c = b[++pos];
    if (c === LF || (c === CR && isLineEnd(b, pos + 1, n))) {
      if (this.nowMs !== this.nowMs) {
        // InfluxDB truncates the server time to the write precision.
        const now = Math.floor(this.now());
        const unit = this.msPerUnit;
        this.nowMs = unit > 1 ? Math.floor(now / unit) * unit : now;
      }
      out.timestampMs[i] = this.nowMs;
      out.subMsNanos[i] = 0;
      out.serverTime[i] = 1;
      return pos;
    }
    const negative = c === MINUS;
    if (negative) c = b[++pos];
    const digitsStart = pos;
    // One pass: the first 15 digits into `hi` (exact below 2^53), the next ones into `lo`.
    let hi = 0;
    let lo = 0;
    while (c >= ZERO && c <= NINE) {
      if (pos - digitsStart < 15) hi = hi * 10 + (c - ZERO);
      else lo = lo * 10 + (c - ZERO);
      c = b[++pos];
    }
    const digits = pos - digitsStart;
    const loDigits = digits > 15 ? digits - 15 : 0;
    const subDigits = this.subDigits;
    if (digits === 0 || !(c === SPACE || c === LF || c === CR)) return this.failAt(pos, 'bad timestamp');
    let timestampMs: number;
    let subMs = 0;
    if (!negative && loDigits <= subDigits && (digits < this.maxUnits.length || compareDigits(b, digitsStart, pos, this.maxUnits) <= 0)) {
      // Fast path (a positive timestamp whose digits past the 15th all fall below the millisecond):
      // hi * 10^loDigits + lo, split at the millisecond without leaving exact integers.
      if (subDigits === 0) timestampMs = hi * this.msPerUnit;
      else {
        // hi < 10^15 and unit <= 10^6: the float quotient is never within 1/unit of the next integer,
        // so its floor is exact (no fmod on the hot path); the guard keeps it exact regardless.
        const unit = POW10[subDigits - loDigits];
        let q = Math.floor(hi / unit);
        let rest = hi - q * unit;
        if (rest < 0) {
          q--;
          rest += unit;
        }
        timestampMs = q;
        subMs = (rest * POW10[loDigits] + lo) * (subDigits === 3 ? 1000 : 1);
      }
    } else {
      timestampMs = this.fullTimestamp(digitsStart, pos, negative);
      if (timestampMs !== timestampMs) return this.failAt(pos, TIME_RANGE_ERROR);
      subMs = this.timestampSubMs;
    }
    out.timestampMs[i] = timestampMs;
    out.subMsNanos[i] = subMs;
    out.serverTime[i] = 0;
    while (c === SPACE) c = b[++pos];
    if (!(c === LF || (c === CR && isLineEnd(b, pos + 1, n)))) return this.failAt(pos, 'point is invalid');
    return pos;
  }

  /**
   * The timestamp digits b[start, end) in milliseconds (NaN when outside InfluxDB's time range), the
   * nanoseconds past them into `timestampSubMs`.
   */
  private fullTimestamp(start: number, end: number, negative: boolean): number {
    const b = this.b;
    while (start < end - 1 && b[start] === ZERO) start++;
    if (compareDigits(b, start, end, this.maxUnits) > 0) return Number.NaN;
    const subDigits = this.subDigits;
    let ms = 0;
    let sub = 0;
    const split = Math.max(start, end - subDigits);
    let i = start;
    for (; i < split; i++) ms = ms * 10 + (b[i] - ZERO);
    for (; i < end; i++) sub = sub * 10 + (b[i] - ZERO);
    if (subDigits === 3) sub *= 1000;
    else if (subDigits === 0) ms *= this.msPerUnit;
    if (negative && (ms !== 0 || sub !== 0)) {
      // Floor towards -Infinity so that timestampMs + sub/1e6 is the exact time.
      if (sub > 0) {
        ms = -ms - 1;
        sub = 1_000_000 - sub;
      } else ms = -ms;
    }
    this.timestampSubMs = sub;
    return ms;
  }

  // ---- names -----------------------------------------------------------------------------------------

  /**
   * The end of the name that starts at `pos`: the first unescaped byte in `stop`. `\,` and `\ ` (and
   * `\=` when `equalsToo`: tag keys and values, field keys) are escapes and set `nameEscaped`; any other
   * backslash is literal. Stops at the newline sentinel at the latest.
   */
  private scanName(pos: number, stop: Uint8Array, equalsToo: boolean): number {
    const b = this.b;
    let escaped = false;
    let c = b[pos];
    for (;;) {
      while (stop[c] === 0) c = b[++pos];
      if (c !== BACKSLASH) break;
      const d = b[pos + 1];
      if (d === COMMA || d === SPACE || (equalsToo && d === EQUALS)) {
        escaped = true;
        pos += 2;
      } else pos++;
      c = b[pos];
    }
    this.nameEscaped = escaped;
    return pos;
  }

  /**
   * The name b[start, end): interned when it has no escape, else decoded and unescaped (`\,` `\ `, and
   * `\=` when `equalsToo`); undefined when it is not UTF-8.
   */
  private readName(start: number, end: number, escaped: boolean, equalsToo: boolean): string | undefined {
    if (!escaped) return this.names.get(this.b, this.view, start, end);
    const text = decode(this.b, start, end);
    return text === undefined ? undefined : unescape(text, equalsToo ? NAME_ESCAPES : MEASUREMENT_ESCAPES);
  }

  // ---- the point -------------------------------------------------------------------------------------

  /** Appends the parsed line as point `i` (its values and timestamp are already in the columns). */
  private appendPoint(i: number, lineNo: number): void {
    const out = this.columns;
    const count = this.fieldCount;
    const base = out.valueStart[i];
    // Share the tag array and the field keys / field types with the previous point when they are equal.
    if (this.lineTags !== undefined) this.prevTags = this.lineTags;
    if (!(this.sameKeys && this.sameTypes && this.prevKeys.length === count)) {
      // sameKeys: the keys are a prefix of the previous point's (not copied); likewise the types.
      const nextKeys = this.sameKeys ? this.prevKeys.slice(0, count) : this.keys.slice(0, count);
      this.prevTypes = this.sameTypes ? this.prevTypes.slice(0, count) : this.types.slice(0, count);
      this.prevKeys = nextKeys;
    }
    // The shape: the one last used with this series key when the field layout is the same.
    const slot = this.slot;
    let shape = slot >= 0 ? this.seriesKeys.shapes[slot] : this.lastShape;
    if (
      shape.fieldKeys !== this.prevKeys ||
      shape.fieldTypes !== this.prevTypes ||
      shape.tags !== this.prevTags ||
      shape.measurement !== this.measurement
    ) {
      shape = { measurement: this.measurement, tags: this.prevTags, fieldKeys: this.prevKeys, fieldTypes: this.prevTypes };
      if (slot >= 0) this.seriesKeys.shapes[slot] = shape;
    }
    this.lastShape = shape;
    out.shapes.push(shape);
    out.valueStart[i + 1] = base + count;
    out.lines[i] = lineNo;
    out.length = i + 1;
    const strings = this.strings;
    if (strings !== undefined) {
      const all = (out.strings ??= []);
      for (let k = 0; k < count; k++) if (strings[k] !== undefined) all[base + k] = strings[k];
    }
  }

  /** Fails the line at `pos` for `reason`; returns `pos`. */
  private failAt(pos: number, reason: string): number {
    this.reason = reason;
    return pos;
  }

  /** Fails the line's value for `reason`; returns NaN. */
  private failValue(reason: string): number {
    this.reason = reason;
    return Number.NaN;
  }
}

/** The parser kept between calls (see parseLineProtocol); undefined while a parse uses it. */
let idleParser: LineProtocolParser | undefined;

// ---- tables of what a request repeats -------------------------------------------------------------

/**
 * Names repeat across the lines of a request (measurement, tag keys and values, field keys): an
 * open-addressing table returns the string decoded at the first occurrence, so a batch of similar lines
 * decodes almost no strings. The hash mixes the length and the first and last four bytes (O(1), the bytes
 * were just scanned); the full comparison on a hit keeps it exact, and probing stops after MAX_PROBES.
 */
class NameTable {
  private hashes = new Int32Array(0);
  private starts = new Int32Array(0);
  private lengths = new Int32Array(0);
  private strings: (string | undefined)[] = [];
  private mask = 0;
  private count = 0;
  /** Most entries (half the slots); the series-key cache uses the same bound. */
  limit = 0;

  /** Empties the table, with `size` slots (a power of two). */
  reset(size: number): void {
    if (this.hashes.length !== size) {
      this.hashes = new Int32Array(size);
      this.starts = new Int32Array(size);
      this.lengths = new Int32Array(size);
      this.strings = new Array<string | undefined>(size).fill(undefined);
    }
    this.mask = size - 1;
    this.count = 0;
    this.limit = size >> 1;
  }

  /** Drops the strings, so that the table keeps no request's names alive. */
  release(): void {
    if (this.count > 0) this.strings.fill(undefined);
    this.count = 0;
  }

  /** The (shared) string for the name bytes b[start, end); undefined if they are not UTF-8. */
  get(b: Uint8Array, view: DataView, start: number, end: number): string | undefined {
    const len = end - start;
    let h = Math.imul(len, 0x9e3779b1);
    if (len >= 4) {
      h = Math.imul(h ^ view.getInt32(start, true), 0x85ebca6b);
      h = Math.imul(h ^ view.getInt32(end - 4, true), 0xc2b2ae35);
    } else {
      for (let k = start; k < end; k++) h = Math.imul(h ^ b[k], 0x01000193);
    }
    h ^= h >>> 15;
    let i = h & this.mask;
    for (let probe = 0; probe < MAX_PROBES; probe++) {
      const s = this.strings[i];
      if (s === undefined) {
        const v = decode(b, start, end);
        if (v !== undefined && this.count < this.limit) {
          this.strings[i] = v;
          this.hashes[i] = h;
          this.starts[i] = start;
          this.lengths[i] = len;
          this.count++;
        }
        return v;
      }
      if (this.hashes[i] === h && this.lengths[i] === len && sameBytes(b, view, this.starts[i], start, len)) return s;
      i = (i + 1) & this.mask;
    }
    return decode(b, start, end);
  }
}

/**
 * The series keys of a request (the bytes of "measurement,tags" up to the first space), with the
 * measurement, tag array and last shape each parsed to: same scheme as {@link NameTable}.
 */
class SeriesKeyCache {
  private hashes = new Int32Array(0);
  private starts = new Int32Array(0);
  private lengths = new Int32Array(0);
  measurements: string[] = [];
  tagSets: (readonly string[])[] = [];
  shapes: PointShape[] = [];
  private mask = 0;
  private count = 0;

  /** Empties the cache, with `size` slots (a power of two). */
  reset(size: number): void {
    if (this.hashes.length !== size) {
      this.hashes = new Int32Array(size);
      this.starts = new Int32Array(size);
      this.lengths = new Int32Array(size).fill(-1);
      this.measurements = new Array<string>(size).fill('');
      this.tagSets = new Array<readonly string[]>(size).fill(EMPTY_TAGS);
      this.shapes = new Array<PointShape>(size).fill(NO_SHAPE);
    }
    this.mask = size - 1;
    this.count = 0;
  }

  /** Empties the slots, so that the cache keeps no request's strings alive. */
  release(): void {
    if (this.count > 0) {
      this.lengths.fill(-1);
      this.measurements.fill('');
      this.tagSets.fill(EMPTY_TAGS);
      this.shapes.fill(NO_SHAPE);
    }
    this.count = 0;
  }

  /** The slot holding the series key b[start, end) (hash h), or -1. */
  lookup(b: Uint8Array, view: DataView, start: number, end: number, h: number): number {
    const len = end - start;
    let i = h & this.mask;
    for (let probe = 0; probe < MAX_PROBES; probe++) {
      const l = this.lengths[i];
      if (l < 0) return -1;
      if (l === len && this.hashes[i] === h && sameBytes(b, view, this.starts[i], start, len)) return i;
      i = (i + 1) & this.mask;
    }
    return -1;
  }

  /** Adds the series key b[start, end) unless `limit` keys are held; returns its slot, or -1 when it was not added. */
  insert(start: number, end: number, h: number, measurement: string, tags: readonly string[], limit: number): number {
    if (this.count >= limit) return -1;
    let i = h & this.mask;
    for (let probe = 0; probe < MAX_PROBES; probe++) {
      if (this.lengths[i] < 0) {
        this.hashes[i] = h;
        this.starts[i] = start;
        this.lengths[i] = end - start;
        this.measurements[i] = measurement;
        this.tagSets[i] = tags;
        this.shapes[i] = NO_SHAPE;
        this.count++;
        return i;
      }
      i = (i + 1) & this.mask;
    }
    return -1;
  }
}

/** Field keys kept per ordinal (at most this many). */
const MAX_TEMPLATE = 64;
/** Keys with their '=' of up to TEMPLATE_WORDS * 4 bytes are also kept as words (0 words: too long). */
const TEMPLATE_WORDS = 8;

/**
 * The byte range and string of the field keys last parsed at each ordinal (every entry is a real,
 * validated occurrence in the current buffer, so a byte-equal range is the same key).
 */
class FieldKeyTemplate {
  private readonly starts = new Int32Array(MAX_TEMPLATE);
  private readonly lengths = new Int32Array(MAX_TEMPLATE);
  readonly keys: string[] = new Array<string>(MAX_TEMPLATE).fill('');
  private count = 0;
  private readonly wordCounts = new Int32Array(MAX_TEMPLATE);
  private readonly words = new Int32Array(MAX_TEMPLATE * TEMPLATE_WORDS);
  private readonly masks = new Int32Array(MAX_TEMPLATE);

  reset(): void {
    this.count = 0;
  }

  /** Drops the keys, so that the template keeps no request's strings alive. */
  release(): void {
    if (this.count > 0) this.keys.fill('');
    this.count = 0;
  }

  /**
   * The length of the key at `ordinal` when the bytes at `pos` repeat it followed by '=' (its string is
   * `keys[ordinal]`), else 0. Short keys compare "key=" with the kept little-endian words, the last masked.
   */
  match(b: Uint8Array, view: DataView, n: number, pos: number, ordinal: number): number {
    if (ordinal >= this.count) return 0;
    const words = this.wordCounts[ordinal];
    const len = this.lengths[ordinal];
    if (words === 0) {
      return pos + len < n && b[pos + len] === EQUALS && sameBytes(b, view, this.starts[ordinal], pos, len) ? len : 0;
    }
    if (pos + (words << 2) > n) return 0;
    const w0 = ordinal * TEMPLATE_WORDS;
    const last = words - 1;
    // Up to four words (keys of up to 15 bytes) unrolled, longer keys in a loop.
    let same = view.getInt32(pos, true) === this.words[w0] || last === 0;
    if (same && last >= 2) {
      same = view.getInt32(pos + 4, true) === this.words[w0 + 1];
      if (same && last >= 3) {
        same = view.getInt32(pos + 8, true) === this.words[w0 + 2];
        let k = 3;
        while (same && k < last) {
          same = view.getInt32(pos + (k << 2), true) === this.words[w0 + k];
          k++;
        }
      }
    }
    return same && (view.getInt32(pos + (last << 2), true) & this.masks[ordinal]) === this.words[w0 + last] ? len : 0;
  }

  /** Keeps the key b[start, end) (followed by '=') as the template of `ordinal`. */
  remember(b: Uint8Array, ordinal: number, start: number, end: number, key: string): void {
    if (ordinal >= MAX_TEMPLATE) return;
    this.starts[ordinal] = start;
    this.lengths[ordinal] = end - start;
    this.keys[ordinal] = key;
    if (ordinal >= this.count) this.count = ordinal + 1;
    // The key and its '=' as words, when short enough.
    const len = end + 1 - start;
    const words = (len + 3) >> 2;
    if (words > TEMPLATE_WORDS) {
      this.wordCounts[ordinal] = 0;
      return;
    }
    const w0 = ordinal * TEMPLATE_WORDS;
    for (let k = 0; k < words; k++) {
      let w = 0;
      for (let j = 0; j < 4; j++) {
        const at = start + k * 4 + j;
        if (at <= end) w |= b[at] << (j * 8);
      }
      this.words[w0 + k] = w;
    }
    const tail = len - (words - 1) * 4;
    this.masks[ordinal] = tail === 4 ? -1 : (1 << (tail * 8)) - 1;
    this.wordCounts[ordinal] = words;
  }
}

// ---- bytes and strings (pure) ---------------------------------------------------------------------

/** Whether b[a, a + len) and b[c, c + len) are equal: four bytes at a time, then byte by byte. */
function sameBytes(b: Uint8Array, view: DataView, a: number, c: number, len: number): boolean {
  let k = 0;
  while (k + 4 <= len && view.getInt32(a + k, true) === view.getInt32(c + k, true)) k += 4;
  while (k < len && b[a + k] === b[c + k]) k++;
  return k === len;
}

function sameStrings<T>(prev: readonly T[], next: T[], count: number): boolean {
  if (prev.length !== count) return false;
  for (let i = 0; i < count; i++) if (prev[i] !== next[i]) return false;
  return true;
}

function isLineEnd(b: Uint8Array, pos: number, n: number): boolean {
  return pos >= n || b[pos] === LF;
}

/** The UTF-8 text of b[start, end), or undefined when it is not valid UTF-8. */
function decode(b: Uint8Array, start: number, end: number): string | undefined {
  if (end - start <= 32) {
    let ascii = true;
    for (let i = start; i < end; i++) {
      if (b[i] >= 0x80) {
        ascii = false;
        break;
      }
    }
    if (ascii) return latin1(b, start, end);
  }
  try {
    return utf8Strict.decode(b.subarray(start, end));
  } catch {
    return undefined;
  }
}

/** b[start, end) as a string of one char per byte (only called on ASCII). */
function latin1(b: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end; i++) s += String.fromCharCode(b[i]);
  return s;
}

function lineError(b: Uint8Array, start: number, end: number, line: number, reason: string): LineError {
  if (end > start && b[end - 1] === CR) end--;
  const text = utf8Lenient.decode(b.subarray(start, end));
  const quoted = text.length > MAX_QUOTED_LINE ? `${text.slice(0, MAX_QUOTED_LINE)}…` : text;
  return { line, message: `unable to parse '${quoted}': ${reason}`, reason };
}

/** The characters a backslash escapes: in a measurement, in tag keys/values and field keys, in string values. */
const MEASUREMENT_ESCAPES = byteSet([COMMA, SPACE]);
const NAME_ESCAPES = byteSet([COMMA, SPACE, EQUALS]);
const STRING_ESCAPES = byteSet([QUOTE, BACKSLASH]);

/**
 * `text` without the backslash of each escape `\x` where x is in `escapes`; a backslash before any
 * other character is literal (line-protocol v2 decoder semantics).
 */
function unescape(text: string, escapes: Uint8Array): string {
  let out = '';
  let from = 0;
  for (let i = 0; i < text.length - 1; i++) {
    if (text.charCodeAt(i) !== BACKSLASH) continue;
    const d = text.charCodeAt(i + 1);
    if (d < 128 && escapes[d] === 1) {
      out += text.slice(from, i);
      from = i + 1;
      i++;
    }
  }
  return out + text.slice(from);
}

/** 1 for true, 0 for false, -1 for anything else (t T true True TRUE f F false False FALSE). */
function parseBoolean(b: Uint8Array, start: number, end: number): number {
  const len = end - start;
  const c = b[start];
  if (len === 1) return c === LOWER_T || c === UPPER_T ? 1 : 0;
  if (len === 4) return matches(b, start, 'true') || matches(b, start, 'True') || matches(b, start, 'TRUE') ? 1 : -1;
  if (len === 5) return matches(b, start, 'false') || matches(b, start, 'False') || matches(b, start, 'FALSE') ? 0 : -1;
  return -1;
}

function matches(b: Uint8Array, start: number, word: string): boolean {
  for (let i = 0; i < word.length; i++) if (b[start + i] !== word.charCodeAt(i)) return false;
  return true;
}

/** Compare the digits b[start, end) with the decimal string max of the same length: <0, 0 or >0. */
function compareDigits(b: Uint8Array, start: number, end: number, max: string): number {
  if (end - start !== max.length) return end - start - max.length;
  for (let i = 0; i < max.length; i++) {
    const d = b[start + i] - max.charCodeAt(i);
    if (d !== 0) return d;
  }
  return 0;
}
