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

/** Timestamp precision of a write: v2 `ns|us|ms|s`, v1 also `n|u|m|h` (`m` is minutes, `h` hours). */
export type Precision = 'ns' | 'us' | 'ms' | 's' | 'n' | 'u' | 'm' | 'h';

/** The type of a field value, as InfluxDB names it. */
export type FieldType = 'float' | 'integer' | 'unsigned' | 'boolean' | 'string';

/**
 * One parsed line as an object (built from {@link PointColumns} on demand): names are shared strings
 * (equal names in one request are one string), `tags`, `fieldKeys` and `fieldTypes` are the arrays of
 * the point's shape, shared between points (treat them as read-only), and `fieldValues` is a plain
 * array of doubles of its own.
 */
export interface Point {
  /** Measurement name, unescaped. */
  measurement: string;
  /**
   * Tag keys and values, unescaped, alternating in the order written: `[key0, value0, key1, value1, ...]`.
   * Keys are unique (a duplicate is a parse error, as in InfluxDB); values are never empty.
   */
  tags: readonly string[];
  /** Field keys, unescaped; unique (a duplicate key keeps the last value, as in InfluxDB). At least one. */
  fieldKeys: readonly string[];
  /** Field types; `fieldTypes[i]` belongs to `fieldKeys[i]`. */
  fieldTypes: readonly FieldType[];
  /**
   * Numeric value of each field: floats, integers (`i`) and unsigned integers (`u`) as float64 (64-bit
   * integers beyond ±2^53 are rounded to the nearest float64, the only numeric type the store keeps),
   * booleans as 1 / 0, string fields as NaN (their text is in `stringValues`).
   */
  fieldValues: number[];
  /** Only when the point has string fields: the text of field `i` at index `i` (unescaped). */
  stringValues?: (string | undefined)[];
  /** Milliseconds since the Unix epoch, floored (exact for every representable line-protocol timestamp). */
  timestampMs: number;
  /** Nanoseconds past `timestampMs` (0..999999): with `timestampMs` the exact nanosecond timestamp. */
  timestampSubMsNanos: number;
  /** True when the line had no timestamp and the server time was used. */
  serverTime: boolean;
  /** 1-based line number where the point starts. */
  line: number;
}

/** The value of field `i` of a point as InfluxDB types it (number, boolean or string). */
export function fieldValue(point: Point, i: number): number | boolean | string {
  const type = point.fieldTypes[i];
  if (type === 'string') return point.stringValues?.[i] ?? '';
  if (type === 'boolean') return point.fieldValues[i] === 1;
  return point.fieldValues[i];
}

/** The tags of a point as an object. */
export function pointTags(point: Point): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < point.tags.length; i += 2) out[point.tags[i]] = point.tags[i + 1];
  return out;
}

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

/**
 * What the points of one series key with one field layout have in common: the measurement, the tags,
 * the field keys and their types (as in {@link Point}). Shapes are shared: within one parse, points
 * with equal bytes up to the field values get the same shape object, so a consumer can cache per shape.
 */
export interface PointShape {
  readonly measurement: string;
  readonly tags: readonly string[];
  readonly fieldKeys: readonly string[];
  readonly fieldTypes: readonly FieldType[];
}

/**
 * The points of a request in columns, as the parser produces them: no object per point, numbers in
 * typed arrays. Point `i` (0 <= i < length) has the shape `shapes[i]`, the field values
 * `values[valueStart[i] .. valueStart[i + 1])` (in the order of the shape's field keys), the text of
 * string fields at the same indexes of `strings` (present only when a string field was parsed), and
 * `timestampMs[i]`, `subMsNanos[i]`, `serverTime[i]` (1 = server time), `lines[i]`.
 * The typed arrays may be longer than needed: read only up to `length` (and `valueStart[length]`).
 */
