/**
 * Time-ordered 64-bit ids (Twitter's Snowflake layout): 41 bits of milliseconds since
 * {@link SNOWFLAKE_EPOCH_MS}, 10 bits of generator (isolate) id, 12 bits of sequence.
 * Built with BigInt and always sent as decimal strings: they exceed 2^53, so a JS number
 * would silently round them.
 */

/** 2020-01-01T00:00:00Z: 41 bits of milliseconds from here last until 2089. */
export const SNOWFLAKE_EPOCH_MS = 1_577_836_800_000n;
/** The largest id SQLite can store (signed 64-bit). */
export const MAX_ID = (1n << 63n) - 1n;

const TIME_SHIFT = 22n;
const GENERATOR_SHIFT = 12n;
const SEQUENCE_MASK = 0xfffn;

/** Generates strictly increasing ids for one isolate. */
export class SnowflakeGenerator {
  readonly #generator: bigint;
  #lastMs = -1n;
  #sequence = 0n;

  /** @param generatorId 0..1023, distinguishes isolates that mint ids in the same millisecond. */
  constructor(generatorId: number) {
    if (!Number.isInteger(generatorId) || generatorId < 0 || generatorId > 1023) {
      throw new RangeError(`generator id must be 0..1023, got ${generatorId}`);
    }
    this.#generator = BigInt(generatorId);
  }

  /** The next id for wall-clock time `nowMs`; stays monotonic if the clock stalls or steps back. */
  next(nowMs: number): string {
    let ms = BigInt(Math.floor(nowMs)) - SNOWFLAKE_EPOCH_MS;
    if (ms < 0n) throw new RangeError('clock is before the Snowflake epoch');
    if (ms <= this.#lastMs) {
      ms = this.#lastMs;
      this.#sequence = (this.#sequence + 1n) & SEQUENCE_MASK;
      // 4096 ids in one millisecond: borrow the next millisecond rather than repeat an id.
      if (this.#sequence === 0n) ms += 1n;
    } else {
      this.#sequence = 0n;
    }
    this.#lastMs = ms;
    return ((ms << TIME_SHIFT) | (this.#generator << GENERATOR_SHIFT) | this.#sequence).toString();
  }
}

/** The millisecond timestamp an id was minted at. */
export function snowflakeTime(id: string | bigint): number {
  const value = typeof id === 'bigint' ? id : BigInt(id);
  return Number((value >> TIME_SHIFT) + SNOWFLAKE_EPOCH_MS);
}

/** Parses a decimal id string (1..MAX_ID); undefined when it is not one. */
export function parseId(text: string | undefined | null): bigint | undefined {
  if (text === undefined || text === null || !/^[0-9]{1,19}$/.test(text)) return undefined;
  const value = BigInt(text);
  return value >= 1n && value <= MAX_ID ? value : undefined;
}
