import { describe, expect, it } from 'vitest';
import {
  ExpositionError,
  belongsToFamily,
  familyOf,
  parseExposition,
  parseGoFloat,
  unescapeLabelValue,
  type ParsedExposition,
} from './exposition';

/** The example from the Prometheus exposition-format docs ("Text format example"), minus the negative timestamp line. */
const DOCS_EXAMPLE = `# HELP http_requests_total The total number of HTTP requests.
# TYPE http_requests_total counter
http_requests_total{method="post",code="200"} 1027 1395066363000
http_requests_total{method="post",code="400"}    3 1395066363000

# Escaping in label values:
msdos_file_access_time_seconds{path="C:\\\\DIR\\\\FILE.TXT",error="Cannot find file:\\n\\"FILE.TXT\\""} 1.458255915e9

# Minimalistic line:
metric_without_timestamp_and_labels 12.47

# A histogram, which has a pretty complex representation in the text format:
# HELP http_request_duration_seconds A histogram of the request duration.
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{le="0.05"} 24054
http_request_duration_seconds_bucket{le="0.1"} 33444
http_request_duration_seconds_bucket{le="0.2"} 100392
http_request_duration_seconds_bucket{le="0.5"} 129389
http_request_duration_seconds_bucket{le="1"} 133988
http_request_duration_seconds_bucket{le="+Inf"} 144320
http_request_duration_seconds_sum 53423
http_request_duration_seconds_count 144320

# Finally a summary, which has a complex representation, too:
# HELP rpc_duration_seconds A summary of the RPC duration in seconds.
# TYPE rpc_duration_seconds summary
rpc_duration_seconds{quantile="0.01"} 3102
rpc_duration_seconds{quantile="0.05"} 3272
rpc_duration_seconds{quantile="0.5"} 4773
rpc_duration_seconds{quantile="0.9"} 9001
rpc_duration_seconds{quantile="0.99"} 76656
rpc_duration_seconds_sum 1.7560473e+07
rpc_duration_seconds_count 2693
`;

/** The OpenMetrics 1.0 spec's examples (counter with _created and exemplar, histogram, info, stateset, unit). */
const OM_EXAMPLE = `# TYPE acme_http_router_request_seconds summary
# UNIT acme_http_router_request_seconds seconds
# HELP acme_http_router_request_seconds Latency though all of ACME's HTTP request router.
acme_http_router_request_seconds_sum{path="/api/v1",method="GET"} 9036.32
acme_http_router_request_seconds_count{path="/api/v1",method="GET"} 807283.0
acme_http_router_request_seconds_created{path="/api/v1",method="GET"} 1605281325.0
# TYPE foo counter
# HELP foo A counter with an "exemplar" \\n and escapes.
foo_total 17.0 1520879607.789 # {trace_id="KOO5S4vxi0o"} 0.67 1520879602.1
foo_created 1520430000.123
# TYPE bar histogram
bar_bucket{le="0.01"} 0
bar_bucket{le="0.1"} 8 # {} 0.054
bar_bucket{le="+Inf"} 17 # {trace_id="oHg5SJYRHA0"} 9.8 1520879607.789
bar_count 17
bar_sum 324789.3
bar_created 1520430000.123
# TYPE build info
build_info{version="1.2.3"} 1
# TYPE my_state stateset
my_state{my_state="a"} 1
my_state{my_state="b"} 0
# TYPE weird gauge
weird{a="b"} NaN
weird{a="c"} -Inf
# EOF
`;

function family(r: ParsedExposition, name: string) {
  const f = r.families.find((x) => x.name === name);
  if (f === undefined) throw new Error(`no family ${name}`);
  return f;
}

function errorOf(text: string, format: 'text' | 'openmetrics'): ExpositionError {
  try {
    parseExposition(text, { format });
  } catch (e) {
    if (e instanceof ExpositionError) return e;
    throw e;
  }
  throw new Error(`parsed without error: ${JSON.stringify(text)}`);
}