export interface PointColumns {
  length: number;
  shapes: PointShape[];
  valueStart: Int32Array;
  values: Float64Array;
  strings: (string | undefined)[] | undefined;
  timestampMs: Float64Array;
  subMsNanos: Int32Array;
  serverTime: Uint8Array;
  lines: Int32Array;
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

/** Reason of the last failure inside the value helpers (set together with a NaN return). */
let failReason = '';

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
  const precision = opts.precision;
  if (!(precision in MAX_UNITS)) throw new RangeError(`unknown precision ${String(precision)}`);
  const maxLines = opts.maxLines ?? Number.POSITIVE_INFINITY;
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
  const n = buf.length;
  const columns = columnsForBody(n);
  col = columns;
  const errors: LineError[] = [];
  let pos = 0;
  let lineNo = 1;
  let count = 0;
  let limitExceeded = false;
  prevTags = EMPTY_TAGS;
  prevKeys = EMPTY_TAGS;
  prevTypes = [];
  nowFn = opts.now;
  tsMaxUnits = MAX_UNITS[precision];
  tsSubDigits = SUB_MS_DIGITS[precision];
  tsMsPerUnit = MS_PER_UNIT[precision];
  nowMs = Number.NaN;
  internReset(buf);

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
      pos = parseLine(buf, pos, n, precision, startLine);
      lineNo += parsedNewlines;
      if (parsedReason === '') {
        if (pos < n) {
          pos++;
          lineNo++;
        }
      } else {
        // Skip the rest of the line (an unterminated string already consumed the input).
        const nl = pos < n ? buf.indexOf(LF, pos) : -1;
        errors.push(lineError(buf, lineStart, nl < 0 ? inputLength : nl, startLine, parsedReason));
        if (nl < 0) pos = n;
        else {
          pos = nl + 1;
          lineNo++;
        }
      }
    }
  } finally {
    internRelease();
    prevTags = EMPTY_TAGS;
    prevKeys = EMPTY_TAGS;
    prevTypes = [];
    col = EMPTY_COLUMNS;
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

// ---- columns ---------------------------------------------------------------------------------------

/** Empty columns with room for `lines` points and `values` field values. */
function emptyColumns(lines: number, values: number): PointColumns {
  return {
    length: 0,
    shapes: [],
    valueStart: new Int32Array(lines + 1),
    values: new Float64Array(values),
    strings: undefined,
    timestampMs: new Float64Array(lines),
    subMsNanos: new Int32Array(lines),
    serverTime: new Uint8Array(lines),
    lines: new Int32Array(lines),
  };
}

/** Columns with room for the points of an n-byte body (grown by doubling when a guess is short). */
function columnsForBody(n: number): PointColumns {
  return emptyColumns(Math.min(Math.max(16, n >> 7), 1 << 20), Math.min(Math.max(64, n >> 4), 1 << 22));
}

/** A copy of `a` with room for `size` elements. */
function grown<T extends Int32Array | Float64Array | Uint8Array>(a: T, size: number): T {
  const b = new (a.constructor as new (length: number) => T)(size);
  b.set(a);
  return b;
}

/** Doubles the per-point columns. */
function growPoints(c: PointColumns): void {
  const size = c.lines.length * 2;
  c.valueStart = grown(c.valueStart, size + 1);
  c.timestampMs = grown(c.timestampMs, size);
  c.subMsNanos = grown(c.subMsNanos, size);
  c.serverTime = grown(c.serverTime, size);
  c.lines = grown(c.lines, size);
}

/** The point at index `i` of `c` as an object. */
export function pointAt(c: PointColumns, i: number): Point {
  const from = c.valueStart[i];
  const to = c.valueStart[i + 1];
  const shape = c.shapes[i];
  const point: Point = {
    measurement: shape.measurement,
    tags: shape.tags,
    fieldKeys: shape.fieldKeys,
    fieldTypes: shape.fieldTypes,
    fieldValues: Array.from(c.values.subarray(from, to)),
    timestampMs: c.timestampMs[i],
    timestampSubMsNanos: c.subMsNanos[i],
    serverTime: c.serverTime[i] === 1,
    line: c.lines[i],
  };
  if (c.strings !== undefined && shape.fieldTypes.includes('string')) point.stringValues = c.strings.slice(from, to);
  return point;
}

/** Every point of `c` as objects. */
export function pointsOf(c: PointColumns): Point[] {
  const out: Point[] = [];
  for (let i = 0; i < c.length; i++) out.push(pointAt(c, i));
  return out;
}

/** Points (e.g. built by hand, or a subset) in columns. */
export function columnsOf(points: readonly Point[]): PointColumns {
  let values = 0;
  for (const p of points) values += p.fieldValues.length;
  const c = emptyColumns(points.length, values);
  let v = 0;
  points.forEach((p, i) => {
    c.shapes.push({ measurement: p.measurement, tags: p.tags, fieldKeys: p.fieldKeys, fieldTypes: p.fieldTypes });
    c.valueStart[i] = v;
    for (let f = 0; f < p.fieldValues.length; f++) {
      const text = p.stringValues?.[f];
      if (text !== undefined) (c.strings ??= [])[v] = text;
      c.values[v++] = p.fieldValues[f];
    }
    c.timestampMs[i] = p.timestampMs;
    c.subMsNanos[i] = p.timestampSubMsNanos;
    c.serverTime[i] = p.serverTime ? 1 : 0;
    c.lines[i] = p.line;
  });
  c.valueStart[points.length] = v;
  c.length = points.length;
  return c;
}

/**
 * Parse the point that starts at `pos` (not blank, not a comment). `b[n - 1]` is a newline. Returns the position of the line end
 * (the `\n`, or `n`) on success, or the position where parsing stopped on error; the outcome is in
 * the point is appended to the columns (`col`), the outcome is in `parsedReason`, the newlines consumed inside string values in `parsedNewlines`.
 * A separate function (rather than the body of the outer loop) so that V8 optimises it as a whole.
 */
function parseLine(b: Uint8Array, pos: number, n: number, precision: Precision, lineNo: number): number {
  let c = b[pos];
  let newlines = 0;
  const tags = scratchTags;
  const keys = scratchKeys;
  const types = scratchTypes;
  // Field values go straight into the value column (kept only if the line parses).
  const out = col;
  const base = out.valueStart[out.length];
  let values = out.values;
  let reason = '';
  let tagCount = 0;
  let fieldCount = 0;
  let strings: (string | undefined)[] | undefined;
  let name: string | undefined;
  let sameKeys = true;
  let sameTypes = true;
  const view = internView;
  const start0 = pos;

  let start = pos;
  let measurement = '';
  let lineTags: readonly string[] | undefined;
  /** The series-key cache slot of this line (-1: none), where its last shape is kept. */
  let slot = -1;

  // ---- series key cache --------------------------------------------------------------------------
  // Most lines of a batch repeat a series key (measurement + tag set) seen before: when the bytes up to
  // the first space equal a key that parsed before, reuse its measurement and tag array as they are.
  // One pass finds the first space (or the line end: then there is no key to look up) and hashes the
  // bytes before it (FNV-1a over every byte, so keys that differ anywhere hash apart).
  let keyEnd = pos;
  let keyH = KEY_SEED;
  // Four bytes at a time while none of them is a space or a newline (SWAR zero-byte test on the word
  // XOR each delimiter), then byte by byte; the hash mixes whole words, then single bytes.
  while (keyEnd + 4 <= n) {
    const w = view.getInt32(keyEnd, true);
    const xs = w ^ 0x20202020;
    const xl = w ^ 0x0a0a0a0a;
    if ((((xs - 0x01010101) & ~xs) | ((xl - 0x01010101) & ~xl)) & 0x80808080) break;
    keyH = Math.imul(keyH ^ w, 0x01000193);
    keyEnd += 4;
  }
  for (;;) {
    const k = b[keyEnd];
    if (k === SPACE || k === LF) break;
    keyH = Math.imul(keyH ^ k, 0x01000193);
    keyEnd++;
  }
  if (keyEnd < n && b[keyEnd] === SPACE && keyEnd > pos && b[keyEnd - 1] !== BACKSLASH) {
    const hit = keyLookup(b, pos, keyEnd, keyH);
    if (hit >= 0) {
      measurement = keyMeasurements[hit];
      lineTags = keyTagSets[hit];
      slot = hit;
      pos = keyEnd;
      c = SPACE;
    }
  } else keyEnd = -1;

  if (lineTags === undefined) {
    // ---- measurement -------------------------------------------------------------------------------
    pos = scanName(b, pos, MEASUREMENT_STOP, false);
    c = b[pos];
    if (pos === start) reason = c === LF ? 'missing fields' : 'missing measurement';
    else if (c === LF) reason = 'missing fields';
    else if ((name = readName(b, start, pos, nameEscaped, false)) === undefined) reason = INVALID_UTF8;
    else measurement = name;

    // ---- tags --------------------------------------------------------------------------------------
    while (reason === '' && c === COMMA) {
      pos++;
      c = b[pos];
      start = pos;
      if (c === SPACE || c === COMMA || c === EQUALS || c === LF) {
        reason = 'missing tag key';
        break;
      }
      pos = scanName(b, pos, NAME_STOP, true);
      c = b[pos];
      if (c !== EQUALS) {
        reason = 'missing tag value';
        break;
      }
      const key = readName(b, start, pos, nameEscaped, true);
      if (key === undefined) {
        reason = INVALID_UTF8;
        break;
      }
      pos++;
      c = b[pos];
      start = pos;
      if (c === COMMA || c === SPACE || c === LF) {
        reason = 'missing tag value';
        break;
      }
      pos = scanName(b, pos, NAME_STOP, true);
      c = b[pos];
      if (c === EQUALS) {
        reason = 'invalid tag format';
        break;
      }
      if (c === LF) {
        reason = 'missing fields';
        break;
      }
      for (let k = 0; k < tagCount; k += 2) {
        if (tags[k] === key) reason = 'duplicate tags';
      }
      if (reason !== '') break;
      const value = readName(b, start, pos, nameEscaped, true);
      if (value === undefined) {
        reason = INVALID_UTF8;
        break;
      }
      tags[tagCount++] = key;
      tags[tagCount++] = value;
    }
    if (reason === '') {
      lineTags = sameStrings(prevTags, tags, tagCount) ? prevTags : tags.slice(0, tagCount);
      if (pos === keyEnd) slot = keyInsert(start0, keyEnd, keyH, measurement, lineTags);
    }
  }

  // ---- fields ------------------------------------------------------------------------------------
  if (reason === '') {
    // c === SPACE here. Further whitespace before the field set is tolerated (models.scanFields).
    while (c === SPACE || c === TAB) {
      pos++;
      c = b[pos];
    }
    if (c === LF || (c === CR && isLineEnd(b, pos + 1, n))) reason = 'missing fields';
  }
  let ordinal = 0;
  while (reason === '') {
    start = pos;
    let key: string | undefined;
    // Field-key template: when the bytes at this position repeat the previous line's key at the same
    // ordinal and are followed by '=', it is the same key (same bytes scan the same way): no scan, no lookup.
    if (ordinal < templateCount) {
      const words = templateWordCounts[ordinal];
      if (words > 0) {
        // Short keys: compare "key=" with the template's little-endian words, the last one masked.
        if (pos + (words << 2) <= n) {
          const w0 = ordinal * TEMPLATE_WORDS;
          const last = words - 1;
          // Up to four words (keys of up to 15 bytes) unrolled, longer keys in a loop.
          let same = view.getInt32(pos, true) === templateWords[w0] || last === 0;
          let k = 1;
          if (same && last >= 2) {
            same = view.getInt32(pos + 4, true) === templateWords[w0 + 1];
            k = 2;
            if (same && last >= 3) {
              same = view.getInt32(pos + 8, true) === templateWords[w0 + 2];
              k = 3;
              while (same && k < last) {
                same = view.getInt32(pos + (k << 2), true) === templateWords[w0 + k];
                k++;
              }
            }
          }
          if (same && (view.getInt32(pos + (last << 2), true) & templateMasks[ordinal]) === templateWords[w0 + last]) {
            key = templateKeys[ordinal];
            pos += templateLengths[ordinal];
            c = EQUALS;
          }
        }
      } else if (pos + templateLengths[ordinal] < n && b[pos + templateLengths[ordinal]] === EQUALS) {
        const len = templateLengths[ordinal];
        if (sameBytes(b, templateStarts[ordinal], pos, len)) {
          key = templateKeys[ordinal];
          pos += len;
          c = EQUALS;
        }
      }
    }
    if (key === undefined) {
      pos = scanName(b, pos, NAME_STOP, true);
      c = b[pos];
      if (c !== EQUALS) {
        reason = 'invalid field format';
        break;
      }
      if (pos === start) {
        reason = 'missing field key';
        break;
      }
      key = readName(b, start, pos, nameEscaped, true);
      if (key === undefined) {
        reason = INVALID_UTF8;
        break;
      }
      if (ordinal < MAX_TEMPLATE) {
        templateStarts[ordinal] = start;
        templateLengths[ordinal] = pos - start;
        templateKeys[ordinal] = key;
        setTemplateWords(b, ordinal, start, pos + 1);
        if (ordinal >= templateCount) templateCount = ordinal + 1;
      }
    }
    ordinal++;
    pos++;
    c = b[pos];
    let value: number;
    let type: FieldType;
    let str: string | undefined;
    if (c === QUOTE) {
      // String field value: `\"` and `\\` are escapes, any other backslash is literal.
      pos++;
      start = pos;
      let escaped = false;
      for (;;) {
        if (pos >= n) {
          reason = 'unbalanced quotes';
          break;
        }
        c = b[pos];
        if (c === QUOTE) break;
        if (c === BACKSLASH) {
          const d = b[pos + 1];
          if (d === QUOTE || d === BACKSLASH) {
            escaped = true;
            pos += 2;
            continue;
          }
        } else if (c === LF) newlines++;
        pos++;
      }
      if (reason !== '') break;
      str = decode(b, start, pos);
      if (str === undefined) {
        reason = INVALID_UTF8;
        break;
      }
      if (escaped) str = unescape(str, STRING_ESCAPES);
      value = Number.NaN;
      type = 'string';
      pos++;
      c = b[pos];
    } else if ((c >= ZERO && c <= NINE) || c === MINUS || c === DOT || c === PLUS || c === LOWER_N || c === UPPER_N) {
      // Fast path, inline: `[-]digits[.digits]` (a float) or `[-]digits i` (an integer), up to 15 digits
      // in all, so the mantissa is an exact integer and one division by an exact power of ten rounds
      // correctly. Anything else (exponents, `u`, long or invalid numbers) goes through scanNumber.
      const negative = c === MINUS;
      let p = negative ? pos + 1 : pos;
      const intStart = p;
      let d = b[p];
      let mantissa = 0;
      while (d >= ZERO && d <= NINE) {
        mantissa = mantissa * 10 + (d - ZERO);
        p++;
        d = b[p];
      }
      let digits = p - intStart;
      let fractionDigits = 0;
      const dot = d === DOT;
      if (dot) {
        p++;
        const fractionStart = p;
        d = b[p];
        while (d >= ZERO && d <= NINE) {
          mantissa = mantissa * 10 + (d - ZERO);
          p++;
          d = b[p];
        }
        fractionDigits = p - fractionStart;
        digits += fractionDigits;
      }
      if (digits > 0 && digits <= 15 && VALUE_STOP[d] !== 0) {
        const v = fractionDigits === 0 ? mantissa : mantissa / POW10[fractionDigits];
        value = negative ? -v : v;
        type = 'float';
        pos = p;
        c = d;
      } else if (digits > 0 && digits <= 15 && d === LOWER_I && !dot && (p + 1 >= n || VALUE_STOP[b[p + 1]] !== 0)) {
        value = negative ? -mantissa : mantissa;
        type = 'integer';
        pos = p + 1;
        c = b[pos];
      } else {
        value = scanNumber(b, pos, n);
        pos = numberEnd;
        c = b[pos];
        type = numberType;
        if (value !== value) {
          reason = failReason;
          break;
        }
      }
    } else {
      start = pos;
      while (VALUE_STOP[c] === 0) {
        pos++;
        c = b[pos];
      }
      if (pos === start) {
        reason = 'missing field value';
        break;
      }
      const first = b[start];
      if (first === LOWER_T || first === UPPER_T || first === LOWER_F || first === UPPER_F) {
        const v = parseBoolean(b, start, pos);
        if (v < 0) {
          reason = 'invalid boolean';
          break;
        }
        value = v;
        type = 'boolean';
      } else {
        // models.scanFields: anything that is not a number or a string is scanned as a boolean.
        reason = 'invalid boolean';
        break;
      }
    }
    // Duplicate field keys: the last value wins (InfluxDB merges the field set). While the keys repeat
    // the previous point's (unique) keys in order, no search is needed.
    // While the keys (and types) repeat the previous point's, they are not copied into the scratch arrays
    // (the point will share the previous arrays); they are materialised when a line departs from them.
    let at = fieldCount;
    if (sameKeys && prevKeys[fieldCount] === key) {
      if (sameTypes && prevTypes[fieldCount] !== type) {
        sameTypes = false;
        for (let k = 0; k < fieldCount; k++) types[k] = prevTypes[k];
      }
      if (!sameTypes) types[at] = type;
      fieldCount++;
    } else {
      if (sameKeys) {
        sameKeys = false;
        for (let k = 0; k < fieldCount; k++) keys[k] = prevKeys[k];
        if (sameTypes) {
          sameTypes = false;
          for (let k = 0; k < fieldCount; k++) types[k] = prevTypes[k];
        }
      }
      for (let k = 0; k < fieldCount; k++) {
        if (keys[k] === key) {
          at = k;
          break;
        }
      }
      if (at === fieldCount) fieldCount++;
      keys[at] = key;
      types[at] = type;
    }
    if (base + at >= values.length) {
      out.values = grown(values, values.length * 2);
      values = out.values;
    }
    values[base + at] = value;
    if (str !== undefined || strings !== undefined) {
      strings ??= [];
      strings[at] = str;
    }
    if (c === COMMA) {
      pos++;
      c = b[pos];
      continue;
    }
    if (c === SPACE || c === LF || (c === CR && isLineEnd(b, pos + 1, n))) break;
    reason = 'invalid field format';
  }

  // ---- timestamp ---------------------------------------------------------------------------------
  let timestampMs = 0;
  let subMs = 0;
  let serverTime = false;
  if (reason === '') {
    while (c === SPACE || c === TAB) {
      pos++;
      c = b[pos];
    }
    if (c === LF || (c === CR && isLineEnd(b, pos + 1, n))) {
      serverTime = true;
      if (nowMs !== nowMs) {
        // InfluxDB truncates the server time to the write precision.
        const now = Math.floor(nowFn());
        const unit = MS_PER_UNIT[precision];
        nowMs = unit > 1 ? Math.floor(now / unit) * unit : now;
      }
      timestampMs = nowMs;
    } else {
      const negative = c === MINUS;
      if (negative) {
        pos++;
        c = b[pos];
      }
      const digitsStart = pos;
      // One pass: the first 15 digits into `hi` (exact below 2^53), the next ones into `lo`.
      let hi = 0;
      let lo = 0;
      while (c >= ZERO && c <= NINE) {
        if (pos - digitsStart < 15) hi = hi * 10 + (c - ZERO);
        else lo = lo * 10 + (c - ZERO);
        pos++;
        c = b[pos];
      }
      const digits = pos - digitsStart;
      const loDigits = digits > 15 ? digits - 15 : 0;
      if (digits === 0 || !(c === SPACE || c === LF || c === CR)) {
        reason = 'bad timestamp';
      } else if (
        !negative &&
        loDigits <= tsSubDigits &&
        (digits < tsMaxUnits.length || compareDigits(b, digitsStart, pos, tsMaxUnits) <= 0)
      ) {
        // Fast path (a positive timestamp whose digits past the 15th all fall below the millisecond):
        // hi * 10^loDigits + lo, split at the millisecond without leaving exact integers.
        if (tsSubDigits === 0) timestampMs = hi * tsMsPerUnit;
        else {
          // hi < 10^15 and unit <= 10^6: the float quotient is never within 1/unit of the next integer,
          // so its floor is exact (no fmod on the hot path); the guard keeps it exact regardless.
          const unit = POW10[tsSubDigits - loDigits];
          let q = Math.floor(hi / unit);
          let rest = hi - q * unit;
          if (rest < 0) {
            q--;
            rest += unit;
          }
          timestampMs = q;
          subMs = (rest * POW10[loDigits] + lo) * (tsSubDigits === 3 ? 1000 : 1);
        }
      } else if ((timestampMs = parseTimestamp(b, digitsStart, pos, negative)) !== timestampMs) {
        reason = TIME_RANGE_ERROR;
      } else subMs = tsSubMs;
      if (reason === '') {
        while (c === SPACE) {
          pos++;
          c = b[pos];
        }
        if (!(c === LF || (c === CR && isLineEnd(b, pos + 1, n)))) reason = 'point is invalid';
      }
    }
  }

  parsedNewlines = newlines;
  parsedReason = reason;
  if (reason !== '') return pos;
  // Share the tag array and the field keys / field types with the previous point when they are equal.
  if (lineTags !== undefined) prevTags = lineTags;
  if (!(sameKeys && sameTypes && prevKeys.length === fieldCount)) {
    // sameKeys: the keys are a prefix of the previous point's (not copied); likewise the types.
    const nextKeys = sameKeys ? prevKeys.slice(0, fieldCount) : keys.slice(0, fieldCount);
    prevTypes = sameTypes ? prevTypes.slice(0, fieldCount) : types.slice(0, fieldCount);
    prevKeys = nextKeys;
  }
  const i = out.length;
  if (i === out.lines.length) growPoints(out);
  // The shape: the one last used with this series key when the field layout is the same.
  let shape = slot >= 0 ? keyShapes[slot] : lastShape;
  if (shape.fieldKeys !== prevKeys || shape.fieldTypes !== prevTypes || shape.tags !== prevTags || shape.measurement !== measurement) {
    shape = { measurement, tags: prevTags, fieldKeys: prevKeys, fieldTypes: prevTypes };
    if (slot >= 0) keyShapes[slot] = shape;
  }
  lastShape = shape;
  out.shapes.push(shape);
  out.valueStart[i + 1] = base + fieldCount;
  out.timestampMs[i] = timestampMs;
  out.subMsNanos[i] = subMs;
  out.serverTime[i] = serverTime ? 1 : 0;
  out.lines[i] = lineNo;
  out.length = i + 1;
  if (strings !== undefined) {
    const all = (out.strings ??= []);
    for (let k = 0; k < fieldCount; k++) if (strings[k] !== undefined) all[base + k] = strings[k];
  }
  return c === CR ? pos + 1 : pos;
}

const INVALID_UTF8 = 'invalid UTF-8';

let parsedReason = '';
let parsedNewlines = 0;
let prevTags: readonly string[] = [];
let prevKeys: readonly string[] = [];
let prevTypes: readonly FieldType[] = [];
let nowFn: () => number = Date.now;
let nowMs = Number.NaN;

const EMPTY_TAGS: readonly string[] = [];
/** The columns being filled by the parse in progress. */
const EMPTY_COLUMNS = emptyColumns(0, 0);
let col: PointColumns = EMPTY_COLUMNS;
// Scratch arrays reused across lines and calls (parsing is synchronous).
const scratchTags: string[] = [];
const scratchKeys: string[] = [];
const scratchTypes: FieldType[] = [];

function sameStrings<T>(prev: readonly T[], next: T[], count: number): boolean {
  if (prev.length !== count) return false;
  for (let i = 0; i < count; i++) if (prev[i] !== next[i]) return false;
  return true;
}

function isLineEnd(b: Uint8Array, pos: number, n: number): boolean {
  return pos >= n || b[pos] === LF;
}

// ---- strings ---------------------------------------------------------------------------------------

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

/** Whether the name last scanned by {@link scanName} had an escape. */
let nameEscaped = false;

/**
 * The end of the name that starts at `pos`: the first unescaped byte in `stop`. `\,` and `\ ` (and
 * `\=` when `equalsToo`: tag keys and values, field keys) are escapes and set `nameEscaped`; any other
 * backslash is literal. Stops at the newline sentinel at the latest.
 */
function scanName(b: Uint8Array, pos: number, stop: Uint8Array, equalsToo: boolean): number {
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
  nameEscaped = escaped;
  return pos;
}

/**
 * The name b[start, end): interned when it has no escape, else decoded and unescaped (`\,` `\ `, and
 * `\=` when `equalsToo`); undefined when it is not UTF-8.
 */
function readName(b: Uint8Array, start: number, end: number, escaped: boolean, equalsToo: boolean): string | undefined {
  if (!escaped) return intern(b, start, end);
  const text = decode(b, start, end);
  return text === undefined ? undefined : unescape(text, equalsToo ? NAME_ESCAPES : MEASUREMENT_ESCAPES);
}

// ---- string interning ------------------------------------------------------------------------------
// Names repeat across the lines of a request (measurement, tag keys and values, field keys): an
// open-addressing table returns the string decoded at the first occurrence, so a batch of similar lines
// decodes almost no strings. The hash mixes the length and the first and last four bytes (O(1), the bytes
// were just scanned); the full comparison on a hit keeps it exact, and probing stops after MAX_PROBES so
// that colliding names cost a decode, never a long scan.
const MAX_PROBES = 8;
let internHashes = new Int32Array(0);
let internStarts = new Int32Array(0);
let internLengths = new Int32Array(0);
let internStrings: (string | undefined)[] = [];
let internView: DataView = new DataView(new ArrayBuffer(0));
let internMask = 0;
let internCount = 0;
let internLimit = 0;

function internReset(b: Uint8Array): void {
  let size = 64;
  while (size < 16384 && size * 16 < b.length) size *= 2;
  if (internHashes.length !== size) {
    internHashes = new Int32Array(size);
    internStarts = new Int32Array(size);
    internLengths = new Int32Array(size);
    internStrings = new Array<string | undefined>(size).fill(undefined);
  }
  internView = new DataView(b.buffer, b.byteOffset, b.byteLength);
  internMask = size - 1;
  internCount = 0;
  internLimit = size >> 1;
  keyReset(size);
}

function internRelease(): void {
  // Drop the references so that the request body is not kept alive by the table.
  if (internCount > 0) internStrings.fill(undefined);
  internCount = 0;
  internView = new DataView(new ArrayBuffer(0));
  keyRelease();
}

/** The (shared) string for the name bytes b[start, end); undefined if they are not UTF-8. */
function intern(b: Uint8Array, start: number, end: number): string | undefined {
  const len = end - start;
  const view = internView;
  let h = Math.imul(len, 0x9e3779b1);
  if (len >= 4) {
    h = Math.imul(h ^ view.getInt32(start, true), 0x85ebca6b);
    h = Math.imul(h ^ view.getInt32(end - 4, true), 0xc2b2ae35);
  } else {
    for (let k = start; k < end; k++) h = Math.imul(h ^ b[k], 0x01000193);
  }
  h ^= h >>> 15;
  let i = h & internMask;
  for (let probe = 0; probe < MAX_PROBES; probe++) {
    const s = internStrings[i];
    if (s === undefined) {
      const v = decode(b, start, end);
      if (v !== undefined && internCount < internLimit) {
        internStrings[i] = v;
        internHashes[i] = h;
        internStarts[i] = start;
        internLengths[i] = len;
        internCount++;
      }
      return v;
    }
    if (internHashes[i] === h && internLengths[i] === len) {
      if (sameBytes(b, internStarts[i], start, len)) return s;
    }
    i = (i + 1) & internMask;
  }
  return decode(b, start, end);
}

/** Whether b[a, a + len) and b[c, c + len) are equal: four bytes at a time, then byte by byte. */
function sameBytes(b: Uint8Array, a: number, c: number, len: number): boolean {
  const view = internView;
  let k = 0;
  while (k + 4 <= len && view.getInt32(a + k, true) === view.getInt32(c + k, true)) k += 4;
  while (k < len && b[a + k] === b[c + k]) k++;
  return k === len;
}

// ---- field-key template ----------------------------------------------------------------------------
// The byte range and string of the field keys last parsed at each ordinal (every entry is a real,
// validated occurrence in the current buffer, so a byte-equal range is the same key).
const MAX_TEMPLATE = 64;
const templateStarts = new Int32Array(MAX_TEMPLATE);
const templateLengths = new Int32Array(MAX_TEMPLATE);
const templateKeys: string[] = new Array<string>(MAX_TEMPLATE).fill('');
let templateCount = 0;
/** Keys with their '=' of up to TEMPLATE_WORDS * 4 bytes are also kept as words (0 words: too long). */
const TEMPLATE_WORDS = 8;
const templateWordCounts = new Int32Array(MAX_TEMPLATE);
const templateWords = new Int32Array(MAX_TEMPLATE * TEMPLATE_WORDS);
const templateMasks = new Int32Array(MAX_TEMPLATE);

/** Keeps the bytes b[start, end) (a key and its '=') of template `ordinal` as words, when short enough. */
function setTemplateWords(b: Uint8Array, ordinal: number, start: number, end: number): void {
  const len = end - start;
  const words = (len + 3) >> 2;
  if (words > TEMPLATE_WORDS) {
    templateWordCounts[ordinal] = 0;
    return;
  }
  const w0 = ordinal * TEMPLATE_WORDS;
  for (let k = 0; k < words; k++) {
    let w = 0;
    for (let j = 0; j < 4; j++) {
      const at = start + k * 4 + j;
      if (at < end) w |= b[at] << (j * 8);
    }
    templateWords[w0 + k] = w;
  }
  const tail = len - (words - 1) * 4;
  templateMasks[ordinal] = tail === 4 ? -1 : (1 << (tail * 8)) - 1;
  templateWordCounts[ordinal] = words;
}

// ---- series key cache ------------------------------------------------------------------------------
// Same scheme as the intern table, keyed by the bytes of "measurement,tags" (up to the first space).
let keyHashes = new Int32Array(0);
let keyStarts = new Int32Array(0);
let keyLengths = new Int32Array(0);
let keyMeasurements: string[] = [];
let keyTagSets: (readonly string[])[] = [];
let keyShapes: PointShape[] = [];
const NO_SHAPE: PointShape = { measurement: '', tags: [], fieldKeys: [], fieldTypes: [] };
/** The shape of the previous point (for lines that are not in the series-key cache). */
let lastShape: PointShape = NO_SHAPE;
let keyMask = 0;
let keyCount = 0;

function keyReset(size: number): void {
  if (keyHashes.length !== size) {
    keyHashes = new Int32Array(size);
    keyStarts = new Int32Array(size);
    keyLengths = new Int32Array(size).fill(-1);
    keyMeasurements = new Array<string>(size).fill('');
    keyTagSets = new Array<readonly string[]>(size).fill(EMPTY_TAGS);
    keyShapes = new Array<PointShape>(size).fill(NO_SHAPE);
  }
  lastShape = NO_SHAPE;
  keyMask = size - 1;
  keyCount = 0;
  templateCount = 0;
}

function keyRelease(): void {
  if (templateCount > 0) templateKeys.fill('');
  templateCount = 0;
  if (keyCount > 0) {
    keyLengths.fill(-1);
    keyMeasurements.fill('');
    keyTagSets.fill(EMPTY_TAGS);
    keyShapes.fill(NO_SHAPE);
  }
  lastShape = NO_SHAPE;
  keyCount = 0;
}

const KEY_SEED = 0x811c9dc5 | 0;

/** The cache slot holding the series key b[start, end) (hash h), or -1. */
function keyLookup(b: Uint8Array, start: number, end: number, h: number): number {
  const len = end - start;
  let i = h & keyMask;
  for (let probe = 0; probe < MAX_PROBES; probe++) {
    const l = keyLengths[i];
    if (l < 0) return -1;
    if (l === len && keyHashes[i] === h) {
      if (sameBytes(b, keyStarts[i], start, len)) return i;
    }
    i = (i + 1) & keyMask;
  }
  return -1;
}

/** Adds the series key b[start, end) to the cache; returns its slot, or -1 when it was not added. */
function keyInsert(start: number, end: number, h: number, measurement: string, tags: readonly string[]): number {
  if (keyCount >= internLimit) return -1;
  let i = h & keyMask;
  for (let probe = 0; probe < MAX_PROBES; probe++) {
    if (keyLengths[i] < 0) {
      keyHashes[i] = h;
      keyStarts[i] = start;
      keyLengths[i] = end - start;
      keyMeasurements[i] = measurement;
      keyTagSets[i] = tags;
      keyShapes[i] = NO_SHAPE;
      keyCount++;
      return i;
    }
    i = (i + 1) & keyMask;
  }
  return -1;
}

// ---- values ----------------------------------------------------------------------------------------

// The end position and type of the last scanned number (small integers and constant strings: no
// allocation, unlike a module-level double, which V8 boxes on every store).
let numberEnd = 0;
let numberType: FieldType = 'float';

/**
 * Parse the unquoted numeric field value starting at `start` (it ends at a comma, space, CR, LF or
 * the end) by the full grammar; returns the value (NaN and `failReason` when invalid); the end is in
 * `numberEnd`, the type in `numberType`. The common shapes (a float without exponent, an integer
 * `i`, up to 15 digits) never get here: the field loop parses them inline and calls this only when
 * that fast path does not apply.
 */
function scanNumber(b: Uint8Array, start: number, n: number): number {
  let end = start;
  while (end < n && VALUE_STOP[b[end]] === 0) end++;
  const last = b[end - 1];
  numberEnd = end;
  if (last === LOWER_I) {
    numberType = 'integer';
    return parseInteger(b, start, end - 1, false);
  }
  if (last === LOWER_U) {
    numberType = 'unsigned';
    return parseInteger(b, start, end - 1, true);
  }
  numberType = 'float';
  return parseFloatToken(b, start, end);
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

/**
 * Parse a float field value (`-?digits[.digits][(e|E)[+-]digits]`, InfluxDB's models.scanNumber grammar:
 * no NaN, no Inf, no hex, no underscores). Returns NaN and sets `failReason` when invalid.
 */
function parseFloatToken(b: Uint8Array, start: number, end: number): number {
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
      if (dot) return fail('invalid number');
      dot = true;
    } else break;
  }
  if (digits === 0) return fail('invalid number');
  if (i === end) {
    // Exact fast path: an integer mantissa below 2^53 divided by an exact power of ten is correctly rounded.
    if (digits <= 15) {
      const v = fractionDigits === 0 ? mantissa : mantissa / POW10[fractionDigits];
      return negative ? -v : v;
    }
    const v = Number(latin1(b, start, end));
    return Number.isFinite(v) ? v : fail('invalid float');
  }
  if (c !== LOWER_E && c !== UPPER_E) return fail('invalid number');
  i++;
  if (i < end) {
    c = b[i];
    if (c === PLUS || c === MINUS) i++;
  }
  const expStart = i;
  for (; i < end; i++) {
    c = b[i];
    if (c < ZERO || c > NINE) {
      return c === DOT || c === LOWER_E || c === UPPER_E || c === PLUS || c === MINUS ? fail('invalid float') : fail('invalid number');
    }
  }
  if (i === expStart) return fail('invalid float');
  const v = Number(latin1(b, start, end));
  return Number.isFinite(v) ? v : fail('invalid float');
}

