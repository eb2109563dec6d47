import { describe, expect, it } from 'vitest';
import { custom, decimal, httpUrl, integer, SettingError, settingsSchema } from './settings';

const doc = 'docs/example.md';
const schema = settingsSchema(
  {
    limit: integer('LIMIT', 10, { min: 1, doc, meaning: 'most things' }),
    small: integer('SMALL', 3, { min: 0, max: 5, doc, meaning: 'a bounded count' }),
    days: decimal('DAYS', 1.5, { above: 0, doc, meaning: 'days kept' }),
    origin: httpUrl('ORIGIN', 'http://127.0.0.1:8080', { doc, meaning: 'where' }),
    link: httpUrl('LINK', 'http://127.0.0.1:8788', { doc, meaning: 'linked to (empty: no link)', orEmpty: true }),
    modes: custom('MODES', 'a,b', {
      accepts: 'a comma-separated list of a and b',
      doc,
      meaning: 'which modes',
      parse: (text) =>
        text.split(',').map((m) => {
          if (m !== 'a' && m !== 'b') throw new Error(`unknown mode ${JSON.stringify(m)}`);
          return m;
        }),
    }),
  },
  (v) => (v.small > v.limit ? { setting: 'SMALL', problem: 'must not exceed LIMIT' } : undefined),
);

function refusal(env: object): SettingError {
  try {
    schema.read(env);
  } catch (e) {
    if (e instanceof SettingError) return e;
    throw e;
  }
  throw new Error('the settings were accepted');
}

describe('settingsSchema', () => {
  it('gives every absent var its default', () => {
    expect(schema.read({})).toEqual({
      limit: 10,
      small: 3,
      days: 1.5,
      origin: 'http://127.0.0.1:8080',
      link: 'http://127.0.0.1:8788',
      modes: ['a', 'b'],
    });
  });

  it('reads every var that is set, and TOML numbers as their text', () => {
    expect(schema.read({ LIMIT: '7', SMALL: 5, DAYS: '0.25', ORIGIN: 'https://o.example/base', LINK: '', MODES: 'b' })).toEqual({
      limit: 7,
      small: 5,
      days: 0.25,
      origin: 'https://o.example/base',
      link: '',
      modes: ['b'],
    });
  });

  it('accepts an integer at its bounds and refuses one past them, naming the var, the rule and the value', () => {
    expect(schema.read({ SMALL: '0' }).small).toBe(0);
    expect(schema.read({ LIMIT: '1', SMALL: '1' }).limit).toBe(1);
    expect(refusal({ LIMIT: '0' }).message).toBe('wrangler var LIMIT must be an integer >= 1, got "0"');
    expect(refusal({ SMALL: '6' }).message).toBe('wrangler var SMALL must be an integer from 0 to 5, got "6"');
    expect(refusal({ SMALL: '-1' }).setting).toBe('SMALL');
  });

  it('refuses what is not a number at all instead of falling back to the default', () => {
    for (const bad of ['', 'ten', '1.5', '1e3', ' 10', '0x10', '9007199254740993']) {
      expect(refusal({ LIMIT: bad }).message).toBe(`wrangler var LIMIT must be an integer >= 1, got ${JSON.stringify(bad)}`);
    }
    for (const bad of ['0', '-1', 'x', '', '1.']) expect(refusal({ DAYS: bad }).setting).toBe('DAYS');
    expect(refusal({ LIMIT: true }).message).toBe('wrangler var LIMIT must be a string, got boolean');
  });

  it("refuses a URL that is not http(s) and a custom value its parser refuses, with the parser's reason", () => {
    expect(refusal({ ORIGIN: 'ftp://x' }).setting).toBe('ORIGIN');
    expect(refusal({ ORIGIN: '127.0.0.1:8080' }).setting).toBe('ORIGIN');
    expect(refusal({ ORIGIN: '' }).message).toBe('wrangler var ORIGIN must be an absolute http:// or https:// URL, got ""');
    expect(refusal({ LINK: 'localhost:8788' }).message).toBe(
      'wrangler var LINK must be an absolute http:// or https:// URL, or empty, got "localhost:8788"',
    );
    expect(refusal({ MODES: 'a,c' }).message).toBe(
      'wrangler var MODES must be a comma-separated list of a and b, got "a,c" (unknown mode "c")',
    );
  });

  it('checks rules across vars after each var parsed', () => {
    expect(refusal({ LIMIT: '2' }).message).toBe('wrangler var SMALL must not exceed LIMIT');
  });

  it('reads one env object once', () => {
    const env = { LIMIT: '4' };
    expect(schema.read(env)).toBe(schema.read(env));
  });

  it('lists its specs with their default text for the docs', () => {
    expect(schema.specs.map((s) => [s.name, s.defaultText])).toEqual([
      ['LIMIT', '10'],
      ['SMALL', '3'],
      ['DAYS', '1.5'],
      ['ORIGIN', 'http://127.0.0.1:8080'],
      ['LINK', 'http://127.0.0.1:8788'],
      ['MODES', 'a,b'],
    ]);
  });
});
