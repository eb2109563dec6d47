import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { columnsOf, fieldValue, parseLineProtocol, pointsOf, pointTags, type Point, type Precision } from './line-protocol';

const NOW = 1_700_000_000_123; // ms

function parse(text: string, precision: Precision = 'ns', maxLines?: number) {
  return parseLineProtocol(text, { precision, now: () => NOW, maxLines });
}

/** The point of a one-line input, as plain data; fails the test when the line does not parse. */
function one(line: string, precision: Precision = 'ns') {
  const r = parse(line, precision);
  expect(r.errors).toEqual([]);
  expect(r.points).toHaveLength(1);
  return view(r.points[0]);
}

function view(p: Point) {
  const fields: Record<string, number | boolean | string> = {};
  const types: Record<string, string> = {};
  p.fieldKeys.forEach((k, i) => {
    fields[k] = fieldValue(p, i);
    types[k] = p.fieldTypes[i];
  });
  return {
    measurement: p.measurement,
    tags: pointTags(p),
    fields,
    types,
    ms: p.timestampMs,
    subMs: p.timestampSubMsNanos,
    serverTime: p.serverTime,
    line: p.line,
  };
}

/** The reason a one-line input is refused; fails the test when it parses. */
function reason(line: string, precision: Precision = 'ns'): string {
  const r = parse(line, precision);
  expect(r.points).toEqual([]);
  expect(r.errors).toHaveLength(1);
  expect(r.errors[0].line).toBe(1);
  return r.errors[0].reason;
}

