import type { Context, ErrorHandler, NotFoundHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { SettingError } from './settings';

/**
 * An expected failure with a machine-readable code. Thrown by handlers and turned into
 * `{"error": code, "message": ...}` by {@link jsonErrorHandler}; anything else is a logged 500.
 */
export class ApiError extends HTTPException {
  readonly code: string;
  readonly details: Record<string, unknown> | undefined;
  /** Fields the error response carries (a 401's `WWW-Authenticate`, a 405's `Allow`). */
  readonly headers: Readonly<Record<string, string>>;
  constructor(
    status: ContentfulStatusCode,
    code: string,
    message: string,
    details?: Record<string, unknown>,
    headers: Readonly<Record<string, string>> = {},
  ) {
    super(status, { message });
    this.code = code;
    this.details = details;
    this.headers = headers;
  }
}

/** The JSON body every pushpull error has. */
export function errorBody(code: string, message: string, details?: Record<string, unknown>): Record<string, unknown> {
  return { error: code, message, ...details };
}

/**
 * `app.onError`: typed errors become their JSON response; a malformed wrangler var is a logged
 * 500 `misconfigured` naming the var (the operator's mistake, not the client's); other errors
 * are logged and become 500 `internal`.
 */
export const jsonErrorHandler: ErrorHandler = (err, c) => {
  if (err instanceof SettingError) {
    console.error('misconfigured Worker:', err.message);
    return c.json(errorBody('misconfigured', err.message, { setting: err.setting }), 500);
  }
  if (err instanceof ApiError) {
    return c.json(errorBody(err.code, err.message, err.details), err.status, { ...err.headers });
  }
  if (err instanceof HTTPException) {
    return c.json(errorBody(codeForStatus(err.status), err.message || 'request failed'), err.status);
  }
  console.error('unhandled error', err);
  return c.json(errorBody('internal', 'internal error'), 500);
};

/** `app.notFound` for the API paths a Worker owns. */
export const jsonNotFound: NotFoundHandler = (c: Context) =>
  c.json(errorBody('not_found', `no route for ${c.req.method} ${new URL(c.req.url).pathname}`), 404);

function codeForStatus(status: number): string {
  switch (status) {
    case 400:
      return 'bad_request';
    case 401:
      return 'unauthorized';
    case 403:
      return 'forbidden';
    case 404:
      return 'not_found';
    case 405:
      return 'method_not_allowed';
    case 413:
      return 'payload_too_large';
    case 429:
      return 'too_many_requests';
    default:
      return status >= 500 ? 'internal' : 'error';
  }
}