/**
 * Parse an integer (`i`) or unsigned (`u`) field value without its suffix, range-checked against
 * int64 / uint64. Returns NaN and sets `failReason` when invalid or out of range.
 */
function parseInteger(b: Uint8Array, start: number, end: number, unsigned: boolean): number {
  let i = start;
  const negative = b[i] === MINUS;
  if (negative) {
    if (unsigned) return fail('invalid number');
    i++;
  }
  if (i === end) return fail('invalid number');
  let value = 0;
  for (let j = i; j < end; j++) {
    const c = b[j];
    if (c < ZERO || c > NINE) return fail('invalid number');
    value = value * 10 + (c - ZERO);
  }
  if (end - i > 15) {
    // Possibly beyond 2^53: check the range on the digits, then let Number round once.
    let k = i;
    while (k < end - 1 && b[k] === ZERO) k++;
    const max = unsigned ? '18446744073709551615' : negative ? '9223372036854775808' : '9223372036854775807';
    if (compareDigits(b, k, end, max) > 0) {
      return fail(`unable to parse ${unsigned ? 'unsigned' : 'integer'} ${latin1(b, start, end)}: value out of range`);
    }
    value = Number(latin1(b, k, end));
  }
  return negative ? -value : value;
}

function fail(reason: string): number {
  failReason = reason;
  return Number.NaN;
}

