// The metrics Worker as its tests call it (in workerd): requests with the test token, instant queries.
import { env, exports } from 'cloudflare:workers';

/** The token the test config sets. */
export const TOKEN = 'test-token';

/** A metric name no other test uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${crypto.randomUUID().replace(/-/g, '').slice(0, 10)}`;
}

/** One request through the metrics Worker (its default export, in workerd). */
export async function call(
  path: string,
  init?: RequestInit,
): Promise<{ status: number; headers: Headers; text: string; json: () => unknown }> {
  const res = await exports.default.fetch(new Request(`http://metrics.test${path}`, init));
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: () => JSON.parse(text) as unknown };
}

/** Authorization header for the test token in a scheme. */
export function auth(scheme: 'Bearer' | 'Token' = 'Bearer'): Record<string, string> {
  return { authorization: `${scheme} ${TOKEN}` };
}

/** A Prometheus instant query's result array. */
export async function instant(query: string, timeSeconds?: number): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const params = new URLSearchParams({ query });
  if (timeSeconds !== undefined) params.set('time', String(timeSeconds));
  const r = await call(`/api/v1/query?${params.toString()}`);
  if (r.status !== 200) throw new Error(`query ${query} failed: ${r.status} ${r.text}`);
  const body = r.json() as { data: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] } };
  return body.data.result;
}

/** `pending`, or an error naming `what` once `budgetMs` passed without an answer (the fuzz tests' hang check). */
export async function withinBudget<T>(what: string, budgetMs: number, pending: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${budgetMs} ms`)), budgetMs);
  });
  try {
    return await Promise.race([pending, late]);
  } finally {
    clearTimeout(timer);
  }
}

export { env };
