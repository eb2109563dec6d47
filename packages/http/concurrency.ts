/**
 * Bounded concurrency for fan-outs of subrequests (Workers allow 6 simultaneous outbound
 * connections per invocation; Durable Object calls are bounded to spread load).
 */

/**
 * Runs `fn` over `items` with at most `limit` in flight; resolves with the results in input order.
 * After a failure no new item is started; the calls in flight finish, then it rejects with the
 * first failure.
 */
export async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (next < items.length && failure === undefined) {
      const k = next++;
      try {
        out[k] = await fn(items[k], k);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failure !== undefined) throw failure.error;
  return out;
}

/** Runs `task` over `items` with at most `concurrency` in flight; never rejects. */
export function settleWithConcurrency<T, R>(
  items: readonly T[],
  concurrency: number,
  task: (item: T) => Promise<R>,
): Promise<PromiseSettledResult<R>[]> {
  return mapLimited(items, concurrency, async (item): Promise<PromiseSettledResult<R>> => {
    try {
      return { status: 'fulfilled', value: await task(item) };
    } catch (reason) {
      return { status: 'rejected', reason };
    }
  });
}