// Every example of the InfluxDB v2 line protocol reference
// (docs.influxdata.com/influxdb/v2/reference/syntax/line-protocol/), with the decoding InfluxDB gives it.
describe('parseLineProtocol: the examples of the InfluxDB v2 line protocol reference', () => {
  it('decodes the syntax example: myMeasurement,tag1=value1,tag2=value2 fieldKey="fieldValue" 1556813561098000000', () => {
    expect(one('myMeasurement,tag1=value1,tag2=value2 fieldKey="fieldValue" 1556813561098000000')).toEqual({
      measurement: 'myMeasurement',
      tags: { tag1: 'value1', tag2: 'value2' },
      fields: { fieldKey: 'fieldValue' },
      types: { fieldKey: 'string' },
      ms: 1556813561098,
      subMs: 0,
      serverTime: false,
      line: 1,
    });
  });

  it('decodes the elements example: myMeasurement,tag1=val1,tag2=val2 field1="v1",field2=1i 0000000000000000000', () => {
    const p = one('myMeasurement,tag1=val1,tag2=val2 field1="v1",field2=1i 0000000000000000000');
    expect(p.tags).toEqual({ tag1: 'val1', tag2: 'val2' });
    expect(p.fields).toEqual({ field1: 'v1', field2: 1 });
    expect(p.types).toEqual({ field1: 'string', field2: 'integer' });
    expect(p.ms).toBe(0);
  });

  it('decodes the field set note: measurementName fieldKey="field string value" 1556813561098000000', () => {
    const p = one('measurementName fieldKey="field string value" 1556813561098000000');
    expect(p.fields).toEqual({ fieldKey: 'field string value' });
    expect(p.ms).toBe(1556813561098);
  });

  it('decodes the float examples: fieldKey=1.0, fieldKey=1, fieldKey=-1.234456e+78', () => {
    expect(one('myMeasurement fieldKey=1.0').fields.fieldKey).toBe(1);
    expect(one('myMeasurement fieldKey=1').fields.fieldKey).toBe(1);
    expect(one('myMeasurement fieldKey=1').types.fieldKey).toBe('float');
    expect(one('myMeasurement fieldKey=-1.234456e+78').fields.fieldKey).toBe(-1.234456e78);
  });

  it('decodes the integer examples and the min/max table: 1i, 12485903i, -12485903i, -9223372036854775808i, 9223372036854775807i', () => {
    expect(one('myMeasurement fieldKey=1i').fields.fieldKey).toBe(1);
    expect(one('myMeasurement fieldKey=12485903i').fields.fieldKey).toBe(12485903);
    expect(one('myMeasurement fieldKey=-12485903i').fields.fieldKey).toBe(-12485903);
    expect(one('myMeasurement fieldKey=-12485903i').types.fieldKey).toBe('integer');
    expect(one('myMeasurement fieldKey=-9223372036854775808i').fields.fieldKey).toBe(-(2 ** 63));
    expect(one('myMeasurement fieldKey=9223372036854775807i').fields.fieldKey).toBe(2 ** 63); // 2^63 - 1 rounds to 2^63 as a float64
  });

  it('decodes the uinteger examples and the min/max table: 1u, 12485903u, 0u, 18446744073709551615u', () => {
    expect(one('myMeasurement fieldKey=1u').fields.fieldKey).toBe(1);
    expect(one('myMeasurement fieldKey=12485903u').fields.fieldKey).toBe(12485903);
    expect(one('myMeasurement fieldKey=0u').fields.fieldKey).toBe(0);
    expect(one('myMeasurement fieldKey=18446744073709551615u').fields.fieldKey).toBe(2 ** 64); // 2^64 - 1 rounds to 2^64 as a float64
    expect(one('myMeasurement fieldKey=1u').types.fieldKey).toBe('unsigned');
  });

  it('decodes the string example: myMeasurement fieldKey="this is a string"', () => {
    expect(one('myMeasurement fieldKey="this is a string"').fields).toEqual({ fieldKey: 'this is a string' });
  });

  it('decodes every accepted boolean spelling of the table (t T true True TRUE / f F false False FALSE)', () => {
    for (const t of ['t', 'T', 'true', 'True', 'TRUE']) {
      expect(one(`myMeasurement fieldKey=${t}`)).toMatchObject({ fields: { fieldKey: true }, types: { fieldKey: 'boolean' } });
    }
    for (const f of ['f', 'F', 'false', 'False', 'FALSE']) expect(one(`myMeasurement fieldKey=${f}`).fields.fieldKey).toBe(false);
  });

  it('reads a quoted boolean as a string (the "do not quote boolean field values" note)', () => {
    expect(one('myMeasurement fieldKey="true"')).toMatchObject({ fields: { fieldKey: 'true' }, types: { fieldKey: 'string' } });
  });

  it('accepts the timestamp range of the table: -9223372036854775806 .. 9223372036854775806 ns', () => {
    expect(one('myMeasurementName fieldKey="fieldValue" 1556813561098000000').ms).toBe(1556813561098);
    const max = one('m f=1 9223372036854775806');
    expect([max.ms, max.subMs]).toEqual([9223372036854, 775806]);
    const min = one('m f=1 -9223372036854775806');
    // floor(-9223372036854775806 / 1e6) = -9223372036855, and 224194 ns past it.
    expect([min.ms, min.subMs]).toEqual([-9223372036855, 224194]);
    expect(reason('m f=1 9223372036854775807')).toBe('time outside range -9223372036854775806 - 9223372036854775806');
    expect(reason('m f=1 -9223372036854775807')).toMatch(/^time outside range/);
    expect(reason('m f=1 99999999999999999999')).toMatch(/^time outside range/);
  });

  it('keeps quotes in names as part of the name (the quotes table: "limited" in measurement, tag key, tag value, field key)', () => {
    const p = one(`"my'M",'t"k'="tag'v" "f'k"=1`);
    expect(p.measurement).toBe(`"my'M"`);
    expect(p.tags).toEqual({ [`'t"k'`]: `"tag'v"` });
    expect(p.fields).toEqual({ [`"f'k"`]: 1 });
  });

  it('decodes the special characters examples', () => {
    expect(one('my\\ Measurement fieldKey="string value"')).toMatchObject({
      measurement: 'my Measurement',
      fields: { fieldKey: 'string value' },
    });
    expect(one('myMeasurement fieldKey="\\"string\\" within a string"').fields.fieldKey).toBe('"string" within a string');
    expect(one('myMeasurement,tag\\ Key1=tag\\ Value1,tag\\ Key2=tag\\ Value2 fieldKey=100')).toMatchObject({
      tags: { 'tag Key1': 'tag Value1', 'tag Key2': 'tag Value2' },
      fields: { fieldKey: 100 },
    });
    expect(one('myMeasurement,tagKey=🍭 fieldKey="Launch 🚀" 1556813561098000000')).toMatchObject({
      tags: { tagKey: '🍭' },
      fields: { fieldKey: 'Launch 🚀' },
      ms: 1556813561098,
    });
  });

  it('interprets the escaping-backslashes table in a string field value', () => {
    // Backslashes -> interpreted as: \ -> \, \\ -> \, \\\ -> \\, \\\\ -> \\, \\\\\ -> \\\, \\\\\\ -> \\\
    const table: [string, string][] = [
      ['\\', '\\'],
      ['\\\\', '\\'],
      ['\\\\\\', '\\\\'],
      ['\\\\\\\\', '\\\\'],
      ['\\\\\\\\\\', '\\\\\\'],
      ['\\\\\\\\\\\\', '\\\\\\'],
    ];
    for (const [written, meant] of table) expect(one(`m s="a${written}b"`).fields.s).toBe(`a${meant}b`);
  });

  it('ignores the comment example: # This is a comment', () => {
    const r = parse('# This is a comment\nmyMeasurement fieldKey="string value" 1556813561098000000');
    expect(r.errors).toEqual([]);
    expect(r.points.map(view)).toMatchObject([{ measurement: 'myMeasurement', fields: { fieldKey: 'string value' }, line: 2 }]);
  });

  it('decodes the v1 tutorial example: weather,location=us-midwest temperature=82 1465839830100400200', () => {
    expect(one('weather,location=us-midwest temperature=82 1465839830100400200')).toMatchObject({
      measurement: 'weather',
      tags: { location: 'us-midwest' },
      fields: { temperature: 82 },
      ms: 1465839830100,
      subMs: 400200,
    });
  });
});

