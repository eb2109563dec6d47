/**
 * Single flight: concurrent requests for one key share one upstream exchange (a miss or a
 * validation) instead of each going upstream.
 */

/** One upstream exchange and when its result is in the cache (until then, late arrivals join it). */
export interface Flight<T> {
  value: T;
  settled: Promise<unknown>;
}

/** An upstream exchange in flight, as the requests that join it see it. */
interface InFlight<T> {
  done: boolean;
  flight?: Flight<T>;
}

/** The exchanges in flight in one isolate, by key. */
export type FlightTable = Map<string, InFlight<unknown>>;

/** An empty table (one per isolate). */
export function newFlightTable(): FlightTable {
  return new Map();
}

/** What a shared exchange needs of the request that starts or joins it. */
interface FlightOptions {
  flights: FlightTable;
  waitUntil: (p: Promise<unknown>) => void;
  /** How long a joiner waits for the leader before it goes alone (ms of its own timers). */
  maxWaitMs: number;
}

/**
 * Runs `run` once for concurrent callers with the same key. A caller that arrives while it
 * is in flight gets its result if `shareable` says it may, else null (it must go alone).
 *
 * Joiners wait on timers of their own request, never on a promise that the leading request
 * fulfils: a request left with nothing of its own pending is cancelled by workerd as hung
 * ("The Workers runtime canceled this request because it detected that your Worker's code had
 * hung"), and a promise fulfilled from another request does not count. Their patience is
 * counted in those timers' delays, not read from a clock: it is a wait, not a freshness decision.
 */
export async function singleFlight<T>(
  flightKey: string,
  options: FlightOptions,
  run: () => Promise<Flight<T>>,
  shareable: (value: T) => boolean,
): Promise<{ value: T; collapsed: boolean } | null> {
  const { flights } = options;
  const existing = flights.get(flightKey) as InFlight<T> | undefined;
  if (existing) {
    let waited = 0;
    let delay = 1;
    while (!existing.done) {
      if (waited > options.maxWaitMs) return null;
      await new Promise<void>((resolve) => setTimeout(resolve, delay));
      waited += delay;
      delay = Math.min(delay * 2, 16);
    }
    if (!existing.flight) return null;
    const { value } = existing.flight;
    return shareable(value) ? { value, collapsed: true } : null;
  }
  const record: InFlight<T> = { done: false };
  flights.set(flightKey, record);
  const flight = run();
  void flight.then(
    (f) => {
      record.flight = f;
      record.done = true;
    },
    () => {
      record.done = true;
    },
  );
  options.waitUntil(
    flight
      .then((f) => f.settled)
      .catch(() => undefined)
      .finally(() => {
        if (flights.get(flightKey) === record) flights.delete(flightKey);
      }),
  );
  return { value: (await flight).value, collapsed: false };
}
