import type { Context, MiddlewareHandler } from 'hono';
import { ApiError } from '@pushpull/http/errors';
import { invalidToken, requirePresentedToken, type TokenAuth } from '@pushpull/http/auth';
import type { RebuildMessage } from './messages';
import { type PageWindow, parsePageWindow } from './page-window';
import { type FeedSettings, readSettings } from './settings';
import { parseId, SnowflakeGenerator } from './snowflake';
import { findUserByTokenHash, type UserRow } from './store';
import { hashToken } from './tokens';

/** Hono environment of the feed Worker. */
export interface FeedEnv {
  Bindings: Env;
  Variables: { settings: FeedSettings; viewer: UserRow };
}

/** Context of a feed handler. */
export type FeedContext = Context<FeedEnv>;

let generator: SnowflakeGenerator | undefined;

/**
 * Ids minted by this isolate; 10 random generator bits keep concurrent isolates apart.
 * Created on first use: Workers forbid random values in global scope.
 */
export const ids = {
  next(nowMs: number): string {
    generator ??= new SnowflakeGenerator(crypto.getRandomValues(new Uint16Array(1))[0] & 0x3ff);
    return generator.next(nowMs);
  },
};

/** An authenticated request refreshes `last_active_at` at most this often. */
const ACTIVITY_TOUCH_MS = 60 * 60 * 1000;

const DAY_MS = 24 * 60 * 60 * 1000;

/** Middleware: parses the settings once per request into `c.var.settings`. */
export const loadSettings: MiddlewareHandler<FeedEnv> = async function loadSettings(c, next) {
  c.set('settings', readSettings(c.env));
  await next();
};

/** The `:id` path parameter as a validated id string (400 otherwise). */
export function pathId(c: FeedContext, name: string): string {
  const raw = c.req.param(name);
  const id = parseId(raw);
  if (id === undefined) throw new ApiError(400, 'invalid_id', `${name} must be a decimal id`, { param: name });
  return id.toString();
}

/** The request's page window (`limit`, `max_id`, `since_id`, `min_id`; PAGE_LIMIT_DEFAULT / PAGE_LIMIT_MAX). */
export function requestPageWindow(c: FeedContext): PageWindow {
  const { pageLimitDefault, pageLimitMax } = c.var.settings;
  return parsePageWindow(new URL(c.req.url).searchParams, { defaultLimit: pageLimitDefault, maxLimit: pageLimitMax });
}

/** The owner of `:id` after {@link authenticateOwner}. */
export interface AuthenticatedOwner {
  viewer: UserRow;
  /** True when this request brought the user back after ACTIVE_DAYS of inactivity. */
  returning: boolean;
}

/** A user's own endpoints take that user's token as a Bearer token. */
const USER_TOKEN: TokenAuth = { hint: 'Bearer <your user token>' };

/**
 * The request must carry the token of the user named by `:id` (`Authorization: Bearer
 * <token>`): 401 without a valid token, 403 with another user's. A user returning after
 * ACTIVE_DAYS of inactivity gets their timelines rebuilt. Sets `c.var.viewer`.
 */
export async function authenticateOwner(c: FeedContext): Promise<AuthenticatedOwner> {
  const id = pathId(c, 'id');
  const token = requirePresentedToken(c.req.header('authorization'), USER_TOKEN);
  const viewer = await findUserByTokenHash(c.env.DB, await hashToken(token));
  if (!viewer) throw invalidToken(USER_TOKEN);
  if (viewer.id !== id) throw new ApiError(403, 'forbidden', 'this token belongs to another user');
  const returning = await touchActivity(c.env, c.var.settings, viewer, Date.now());
  c.set('viewer', viewer);
  return { viewer, returning };
}

/** Middleware form of {@link authenticateOwner}. */
export const requireOwner: MiddlewareHandler<FeedEnv> = async function requireOwner(c, next) {
  await authenticateOwner(c);
  await next();
};

/** The oldest `last_active_at` that still counts as active (gets fan-out writes) at `nowMs`. */
export function activeSince(nowMs: number, settings: FeedSettings): number {
  return nowMs - settings.activeDays * DAY_MS;
}

/**
 * Records activity. On the transition inactive -> active the inbox is marked rebuilding
 * *before* the user becomes eligible for fan-out again, then a rebuild is enqueued
 * (Mastodon's FeedManager regenerates the home feed of a returning user).
 */
async function touchActivity(env: Env, settings: FeedSettings, viewer: UserRow, nowMs: number): Promise<boolean> {
  if (nowMs - viewer.last_active_at < ACTIVITY_TOUCH_MS) return false;
  const returning = viewer.last_active_at < activeSince(nowMs, settings);
  if (returning) await env.INBOX.getByName(viewer.id).markRebuilding();
  await env.DB.prepare('UPDATE users SET last_active_at = ? WHERE id = ?').bind(nowMs, viewer.id).run();
  if (returning) {
    const message: RebuildMessage = { kind: 'rebuild', userId: viewer.id };
    await env.FANOUT_QUEUE.send(message);
  }
  return returning;
}

/** Reads a JSON object body of at most `maxBytes` (413 beyond, 400 when not a JSON object). */
export async function readJsonObject(c: FeedContext, maxBytes: number): Promise<Record<string, unknown>> {
  const declared = Number(c.req.header('content-length') ?? '0');
  if (declared > maxBytes) throw tooLarge(maxBytes);
  const bytes = new Uint8Array(await c.req.arrayBuffer());
  if (bytes.byteLength > maxBytes) throw tooLarge(maxBytes);
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes));
  } catch {
    throw new ApiError(400, 'invalid_json', 'the request body must be a JSON object');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ApiError(400, 'invalid_json', 'the request body must be a JSON object');
  }
  return parsed as Record<string, unknown>;
}

function tooLarge(maxBytes: number): ApiError {
  return new ApiError(413, 'payload_too_large', `the request body exceeds ${maxBytes} bytes`, { limit: maxBytes });
}
