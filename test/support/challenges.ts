/**
 * The checks every authenticated endpoint of every Worker must pass (RFC 9110 §15.5.2: a 401
 * carries WWW-Authenticate; RFC 6750 §3: a Bearer challenge names an error only for a wrong
 * Bearer token; issue 16: a wrong scheme is answered as such, never as "missing").
 */
import { expect } from 'vitest';

/** An answer as the test clients return it. */
export interface Refusal {
  status: number;
  headers: Headers;
  text: string;
}

/** What an endpoint's refusals must say. */
export interface ExpectedChallenges {
  /** WWW-Authenticate without credentials, or with credentials of another scheme. */
  challenge: string;
  /** WWW-Authenticate for a wrong token in an accepted scheme. */
  invalid: string;
  /** An Authorization value of a scheme the endpoint does not accept, and that scheme's name. */
  otherScheme: { authorization: string; scheme: string };
  /** An Authorization value in an accepted scheme with a wrong token. */
  wrongToken: string;
}

const messageOf = (answer: Refusal): string => {
  const body = JSON.parse(answer.text) as { message?: unknown };
  return typeof body.message === 'string' ? body.message : '';
};

/** Sends the three refusals through `send` (which adds `headers` to the endpoint's request) and checks each. */
export async function expectRefusals(
  label: string,
  send: (headers: Record<string, string>) => Promise<Refusal>,
  want: ExpectedChallenges,
): Promise<void> {
  const none = await send({});
  expect(none.status, `${label} without credentials`).toBe(401);
  expect(none.headers.get('www-authenticate'), `${label} without credentials`).toBe(want.challenge);
  expect(messageOf(none), label).toMatch(/missing|no token/);

  const other = await send({ authorization: want.otherScheme.authorization });
  expect(other.status, `${label} with ${want.otherScheme.scheme}`).toBe(401);
  expect(other.headers.get('www-authenticate'), `${label} with ${want.otherScheme.scheme}`).toBe(want.challenge);
  expect(messageOf(other), label).toContain(`scheme "${want.otherScheme.scheme}" is not accepted`);
  expect(messageOf(other), label).not.toMatch(/missing/);

  const wrong = await send({ authorization: want.wrongToken });
  expect(wrong.status, `${label} with a wrong token`).toBe(401);
  expect(wrong.headers.get('www-authenticate'), `${label} with a wrong token`).toBe(want.invalid);
}

/** The challenges of an endpoint that takes `Bearer <token>` only. */
export const BEARER_ONLY: ExpectedChallenges = {
  challenge: 'Bearer realm="pushpull"',
  invalid: 'Bearer realm="pushpull", error="invalid_token"',
  otherScheme: { authorization: 'Basic dXNlcjpwYXNz', scheme: 'Basic' },
  wrongToken: 'Bearer not-the-token',
};