describe('parseLineProtocol: escaping per element', () => {
  it('unescapes comma and space in a measurement, and keeps \\= there (not special in a measurement)', () => {
    expect(one('cpu\\,01\\ a f=1').measurement).toBe('cpu,01 a');
    expect(one('a\\=b f=1').measurement).toBe('a\\=b');
    expect(one('a=b f=1').measurement).toBe('a=b');
  });

  it('unescapes comma, equals sign and space in tag keys, tag values and field keys', () => {
    const p = one('m,k\\,1\\=x\\ y=v\\,1\\=2\\ 3 f\\,\\=\\ k=1');
    expect(p.tags).toEqual({ 'k,1=x y': 'v,1=2 3' });
    expect(p.fields).toEqual({ 'f,= k': 1 });
  });

  it('keeps a backslash before any other character, and lets \\\\ followed by a special character escape it', () => {
    expect(one('m,k=a\\b f=1').tags).toEqual({ k: 'a\\b' });
    expect(one('m,k=a\\\\,x f=1').tags).toEqual({ k: 'a\\,x' });
    expect(reason('m,k=a\\\\,x=y f=1')).toBe('invalid tag format');
    expect(one('m\\x f=1').measurement).toBe('m\\x');
    // `\ ` always escapes the space, so a name cannot end in a backslash before the separator.
    expect(reason('m\\ f=1')).toBe('missing fields');
  });

  it('keeps commas, spaces, equals signs and newlines inside a string field value', () => {
    const r = parse('m s="a, b = c\nd",n=1 1000000\nm n=2 2000000');
    expect(r.errors).toEqual([]);
    expect(r.points.map(view)).toMatchObject([
      { fields: { s: 'a, b = c\nd', n: 1 }, line: 1, ms: 1 },
      { fields: { n: 2 }, line: 3, ms: 2 },
    ]);
  });

  it('keeps an unknown escape in a string field value literally', () => {
    expect(one('m s="tab\\tnew\\nline"').fields.s).toBe('tab\\tnew\\nline');
  });
});

describe('parseLineProtocol: values', () => {
  it('accepts the float forms InfluxDB accepts (exponents, leading dot, trailing dot, leading zeros)', () => {
    const cases: [string, number][] = [
      ['1.5', 1.5],
      ['-0.25', -0.25],
      ['.5', 0.5],
      ['-.5', -0.5],
      ['1.', 1],
      ['007', 7],
      ['1e3', 1000],
      ['1E3', 1000],
      ['1e+3', 1000],
      ['2.5e-3', 0.0025],
      ['-1.234456e+78', -1.234456e78],
      ['0.1', 0.1],
      ['123456789012345.678', Number('123456789012345.678')],
      ['3.141592653589793238462643383279', Math.PI],
      ['1.7976931348623157e308', Number.MAX_VALUE],
    ];
    for (const [text, value] of cases) expect(one(`m f=${text}`).fields.f, text).toBe(value);
  });

  it('parses floats exactly like Number() on many random decimals', () => {
    let seed = 12345;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    for (let i = 0; i < 2000; i++) {
      const text = `${rnd() < 0.5 ? '-' : ''}${Math.floor(rnd() * 10 ** Math.floor(rnd() * 10))}.${String(Math.floor(rnd() * 1e9)).slice(0, 1 + Math.floor(rnd() * 9))}`;
      expect(one(`m f=${text}`).fields.f, text).toBe(Number(text));
    }
  });

  it('refuses malformed numbers with InfluxDB reasons', () => {
    expect(reason('m f=1.2.3')).toBe('invalid number');
    expect(reason('m f=-')).toBe('invalid number');
    expect(reason('m f=.')).toBe('invalid number');
    expect(reason('m f=NaN')).toBe('invalid number');
    expect(reason('m f=nan')).toBe('invalid number');
    expect(reason('m f=+1')).toBe('invalid number');
    expect(reason('m f=1_000')).toBe('invalid number');
    expect(reason('m f=0x10')).toBe('invalid number');
    expect(reason('m f=1.5i')).toBe('invalid number');
    expect(reason('m f=1e3i')).toBe('invalid number');
    expect(reason('m f=1i5')).toBe('invalid number');
    expect(reason('m f=-1u')).toBe('invalid number');
    expect(reason('m f=1e')).toBe('invalid float');
    expect(reason('m f=1e+')).toBe('invalid float');
    expect(reason('m f=1e400')).toBe('invalid float');
  });

  it('checks the int64 and uint64 ranges at and past their edges', () => {
    expect(one('m f=9223372036854775807i').fields.f).toBe(2 ** 63);
    expect(reason('m f=9223372036854775808i')).toBe('unable to parse integer 9223372036854775808: value out of range');
    expect(one('m f=-9223372036854775808i').fields.f).toBe(-(2 ** 63));
    expect(reason('m f=-9223372036854775809i')).toBe('unable to parse integer -9223372036854775809: value out of range');
    expect(reason('m f=99999999999999999999i')).toMatch(/value out of range$/);
    expect(one('m f=000000000000000000000000001i').fields.f).toBe(1);
    expect(one('m f=18446744073709551615u').fields.f).toBe(2 ** 64);
    expect(reason('m f=18446744073709551616u')).toBe('unable to parse unsigned 18446744073709551616: value out of range');
    expect(one('m f=9007199254740993i').fields.f).toBe(9007199254740992); // rounded to the nearest float64
  });

  it('refuses malformed booleans and unquoted strings', () => {
    expect(reason('m f=tru')).toBe('invalid boolean');
    expect(reason('m f=truE')).toBe('invalid boolean');
    expect(reason('m f=yes')).toBe('invalid boolean');
    expect(reason('m f=abc')).toBe('invalid boolean');
  });

  it('keeps the last value of a duplicate field key, as InfluxDB does', () => {
    const p = one('m a=1,b=2,a="x",b=3i');
    expect(p.fields).toEqual({ a: 'x', b: 3 });
    expect(p.types).toEqual({ a: 'string', b: 'integer' });
  });
});