let tsSubMs = 0;
// The precision's constants, set once per parse (plain loads in the per-line path).
let tsMaxUnits = '';
let tsSubDigits = 0;
let tsMsPerUnit = 0;

/**
 * Convert the timestamp digits to milliseconds (returned; NaN when outside InfluxDB's time range) and the
 * nanoseconds past them (in `tsSubMs`).
 */
function parseTimestamp(b: Uint8Array, start: number, end: number, negative: boolean): number {
  while (start < end - 1 && b[start] === ZERO) start++;
  if (compareDigits(b, start, end, tsMaxUnits) > 0) return Number.NaN;
  const subDigits = tsSubDigits;
  let ms = 0;
  let sub = 0;
  const split = Math.max(start, end - subDigits);
  let i = start;
  for (; i < split; i++) ms = ms * 10 + (b[i] - ZERO);
  for (; i < end; i++) sub = sub * 10 + (b[i] - ZERO);
  if (subDigits === 3) sub *= 1000;
  else if (subDigits === 0) ms *= tsMsPerUnit;
  if (negative && (ms !== 0 || sub !== 0)) {
    // Floor towards -Infinity so that timestampMs + sub/1e6 is the exact time.
    if (sub > 0) {
      ms = -ms - 1;
      sub = 1_000_000 - sub;
    } else ms = -ms;
  }
  tsSubMs = sub;
  return ms;
}
