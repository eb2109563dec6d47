/**
 * The one settings reader of every Worker: a schema of wrangler vars (name, parser, default,
 * bounds, one-line meaning, the doc that explains it) and one policy.
 *
 * The policy: a var that is absent takes its default; any other value must parse, or reading
 * the settings throws a {@link SettingError} naming the var, what it must be and what it was.
 * A deployed Worker with a typo fails loudly: the HTTP handlers answer 500
 * `{"error":"misconfigured","message":"wrangler var ... must be ..."}` and log it (see
 * `jsonErrorHandler`), RPC calls, crons, alarms and queue batches throw it (the runtime logs it
 * and retries where it retries). It never falls back to a default: a typo in a limit would
 * otherwise silently mean the default, which may be far from what the operator meant.
 *
 * The schemas live beside each Worker (`workers/<name>/src/settings.ts`); the tables of the
 * docs are generated from them and a test checks every wrangler config's `[vars]` against them.
 */

/** One setting: a wrangler var, how its text is read, and what it means. */
export interface SettingSpec<T> {
  /** The wrangler var. */
  readonly name: string;
  /** The default, as it is written in wrangler.toml and in the docs. */
  readonly defaultText: string;
  /** What a value must be, as a phrase: "an integer >= 1", "a JSON object". */
  readonly accepts: string;
  /** One line for the docs' settings table. */
  readonly meaning: string;
  /** The doc that explains it (`docs/<part>.md`), where its row of the settings table is generated. */
  readonly doc: string;
  /** Reads the var's text; throws an Error (its message says what is wrong) when the text is not a value. */
  readonly parse: (text: string) => T;
}

/** What every builder takes besides the var's name and default. */
export interface SettingInfo {
  meaning: string;
  doc: string;
}

/** A var that is set but cannot be used. `setting` is the var's name. */
export class SettingError extends Error {
  override readonly name = 'SettingError';
  constructor(
    readonly setting: string,
    message: string,
  ) {
    super(message);
  }
}

/** A number setting: its text must match `syntax` and the number pass `inRange`, or it is refused as `accepts`. */
function numberSpec(
  name: string,
  fallback: number,
  info: SettingInfo,
  accepts: string,
  syntax: RegExp,
  inRange: (n: number) => boolean,
): SettingSpec<number> {
  return {
    name,
    defaultText: String(fallback),
    accepts,
    meaning: info.meaning,
    doc: info.doc,
    parse: (text) => {
      const n = syntax.test(text) ? Number(text) : NaN;
      if (!inRange(n)) throw new Error(accepts);
      return n;
    },
  };
}

/** A whole number in [min, max] (max: the largest safe integer unless given). */
export function integer(name: string, fallback: number, info: SettingInfo & { min: number; max?: number }): SettingSpec<number> {
  const max = info.max ?? Number.MAX_SAFE_INTEGER;
  const accepts = info.max === undefined ? `an integer >= ${info.min}` : `an integer from ${info.min} to ${max}`;
  return numberSpec(name, fallback, info, accepts, /^-?[0-9]+$/, (n) => Number.isSafeInteger(n) && n >= info.min && n <= max);
}

/** A decimal number above `above` (a fraction is allowed: `0.5`). */
export function decimal(name: string, fallback: number, info: SettingInfo & { above: number }): SettingSpec<number> {
  return numberSpec(name, fallback, info, `a number > ${info.above}`, /^[0-9]+(?:\.[0-9]+)?$/, (n) => Number.isFinite(n) && n > info.above);
}

/** An absolute http(s) URL; with `orEmpty`, the empty text too (a feature switched off, e.g. no link). */
export function httpUrl(name: string, fallback: string, info: SettingInfo & { orEmpty?: boolean }): SettingSpec<string> {
  const orEmpty = info.orEmpty === true;
  const accepts = `an absolute http:// or https:// URL${orEmpty ? ', or empty' : ''}`;
  return {
    name,
    defaultText: fallback,
    accepts,
    meaning: info.meaning,
    doc: info.doc,
    parse: (text) => {
      if (orEmpty && text === '') return text;
      let protocol = '';
      try {
        protocol = new URL(text).protocol;
      } catch {
        // not a URL at all
      }
      if (protocol !== 'http:' && protocol !== 'https:') throw new Error(accepts);
      return text;
    },
  };
}

/**
 * A value with its own syntax: `parse` throws an Error whose message says what is wrong
 * (the reader's message names the var, `accepts`, the value, and that reason).
 */
export function custom<T>(
  name: string,
  defaultText: string,
  info: SettingInfo & { accepts: string; parse: (text: string) => T },
): SettingSpec<T> {
  return { name, defaultText, accepts: info.accepts, meaning: info.meaning, doc: info.doc, parse: info.parse };
}

type SpecMap = Record<string, SettingSpec<unknown>>;

/** The settings a schema reads: one typed value per key. */
export type SettingsOf<S extends SpecMap> = { readonly [K in keyof S]: S[K] extends SettingSpec<infer T> ? T : never };

/** A Worker's settings schema and its reader. */
export interface SettingsSchema<S extends SpecMap> {
  /** Every setting, in the order of the docs' table. */
  readonly specs: readonly SettingSpec<unknown>[];
  /** Reads and checks the settings from a Worker's env (once per env object); throws {@link SettingError}. */
  read(env: object): SettingsOf<S>;
}

/**
 * Declares a Worker's settings. `check` sees the parsed values and returns a problem that
 * involves several vars (it names them), or undefined.
 */
export function settingsSchema<S extends SpecMap>(
  specs: S,
  check?: (values: SettingsOf<S>) => { setting: string; problem: string } | undefined,
): SettingsSchema<S> {
  const memo = new WeakMap<object, SettingsOf<S>>();
  const list = Object.values(specs);
  const read = (env: object): SettingsOf<S> => {
    const vars = env as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const [key, spec] of Object.entries(specs)) out[key] = readOne(spec, vars[spec.name]);
    const values = out as SettingsOf<S>;
    const problem = check?.(values);
    if (problem !== undefined) throw new SettingError(problem.setting, `wrangler var ${problem.setting} ${problem.problem}`);
    return values;
  };
  return {
    specs: list,
    read(env) {
      let values = memo.get(env);
      if (values === undefined) {
        values = read(env);
        memo.set(env, values);
      }
      return values;
    },
  };
}

function readOne<T>(spec: SettingSpec<T>, raw: unknown): T {
  if (raw === undefined) return spec.parse(spec.defaultText);
  // wrangler.toml may hold a TOML number (`X = 5`); the var is that number's text then.
  const text = typeof raw === 'string' ? raw : typeof raw === 'number' ? String(raw) : undefined;
  if (text === undefined) throw new SettingError(spec.name, `wrangler var ${spec.name} must be a string, got ${typeof raw}`);
  try {
    return spec.parse(text);
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    const why = reason === spec.accepts ? '' : ` (${reason})`;
    throw new SettingError(spec.name, `wrangler var ${spec.name} must be ${spec.accepts}, got ${JSON.stringify(text)}${why}`);
  }
}
