/**
 * The points of a line-protocol request in columns ({@link PointColumns}), as the parser writes them,
 * and as objects ({@link Point}) built on demand. Pure: no state.
 */

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
export function columnsForBody(n: number): PointColumns {
  return emptyColumns(Math.min(Math.max(16, n >> 7), 1 << 20), Math.min(Math.max(64, n >> 4), 1 << 22));
}

/** A copy of `a` with room for `size` elements. */
export function grown<T extends Int32Array | Float64Array | Uint8Array>(a: T, size: number): T {
  const b = new (a.constructor as new (length: number) => T)(size);
  b.set(a);
  return b;
}

/** Doubles the per-point columns. */
export function growPoints(c: PointColumns): void {
  const size = c.lines.length * 2;
  c.valueStart = grown(c.valueStart, size + 1);
  c.timestampMs = grown(c.timestampMs, size);
  c.subMsNanos = grown(c.subMsNanos, size);
  c.serverTime = grown(c.serverTime, size);
  c.lines = grown(c.lines, size);
}

/** The point at index `i` of `c` as an object. */
function pointAt(c: PointColumns, i: number): Point {
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