describe('parseLineProtocol: timestamps and precisions', () => {
  const cases: [Precision, string, number, number][] = [
    ['ns', '1556813561098765432', 1556813561098, 765432],
    ['n', '1556813561098765432', 1556813561098, 765432],
    ['us', '1556813561098765', 1556813561098, 765000],
    ['u', '1556813561098765', 1556813561098, 765000],
    ['ms', '1556813561098', 1556813561098, 0],
    ['s', '1556813561', 1556813561000, 0],
    ['m', '25946892', 25946892 * 60_000, 0],
    ['h', '432448', 432448 * 3_600_000, 0],
  ];
  for (const [precision, ts, ms, sub] of cases) {
    it(`reads ${ts} in precision ${precision} as ${ms} ms + ${sub} ns`, () => {
      expect(one(`m f=1 ${ts}`, precision)).toMatchObject({ ms, subMs: sub, serverTime: false });
    });
  }

  it('floors negative timestamps so that ms + sub-ms is the exact time', () => {
    expect(one('m f=1 -1', 'ns')).toMatchObject({ ms: -1, subMs: 999999 });
    expect(one('m f=1 -1000000', 'ns')).toMatchObject({ ms: -1, subMs: 0 });
    expect(one('m f=1 -1500', 'us')).toMatchObject({ ms: -2, subMs: 500000 });
    expect(one('m f=1 -2', 's')).toMatchObject({ ms: -2000, subMs: 0 });
    expect(one('m f=1 -0', 'ns')).toMatchObject({ ms: 0, subMs: 0 });
  });

  it('checks the time range in every precision, at and past the edge', () => {
    const edges: [Precision, string][] = [
      ['us', '9223372036854775'],
      ['ms', '9223372036854'],
      ['s', '9223372036'],
      ['m', '153722867'],
      ['h', '2562047'],
    ];
    for (const [precision, max] of edges) {
      expect(parse(`m f=1 ${max}`, precision).errors, `${precision} ${max}`).toEqual([]);
      expect(parse(`m f=1 -${max}`, precision).errors).toEqual([]);
      const past = (BigInt(max) + 1n).toString();
      expect(parse(`m f=1 ${past}`, precision).errors[0]?.reason, `${precision} ${past}`).toMatch(/^time outside range/);
    }
  });

  it('reads random timestamps of every precision exactly like BigInt arithmetic (leading zeros, signs, edges)', () => {
    const nsPer: Record<Precision, bigint> = {
      ns: 1n,
      n: 1n,
      us: 1000n,
      u: 1000n,
      ms: 1_000_000n,
      s: 1_000_000_000n,
      m: 60_000_000_000n,
      h: 3_600_000_000_000n,
    };
    const limit = 9223372036854775806n;
    fc.assert(
      fc.property(
        fc.constantFrom<Precision>('ns', 'n', 'us', 'u', 'ms', 's', 'm', 'h'),
        fc.bigInt({ min: 0n, max: 9223372036854775807n }),
        fc.integer({ min: 0, max: 24 }),
        fc.nat({ max: 7 }),
        fc.boolean(),
        (precision, raw, digits, zeros, negative) => {
          const magnitude = digits === 0 ? raw : raw % 10n ** BigInt(digits);
          const text = `${negative ? '-' : ''}${'0'.repeat(zeros)}${magnitude}`;
          const r = parse(`m f=1 ${text}`, precision);
          if (magnitude > limit / nsPer[precision]) {
            expect(r.errors[0]?.reason).toMatch(/^time outside range/);
            return;
          }
          expect(r.errors).toEqual([]);
          const ns = (negative ? -magnitude : magnitude) * nsPer[precision];
          let ms = ns / 1_000_000n;
          if (ns < 0n && ms * 1_000_000n !== ns) ms -= 1n;
          const p = r.points[0];
          expect([p.timestampMs, p.timestampSubMsNanos]).toEqual([Number(ms), Number(ns - ms * 1_000_000n) + 0]);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('uses the server time, truncated to the precision, when a line has no timestamp', () => {
    expect(one('m f=1', 'ns')).toMatchObject({ ms: NOW, subMs: 0, serverTime: true });
    expect(one('m f=1 ', 'ms')).toMatchObject({ ms: NOW, serverTime: true });
    expect(one('m f=1', 's')).toMatchObject({ ms: 1_700_000_000_000 });
    expect(one('m f=1', 'h').ms % 3_600_000).toBe(0);
  });

  it('calls now() once per request, not per line', () => {
    let calls = 0;
    const r = parseLineProtocol('m f=1\nm f=2\nm f=3', { precision: 'ns', now: () => ++calls * 1000 });
    expect(r.points.map((p) => p.timestampMs)).toEqual([1000, 1000, 1000]);
    expect(calls).toBe(1);
  });

  it('refuses bad timestamps and text after the timestamp', () => {
    expect(reason('m f=1 12a')).toBe('bad timestamp');
    expect(reason('m f=1 1.5')).toBe('bad timestamp');
    expect(reason('m f=1 -')).toBe('bad timestamp');
    expect(reason('m f=1 123 456')).toBe('point is invalid');
  });

  it('rejects an unknown precision', () => {
    expect(() => parseLineProtocol('m f=1', { precision: 'x' as Precision, now: () => 0 })).toThrow(RangeError);
  });
});

describe('parseLineProtocol: lines, comments, whitespace, CRLF', () => {
  it('skips blank lines, whitespace-only lines and comments, and counts lines for the points', () => {
    const r = parse('\n# comment\n   \n  # indented comment\nm f=1\n\n\t\nm f=2\n#last');
    expect(r.errors).toEqual([]);
    expect(r.points.map((p) => p.line)).toEqual([5, 8]);
  });

  it('accepts CRLF line endings, including after a timestamp, a field and a comment', () => {
    const r = parse('# c\r\nm,t=a f=1 1000000\r\nm f=2\r\n\r\nm s="x"\r\n');
    expect(r.errors).toEqual([]);
    expect(r.points.map(view)).toMatchObject([
      { tags: { t: 'a' }, fields: { f: 1 }, ms: 1, line: 2 },
      { fields: { f: 2 }, serverTime: true, line: 3 },
      { fields: { s: 'x' }, line: 5 },
    ]);
  });

  it('tolerates leading whitespace, several spaces between sections and trailing spaces', () => {
    expect(one('   m,t=a   f=1   1000000   ')).toMatchObject({ measurement: 'm', tags: { t: 'a' }, fields: { f: 1 }, ms: 1 });
  });

  it('parses a line without a final newline and a file with only comments', () => {
    expect(parse('m f=1').points).toHaveLength(1);
    for (const input of ['# only\n# comments\n', '']) {
      const r = parse(input);
      expect([r.points, r.errors, r.limitExceeded, r.columns.length]).toEqual([[], [], false, 0]);
    }
  });
});

describe('parseLineProtocol: malformed lines', () => {
  const cases: [string, string][] = [
    ['cpu', 'missing fields'],
    ['cpu ', 'missing fields'],
    ['cpu,host=a', 'missing fields'],
    ['cpu,host=a ', 'missing fields'],
    [',host=a f=1', 'missing measurement'],
    ['cpu, f=1', 'missing tag key'],
    ['cpu,=a f=1', 'missing tag key'],
    ['cpu,host f=1', 'missing tag value'],
    ['cpu,host= f=1', 'missing tag value'],
    ['cpu,host=a=b f=1', 'invalid tag format'],
    ['cpu,host=a,host=b f=1', 'duplicate tags'],
    ['cpu value', 'invalid field format'],
    ['cpu a=1,b', 'invalid field format'],
    ['cpu a=1,', 'invalid field format'],
    ['cpu a="x"y', 'invalid field format'],
    ['cpu =1', 'missing field key'],
    ['cpu a=1,=2', 'missing field key'],
    ['cpu a=', 'missing field value'],
    ['cpu a=,b=1', 'missing field value'],
    ['cpu a= 1', 'missing field value'],
    ['cpu a="unterminated', 'unbalanced quotes'],
  ];
  for (const [line, why] of cases) {
    it(`refuses ${JSON.stringify(line)}: ${why}`, () => {
      expect(reason(line)).toBe(why);
    });
  }

  it('names the 1-based line of each bad line in InfluxDB wording, and keeps the good lines', () => {
    const text = ['m f=1', 'bad', '# comment', 'm f=', 'm,t=a f=2 1000000', 'm f=t 1x', ''].join('\n');
    const r = parse(text);
    expect(r.points.map((p) => [p.line, p.fieldValues[0]])).toEqual([
      [1, 1],
      [5, 2],
    ]);
    expect(r.errors).toEqual([
      { line: 2, reason: 'missing fields', message: "unable to parse 'bad': missing fields" },
      { line: 4, reason: 'missing field value', message: "unable to parse 'm f=': missing field value" },
      { line: 6, reason: 'bad timestamp', message: "unable to parse 'm f=t 1x': bad timestamp" },
    ]);
  });

  it('reports the starting line of a multi-line string and counts the lines after it', () => {
    const r = parse('m s="a\nb\nc" x\nm f=1');
    expect(r.errors).toEqual([{ line: 1, reason: 'bad timestamp', message: expect.stringContaining('bad timestamp') }]);
    expect(r.points.map((p) => p.line)).toEqual([4]);
  });

  it('lets an unterminated string swallow the rest of the input, as InfluxDB does', () => {
    const r = parse('m f=1\nm s="open\nm f=2\nm f=3');
    expect(r.points.map((p) => p.line)).toEqual([1]);
    expect(r.errors.map((e) => [e.line, e.reason])).toEqual([[2, 'unbalanced quotes']]);
  });

  it('cuts the quoted line of a long bad line at 256 characters', () => {
    const long = `m ${'x'.repeat(1000)}`;
    const e = parse(long).errors[0];
    expect(e.message).toBe(`unable to parse '${long.slice(0, 256)}…': invalid field format`);
  });

  it('strips the CR of a CRLF line from the message', () => {
    expect(parse('bad\r\nm f=1').errors).toEqual([{ line: 1, reason: 'missing fields', message: "unable to parse 'bad': missing fields" }]);
  });
});

describe('parseLineProtocol: maxLines', () => {
  it('parses exactly maxLines points (comments and blank lines do not count)', () => {
    const r = parse('# c\nm f=1\n\nm f=2\nm f=3', 'ns', 3);
    expect(r.points).toHaveLength(3);
    expect(r.limitExceeded).toBe(false);
  });

  it('stops and flags limitExceeded one line past the limit (bad lines count too)', () => {
    const r = parse('m f=1\nbad\nm f=3\nm f=4', 'ns', 3);
    expect(r.limitExceeded).toBe(true);
    expect(r.points.map((p) => p.line)).toEqual([1, 3]);
    expect(r.errors.map((e) => e.line)).toEqual([2]);
  });
});

describe('parseLineProtocol: the end of the input', () => {
  it('parses random input the same whether or not it ends with a newline (points, errors, line numbers)', () => {
    const piece = fc.constantFrom(
      'm',
      'cpu',
      ',',
      ' ',
      '=',
      '\\',
      '"',
      't',
      'f',
      'x',
      '1',
      '-',
      '.',
      'e',
      'i',
      'u',
      '\r',
      '\n',
      '#',
      'é',
      '12',
      '3.5',
      'true',
      'host=a',
      'v=1',
      ' 1000',
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 24 }), (pieces) => {
        const text = pieces.join('');
        if (text.endsWith('\n')) return;
        const a = parse(text, 'ms');
        const b = parse(`${text}\n`, 'ms');
        expect(a.points).toEqual(b.points);
        // An unterminated string swallows the rest of the input, the added newline included.
        const message = (e: { message: string; reason: string }) =>
          e.reason === 'unbalanced quotes' ? e.message.replace(/\n'/, "'") : e.message;
        expect(a.errors.map((e) => [e.line, e.reason, message(e)])).toEqual(b.errors.map((e) => [e.line, e.reason, message(e)]));
      }),
      { numRuns: 4000 },
    );
  });

  it('reads a body that ends inside a name, a value, an escape or a timestamp as InfluxDB does', () => {
    expect(parse('m,t=a f=1 10', 'ms').points[0].timestampMs).toBe(10);
    expect(parse('m,t=a f=12.5', 'ms').points[0].fieldValues).toEqual([12.5]);
    expect(parse('m,t=a f=7i', 'ms').points[0].fieldValues).toEqual([7]);
    expect(parse('m,t=a f=T', 'ms').points[0].fieldValues).toEqual([1]);
    expect(parse('m,t=a f=', 'ms').errors[0].reason).toBe('missing field value');
    expect(parse('m,t=a f', 'ms').errors[0].reason).toBe('invalid field format');
    expect(parse('m,t=a', 'ms').errors[0].reason).toBe('missing fields');
    expect(parse('m,t=a\\', 'ms').errors[0].reason).toBe('missing fields');
    expect(parse('m f="abc', 'ms').errors[0]).toMatchObject({
      reason: 'unbalanced quotes',
      message: `unable to parse 'm f="abc': unbalanced quotes`,
    });
  });
});

describe('parseLineProtocol: field keys repeated from line to line', () => {
  it('reads every key exactly when lines repeat, change or shorten keys of any length (the key templates)', () => {
    const key = fc
      .tuple(fc.integer({ min: 1, max: 40 }), fc.option(fc.tuple(fc.nat(), fc.constantFrom('x', 'é', '_'))))
      .map(([len, change]) => {
        const k = 'k'.repeat(len);
        if (!change) return k;
        const at = change[0] % len;
        return k.slice(0, at) + change[1] + k.slice(at + 1);
      });
    fc.assert(
      fc.property(fc.array(fc.uniqueArray(key, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 12 }), (lines) => {
        const text = lines.map((keys, i) => `m,t=a ${keys.map((k, f) => `${k}=${i}.${f}`).join(',')} ${i}`).join('\n');
        const r = parse(text, 'ms');
        expect(r.errors).toEqual([]);
        expect(r.points.map((p) => [p.fieldKeys, p.fieldValues])).toEqual(
          lines.map((keys, i) => [keys, keys.map((_, f) => Number(`${i}.${f}`))]),
        );
      }),
      { numRuns: 2000 },
    );
  });
});

describe('parseLineProtocol: output layout', () => {
  it('shares the tag and field-key arrays between consecutive points with the same names', () => {
    const r = parse('m,t=a f=1,g=2 1\nm,t=a f=3,g=4 2\nm,t=b f=5,g=6 3');
    const [a, b, c] = r.points;
    expect(a.tags).toBe(b.tags);
    expect(a.fieldKeys).toBe(b.fieldKeys);
    expect(c.tags).not.toBe(b.tags);
    expect(c.tags).toEqual(['t', 'b']);
    expect([a.fieldValues, b.fieldValues, c.fieldValues]).toEqual([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
  });

  it('gives points with the same series key and field layout one shape, and a new shape when either changes', () => {
    const r = parse('m,t=a f=1,g=2 1\nm,t=b f=3,g=4 2\nm,t=a f=5,g=6 3\nm,t=a f=7 4\nm,t=a f=8i 5\nm,t=a f=9 6');
    const s = r.columns.shapes;
    expect(r.columns.length).toBe(6);
    expect(s[0]).toBe(s[2]);
    expect(s[1]).not.toBe(s[0]);
    expect(s[3]).not.toBe(s[0]);
    expect(s[3].fieldKeys).toEqual(['f']);
    expect(s[4].fieldTypes).toEqual(['integer']);
    expect(s[5]).not.toBe(s[4]);
    expect(s[5].fieldTypes).toEqual(['float']);
    expect(Array.from(r.columns.values.subarray(0, r.columns.valueStart[6]))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(Array.from(r.columns.lines.subarray(0, 6))).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('grows its columns past the first guess (many short lines, and many fields on one line)', () => {
    const short = Array.from({ length: 5000 }, (_, i) => `m v=${i} ${i}`).join('\n');
    const r = parse(short, 'ms');
    expect(r.errors).toEqual([]);
    expect(r.columns.length).toBe(5000);
    expect(r.points[4999]).toMatchObject({ fieldValues: [4999], timestampMs: 4999, line: 5000 });
    const wide = `m ${Array.from({ length: 3000 }, (_, i) => `f${i}=${i}`).join(',')} 1\nm ${Array.from({ length: 3000 }, (_, i) => `f${i}=${-i}`).join(',')} 2`;
    const w = parse(wide, 'ms');
    expect(w.errors).toEqual([]);
    expect(w.points.map((p) => [p.fieldValues.length, p.fieldValues[2999]])).toEqual([
      [3000, 2999],
      [3000, -2999],
    ]);
  });

  it('keeps the values of a bad line out of the columns (the next point starts where the bad line began)', () => {
    const r = parse('m f=1,g=2 1\nm f=3,g=x 2\nm f=4 3', 'ms');
    expect(r.errors.map((e) => e.line)).toEqual([2]);
    expect(r.points.map((p) => p.fieldValues)).toEqual([[1, 2], [4]]);
  });

  it('turns points into columns and back unchanged (string fields included)', () => {
    const r = parse('m,t=a s="x",f=1 1\nm,t=b f=2,s="y\\"z" 2\nm g=true', 'ms');
    expect(r.errors).toEqual([]);
    const again = pointsOf(columnsOf(r.points));
    expect(again).toEqual(r.points);
    expect(again.map(view)).toMatchObject([
      { fields: { s: 'x', f: 1 } },
      { fields: { f: 2, s: 'y"z' } },
      { fields: { g: true }, serverTime: true },
    ]);
  });

  it('gives each point its own values even when parses follow each other', () => {
    const first = parse('m f=1 1').points[0];
    parse('m f=2 2');
    expect(first.fieldValues).toEqual([1]);
    expect(first.tags).toEqual([]);
  });

  it('parses a rope (a string built by concatenation) like a flat string', () => {
    let text = '';
    for (let i = 0; i < 200; i++) text += `m,i=${i} f=${i}i ${i}000000\n`;
    const r = parse(text);
    expect(r.points).toHaveLength(200);
    expect(r.points[199]).toMatchObject({ tags: ['i', '199'], fieldValues: [199], timestampMs: 199 });
  });
});

describe('parseLineProtocol: bytes input and UTF-8', () => {
  it('parses the UTF-8 bytes of a body exactly like the text', () => {
    const text = 'm,t=é\\ x f=1.5,s="Launch 🚀" 1556813561098000000\n# c\nm f=2i\n';
    const fromBytes = parseLineProtocol(new TextEncoder().encode(text), { precision: 'ns', now: () => NOW });
    expect(fromBytes).toEqual(parse(text));
    expect(fromBytes.points[0].tags).toEqual(['t', 'é x']);
  });

  it('refuses a line whose names or string values are not valid UTF-8, and keeps the others', () => {
    const enc = new TextEncoder();
    const bad = (s: string, at: number) => {
      const b = enc.encode(s);
      const out = new Uint8Array(b.length + 1);
      out.set(b.subarray(0, at));
      out[at] = 0xff;
      out.set(b.subarray(at), at + 1);
      return out;
    };
    for (const [line, at] of [
      ['mm f=1', 1],
      ['m,tt=v f=1', 3],
      ['m,t=vv f=1', 5],
      ['m ff=1', 3],
      ['m s="xx"', 5],
    ] as const) {
      const body = new Uint8Array([...enc.encode('ok f=1\n'), ...bad(line, at), ...enc.encode('\nok f=2')]);
      const r = parseLineProtocol(body, { precision: 'ns', now: () => NOW });
      expect(
        r.errors.map((e) => [e.line, e.reason]),
        line,
      ).toEqual([[2, 'invalid UTF-8']]);
      expect(r.errors[0].message).toContain('\ufffd');
      expect(r.points.map((p) => p.fieldValues[0])).toEqual([1, 2]);
    }
  });

  it('finds a duplicate field key after keys that repeated the previous line', () => {
    const r = parse('m a=1,b=2 1\nm a=3,a=4,b=5 2');
    expect(r.points.map(view).map((p) => p.fields)).toEqual([
      { a: 1, b: 2 },
      { a: 4, b: 5 },
    ]);
  });

  it('interns many distinct names correctly (no mix-up between names with equal length and ends)', () => {
    const lines: string[] = [];
    for (let i = 0; i < 3000; i++) lines.push(`m,host=srv-${String(i).padStart(4, '0')}-x,k${i % 7}=v f${i % 5}=${i} ${i}`);
    const r = parse(lines.join('\n'), 'ms');
    expect(r.errors).toEqual([]);
    r.points.forEach((p, i) => {
      expect(p.tags).toEqual(['host', `srv-${String(i).padStart(4, '0')}-x`, `k${i % 7}`, 'v']);
      expect(p.fieldKeys).toEqual([`f${i % 5}`]);
      expect(p.fieldValues).toEqual([i]);
    });
  });
});

describe('parseLineProtocol: caches never change a result', () => {
  it('gives every line of a batch the result it gets alone (random lines over a hostile alphabet)', () => {
    let seed = 987654321;
    const rnd = (k: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % k;
    };
    const pick = (xs: string[]) => xs[rnd(xs.length)];
    const names = ['m', 'cpu', 'a\\ b', 'a\\,b', 'a\\=b', 'x\\', 'é', 'k', 'kk', 'host', 'ho st', 'a=b', '"q"', ''];
    const values = ['1', '1.5', '-2i', '3u', 't', 'FALSE', '"s"', '"a\\"b"', '1e3', 'x', '', '1.2.3', '9223372036854775808i'];
    const lines: string[] = [];
    for (let i = 0; i < 3000; i++) {
      let line = pick(names);
      for (let t = rnd(3); t > 0; t--) line += `,${pick(names)}=${pick(names)}`;
      line += rnd(10) === 0 ? '  ' : ' ';
      const fields = 1 + rnd(4);
      for (let f = 0; f < fields; f++) line += `${f ? ',' : ''}${pick(names)}=${pick(values)}`;
      if (rnd(3) > 0) line += ` ${pick(['1000000', '-5', '12a', '99999999999999999999', '0'])}`;
      lines.push(line);
    }
    const batch = parse(lines.join('\n'));
    const byLine = new Map<number, unknown>();
    for (const p of batch.points) byLine.set(p.line, view(p));
    for (const e of batch.errors) byLine.set(e.line, e.reason);
    let points = 0;
    lines.forEach((line, i) => {
      const alone = parse(line);
      const expected = alone.points.length ? { ...view(alone.points[0]), line: i + 1 } : alone.errors[0]?.reason;
      expect(byLine.get(i + 1), line).toEqual(expected);
      points += alone.points.length;
    });
    expect(points).toBe(batch.points.length);
    expect(points).toBeGreaterThan(300); // the generator makes enough good lines for the check to mean something
  });

  it('does not cache a series key whose line was refused for its tags', () => {
    const r = parse('m,t=a,t=b f=1\nm,t=a,t=b f=2\nm,t=a f=3');
    expect(r.errors.map((e) => [e.line, e.reason])).toEqual([
      [1, 'duplicate tags'],
      [2, 'duplicate tags'],
    ]);
    expect(r.points.map(view)).toMatchObject([{ tags: { t: 'a' }, fields: { f: 3 } }]);
  });

  it('reuses field keys with escapes, and tells apart keys that are prefixes of each other', () => {
    const r = parse('m a\\ b=1,ab=2 1\nm a\\ b=3,ab=4 2\nm a=5,abc=6 3\nm ab=7,a=8 4');
    expect(r.errors).toEqual([]);
    expect(r.points.map((p) => view(p).fields)).toEqual([
      { 'a b': 1, ab: 2 },
      { 'a b': 3, ab: 4 },
      { a: 5, abc: 6 },
      { ab: 7, a: 8 },
    ]);
  });
});

describe('parseLineProtocol: number fast path edges', () => {
  // The inline fast path takes `[-]digits[.digits]` and `[-]digits i` up to 15 digits; everything else
  // goes through the full grammar. Each form, at each kind of value end, gives the same result.
  const cases: [string, number | string, string?][] = [
    ['1.', 1, 'float'],
    ['.5', 0.5, 'float'],
    ['-0', -0, 'float'],
    ['-.5', -0.5, 'float'],
    ['007.50', 7.5, 'float'],
    ['123456789012345', 123456789012345, 'float'],
    ['1234567890123456', 1234567890123456, 'float'],
    ['0.1234567890123456789', 0.12345678901234568, 'float'],
    ['0.000000000000001', 1e-15, 'float'],
    ['123456789.123456', 123456789.123456, 'float'],
    ['00000000000000000001', 1, 'float'],
    ['1.5e3', 1500, 'float'],
    ['-0i', -0, 'integer'],
    ['-12i', -12, 'integer'],
    ['123456789012345i', 123456789012345, 'integer'],
    ['1234567890123456i', 1234567890123456, 'integer'],
    ['1u', 1, 'unsigned'],
    ['.', 'invalid number'],
    ['-', 'invalid number'],
    ['-.', 'invalid number'],
    ['1.i', 'invalid number'],
    ['.5i', 'invalid number'],
    ['1.2.3', 'invalid number'],
    ['1..2', 'invalid number'],
    ['--1', 'invalid number'],
    ['-1-', 'invalid number'],
    ['1i2', 'invalid number'],
    ['1ii', 'invalid number'],
    ['-1u', 'invalid number'],
    ['+1', 'invalid number'],
    ['1.5x', 'invalid number'],
    ['1e', 'invalid float'],
  ];
  it.each(cases)('m f=%s', (value, expected, type) => {
    for (const end of ['', ' 1000', ',g=1', '\n', '\r\n']) {
      const line = `m f=${value}${end}`;
      if (typeof expected === 'string') {
        const r = parse(line, 'ms');
        expect(r.points, JSON.stringify(line)).toEqual([]);
        expect(
          r.errors.map((e) => e.reason),
          JSON.stringify(line),
        ).toEqual([expected]);
      } else {
        const p = one(line, 'ms');
        expect(Object.is(p.fields.f, expected), `${JSON.stringify(line)} -> ${String(p.fields.f)}`).toBe(true);
        expect(p.types.f).toBe(type);
      }
    }
  });
});

describe('parseLineProtocol: series key cache', () => {
  it('keeps apart 600 series keys of one length that differ only in their middle bytes', () => {
    const lines: string[] = [];
    for (let i = 0; i < 3000; i++) {
      lines.push(`cpu,host=server-${String(i % 100).padStart(2, '0')},region=us-west-${i % 3},cpu=cpu${i % 8} v=${i} ${i}`);
    }
    const r = parse(lines.join('\n'), 'ms');
    expect(r.errors).toEqual([]);
    expect(r.points).toHaveLength(3000);
    r.points.forEach((p, i) => {
      expect(pointTags(p)).toEqual({ host: `server-${String(i % 100).padStart(2, '0')}`, region: `us-west-${i % 3}`, cpu: `cpu${i % 8}` });
      expect(p.fieldValues[0]).toBe(i);
    });
    // Points of one series key share one tag array (what pointsToSeries relies on to build labels once).
    expect(r.points[600].tags).toBe(r.points[0].tags);
  });
});