describe('parseExposition, text 0.0.4', () => {
  it('parses the exposition-format docs example into families with types, help and samples', () => {
    const r = parseExposition(DOCS_EXAMPLE, { format: 'text', defaultTimestampMs: 42 });
    expect(r.samples).toBe(19);
    const reqs = family(r, 'http_requests_total');
    expect(reqs.type).toBe('counter');
    expect(reqs.help).toBe('The total number of HTTP requests.');
    expect(reqs.samples.map((s) => [s.labels, s.value, s.timestampMs, s.hasTimestamp])).toEqual([
      [['method', 'post', 'code', '200'], 1027, 1395066363000, true],
      [['method', 'post', 'code', '400'], 3, 1395066363000, true],
    ]);
    const msdos = family(r, 'msdos_file_access_time_seconds');
    expect(msdos.type).toBe('unknown');
    expect(msdos.declared).toBe(false);
    expect(msdos.samples[0].labels).toEqual(['path', 'C:\\DIR\\FILE.TXT', 'error', 'Cannot find file:\n"FILE.TXT"']);
    expect(msdos.samples[0].value).toBe(1.458255915e9);
    expect(family(r, 'metric_without_timestamp_and_labels').samples[0]).toMatchObject({
      value: 12.47,
      timestampMs: 42,
      hasTimestamp: false,
    });
    const hist = family(r, 'http_request_duration_seconds');
    expect(hist.type).toBe('histogram');
    expect(hist.samples.map((s) => s.name)).toEqual([
      ...Array(6).fill('http_request_duration_seconds_bucket'),
      'http_request_duration_seconds_sum',
      'http_request_duration_seconds_count',
    ]);
    expect(hist.samples[5].labels).toEqual(['le', '+Inf']);
    const summary = family(r, 'rpc_duration_seconds');
    expect(summary.type).toBe('summary');
    expect(summary.samples).toHaveLength(7);
    expect(summary.samples[5].value).toBe(17560473);
  });

  it('accepts what promlex accepts: leading/trailing blanks, tabs, no final newline, free commas, comments', () => {
    const r = parseExposition('  \t\n# just a comment\n#no space comment\n# TYPE x gauge\n\tx { a = "1" , b="2" , } \t 3 \t 17 \t\ny{} 4', {
      format: 'text',
    });
    expect(r.samples).toBe(2);
    expect(family(r, 'x').samples[0]).toMatchObject({ labels: ['a', '1', 'b', '2'], value: 3, timestampMs: 17 });
    expect(family(r, 'y').samples[0].value).toBe(4);
  });

  it('reads NaN, ±Inf and Go float syntax, and untyped as unknown', () => {
    const r = parseExposition('# TYPE a untyped\na NaN\nb +Inf\nc -inf\nd Infinity\ne 1E+3\nf .5\ng 5.\nh -0\n', { format: 'text' });
    const v = r.families.map((f) => f.samples[0].value);
    expect(Number.isNaN(v[0])).toBe(true);
    expect(v.slice(1)).toEqual([Infinity, -Infinity, Infinity, 1000, 0.5, 5, -0]);
    expect(family(r, 'a').type).toBe('unknown');
  });

  it('unescapes HELP with \\\\ and \\n only, keeping other sequences', () => {
    const r = parseExposition('# HELP m a\\\\b\\nc\\"d\\te\nm 1\n', { format: 'text' });
    expect(family(r, 'm').help).toBe('a\\b\nc\\"d\\te');
  });

  it.each([
    ['foo{a="1",a="2"} 1', 'label name "a" is not unique'],
    ['foo{__name__="bar"} 1', 'label name "__name__" is not unique'],
    ['foo 1 -3982045', 'expected timestamp or new record'],
    ['foo 1 1 1', 'expected next entry after timestamp'],
    ['foo 0x10', 'strconv.ParseFloat: parsing "0x10": invalid syntax'],
    ['foo 1_000', 'invalid syntax'],
    ['foo 1e400', 'value out of range'],
    ['foo +NaN', 'invalid syntax'],
    ['foo{a=1} 1', 'expected label value'],
    ['foo{a="1} 1', 'expected label value'],
    ['foo{1a="1"} 1', 'expected label name'],
    ['foo{a} 1', 'expected equal'],
    ['foo', 'expected value after metric'],
    ['{a="b"} 1', 'metric name not set'],
    ['foo{"bar"} 1', 'metric name already set'],
    ['# TYPE foo bar', 'invalid metric type "bar"'],
    ['# TYPE foo  counter', 'invalid metric type " counter"'],
    ['# HELP 9foo x', 'expected metric name after HELP'],
    ['9foo 1', 'expected a valid start token'],
    ['foo 1 99999999999999999999', 'value out of range'],
  ])('refuses %j like Prometheus (%s)', (text, message) => {
    expect(errorOf(text, 'text').message).toContain(message);
  });

  it('reports the line of the error', () => {
    const e = errorOf('a 1\nb 2\n\nc{x="1" 3\n', 'text');
    expect(e.line).toBe(4);
    expect(e.code).toBe('syntax');
  });

  it('stops once the sample limit is passed', () => {
    expect(parseExposition('a 1\nb 2\n', { format: 'text', sampleLimit: 2 }).samples).toBe(2);
    const e = (() => {
      try {
        parseExposition('a 1\nb 2\nc 3\n', { format: 'text', sampleLimit: 2 });
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    expect(e).toBeInstanceOf(ExpositionError);
    expect((e as ExpositionError).code).toBe('sample_limit');
  });

  it('accepts UTF-8 quoted metric names inside the braces', () => {
    const r = parseExposition('{"my.metric",a="b"} 1\n', { format: 'text' });
    expect(r.families[0].samples[0]).toMatchObject({ name: 'my.metric', labels: ['a', 'b'] });
  });
});

describe("parseExposition, text 0.0.4 with metadataOnce (the Pushgateway's parser)", () => {
  const refusal = (page: string): string | undefined => {
    try {
      parseExposition(page, { format: 'text', metadataOnce: true });
      return undefined;
    } catch (e) {
      if (e instanceof ExpositionError) return e.message;
      throw e;
    }
  };
  const TYPE_TWICE = (name: string) => `second TYPE line for metric name "${name}", or TYPE reported after samples`;

  // Each case as the real Pushgateway 1.5 answered it (test/wire-peers/pushgateway-text.test.ts checks them against it).
  it('refuses a second TYPE or HELP line for a family, and a TYPE after its samples', () => {
    expect(refusal('# TYPE a counter\n# TYPE a gauge\na 1\n')).toBe(`line 2: ${TYPE_TWICE('a')}`);
    expect(refusal('# TYPE a gauge\n# TYPE a gauge\na 1\n')).toBe(`line 2: ${TYPE_TWICE('a')}`);
    expect(refusal('a 1\n# TYPE a gauge\n')).toBe(`line 2: ${TYPE_TWICE('a')}`);
    expect(refusal('# HELP a x\na 1\n# TYPE a gauge\n')).toBe(`line 3: ${TYPE_TWICE('a')}`);
    expect(refusal('# HELP a x\n# HELP a y\na 1\n')).toBe('line 2: second HELP line for metric name "a"');
    expect(refusal('# HELP a x\n# TYPE b gauge\n# HELP a y\n')).toBe('line 3: second HELP line for metric name "a"');
    expect(refusal('# TYPE a untyped\n# TYPE a untyped\n')).toBe(`line 2: ${TYPE_TWICE('a')}`);
  });

  it('folds _sum, _count (and _bucket) into a declared summary (histogram), as expfmt does', () => {
    expect(refusal('# TYPE a summary\n# TYPE a_count gauge\n')).toBe(`line 2: ${TYPE_TWICE('a')}`);
    expect(refusal('# TYPE h histogram\n# TYPE h_bucket counter\n')).toBe(`line 2: ${TYPE_TWICE('h')}`);
    expect(refusal('# TYPE a histogram\na_bucket{le="+Inf"} 1\na_sum 1\na_count 1\n# TYPE a_count gauge\na_count 3\n')).toBe(
      `line 5: ${TYPE_TWICE('a')}`,
    );
    expect(refusal('# TYPE a gauge\n# TYPE a_count gauge\n')).toBeUndefined();
    expect(refusal('a_count 1\n# TYPE a summary\n')).toBeUndefined();
    expect(refusal('# TYPE s summary\ns_sum 1\ns_count 1\n# HELP s_sum x\n')).toBeUndefined();
  });

  it('accepts what the Pushgateway accepts: HELP after samples, a family split by another, plain comments', () => {
    expect(refusal('a 1\n# HELP a x\n')).toBeUndefined();
    expect(refusal('# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\na{x="1"} 2\n')).toBeUndefined();
    expect(refusal('# type a gauge\n# TYPE a counter\na 1\n')).toBeUndefined();
    expect(refusal('# TYPE a_total counter\na_total 1\n# TYPE a counter\n')).toBeUndefined();
    expect(refusal(DOCS_EXAMPLE)).toBeUndefined();
    // A scrape (without metadataOnce) accepts all of these, as Prometheus's promparse does.
    expect(parseExposition('# TYPE a counter\n# TYPE a gauge\na 1\n', { format: 'text' }).samples).toBe(1);
  });
});

describe('parseExposition, OpenMetrics 1.0', () => {
  it('parses the spec examples: UNIT, _created, exemplars, info, stateset, seconds timestamps', () => {
    const r = parseExposition(OM_EXAMPLE, { format: 'openmetrics' });
    expect(r.samples).toBe(16);
    const summary = family(r, 'acme_http_router_request_seconds');
    expect(summary).toMatchObject({ type: 'summary', unit: 'seconds', help: "Latency though all of ACME's HTTP request router." });
    expect(summary.samples.map((s) => s.name)).toEqual([
      'acme_http_router_request_seconds_sum',
      'acme_http_router_request_seconds_count',
      'acme_http_router_request_seconds_created',
    ]);
    const foo = family(r, 'foo');
    expect(foo.help).toBe('A counter with an "exemplar" \n and escapes.');
    expect(foo.samples[0]).toMatchObject({ name: 'foo_total', value: 17, timestampMs: 1520879607789, hasTimestamp: true });
    expect(foo.samples[1]).toMatchObject({ name: 'foo_created', value: 1520430000.123 });
    expect(family(r, 'bar').samples).toHaveLength(6);
    expect(family(r, 'build').type).toBe('info');
    expect(family(r, 'build').samples[0].name).toBe('build_info');
    expect(family(r, 'my_state').samples).toHaveLength(2);
    const weird = family(r, 'weird').samples.map((s) => s.value);
    expect(Number.isNaN(weird[0])).toBe(true);
    expect(weird[1]).toBe(-Infinity);
  });

  it('accepts # EOF without a final newline', () => {
    expect(parseExposition('a 1\n# EOF', { format: 'openmetrics' }).samples).toBe(1);
  });

  it.each([
    ['a 1\n', 'data does not end with # EOF'],
    ['a 1', 'data does not end with # EOF'],
    ['a 1\n# EOF\n\n', 'unexpected data after # EOF'],
    ['a 1\n# EOF\nb 2\n', 'unexpected data after # EOF'],
    ['\na 1\n# EOF\n', 'expected a valid start token'],
    ['# a comment\n# EOF\n', 'expected a valid start token'],
    ['a  1\n# EOF\n', 'expected value after metric'],
    ['a\t1\n# EOF\n', 'expected value after metric'],
    ['a{b="1" ,c="2"} 1\n# EOF\n', 'expected comma or brace close'],
    ['a{b="1"c="2"} 1\n# EOF\n', 'expected comma or brace close'],
    ['# TYPE a untyped\n# EOF\n', 'invalid metric type "untyped"'],
    ['# UNIT a_bytes seconds\n# EOF\n', 'unit "seconds" not a suffix of metric "a_bytes"'],
    ['a 1 NaN\n# EOF\n', 'invalid timestamp'],
    ['a 1 x\n# EOF\n', 'invalid syntax'],
    ['a 1 # {x="y"}\n# EOF\n', 'expected value after exemplar labels'],
    ['a{b="x\ny"} 1\n# EOF\n', 'expected label value'],
  ])('refuses %j like Prometheus (%s)', (text, message) => {
    expect(errorOf(text, 'openmetrics').message).toContain(message);
  });

  it('truncates fractional-second timestamps to milliseconds', () => {
    const r = parseExposition('a 1 1.0015\n# EOF\n', { format: 'openmetrics' });
    expect(r.families[0].samples[0].timestampMs).toBe(1001);
  });
});

describe('family helpers', () => {
  it('attaches suffixed samples to their family as Prometheus does', () => {
    expect(belongsToFamily('x_bucket', 'x', 'histogram')).toBe(true);
    expect(belongsToFamily('x_bucket', 'x', 'summary')).toBe(false);
    expect(belongsToFamily('x_total', 'x_total', 'counter')).toBe(true);
    expect(belongsToFamily('x_created', 'x', 'counter')).toBe(true);
    expect(belongsToFamily('xy', 'x', 'gauge')).toBe(false);
    expect(familyOf('x_count', 'summary')).toBe('x');
    expect(familyOf('x_total', 'counter')).toBe('x');
    expect(familyOf('x_total', 'gauge')).toBe('x_total');
  });

  it('starts an implicit family for a sample that does not fit the last TYPE, which stays current', () => {
    const r = parseExposition('# TYPE a counter\na_total 1\nb 2\na_total{x="1"} 3\n# TYPE c gauge\na_total 4\n', { format: 'text' });
    expect(r.families.map((f) => [f.name, f.type, f.samples.length])).toEqual([
      ['a', 'counter', 2],
      ['b', 'unknown', 1],
      ['c', 'gauge', 0],
      ['a_total', 'unknown', 1],
    ]);
  });

  it('unescapes label values and parses Go floats', () => {
    expect(unescapeLabelValue('a\\\\n\\"\\t')).toBe('a\\n"\\t');
    expect(parseGoFloat('1e-3')).toBe(0.001);
    expect(parseGoFloat('1e')).toBeUndefined();
    expect(parseGoFloat('')).toBeUndefined();
  });
});
