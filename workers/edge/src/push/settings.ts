/**
 * The push store's settings: routing and its explicit limits, as a schema read through the one
 * settings reader (@pushpull/http/settings; docs/push.md, "Settings", is generated from it).
 * Pure: takes the env's vars, returns values, so it is unit-tested directly.
 */
import { custom, integer, settingsSchema } from '@pushpull/http/settings';
import { parseRoutes } from './routes';

const doc = 'docs/push.md';
const MiB = 1024 * 1024;

/** R2's smallest multipart part (every part but the last). */
const MIN_PART_BYTES = 5 * MiB;

/** The push store's settings schema. */
export const pushSettingsSchema = settingsSchema({
  routes: custom('ROUTES', '{}', {
    accepts: 'a JSON object of path prefix to "push" | "pull" | "hybrid"',
    parse: parseRoutes,
    doc,
    meaning: 'path prefix → `push` / `pull` / `hybrid` (JSON; longest prefix wins); unmatched paths are `hybrid`',
  }),
  maxPathBytes: integer('PUSH_MAX_PATH_BYTES', 1024, { min: 2, doc, meaning: 'longest path (UTF-8 bytes, leading `/` included)' }),
  maxNameBytes: integer('PUSH_MAX_NAME_BYTES', 255, { min: 1, doc, meaning: 'longest single name (path segment), in UTF-8 bytes' }),
  maxBodyBytes: integer('PUSH_MAX_BODY_BYTES', 95 * MiB, {
    min: 1,
    doc,
    meaning: 'largest single-request upload (file PUT, blob PUT, one part), 95 MiB; Cloudflare refuses request bodies over 100 MB',
  }),
  partBytes: integer('PUSH_PART_BYTES', 16 * MiB, {
    min: MIN_PART_BYTES,
    doc,
    meaning: 'multipart part size the client uses (16 MiB; R2 needs 5 MiB); larger files go through multipart',
  }),
  maxBlobBytes: integer('PUSH_MAX_BLOB_BYTES', 5 * 1024 * MiB, { min: 1, doc, meaning: 'largest file (5 GiB), multipart included' }),
  maxFiles: integer('PUSH_MAX_FILES', 20_000, { min: 1, doc, meaning: 'most paths in one deploy' }),
  maxManifestBytes: integer('PUSH_MAX_MANIFEST_BYTES', 8 * MiB, { min: 2, doc, meaning: 'largest manifest body, in bytes' }),
  maxHeaderBytes: integer('PUSH_MAX_HEADER_BYTES', 1024, { min: 1, doc, meaning: 'longest stored `Content-Type` / `Cache-Control`' }),
  keepDeploys: integer('KEEP_DEPLOYS', 10, { min: 1, doc, meaning: 'newest deploys kept (with their content) for rollback' }),
  pendingDeploySeconds: integer('PUSH_PENDING_DEPLOY_SECONDS', 86_400, {
    min: 0,
    doc,
    meaning: 'seconds a created, never-activated deploy (and an abandoned upload) is kept',
  }),
  gcGraceSeconds: integer('PUSH_GC_GRACE_SECONDS', 3_600, {
    min: 0,
    doc,
    meaning: 'seconds: content younger than this is never collected',
  }),
});

/** The push store's settings (bytes, counts, seconds; the route table). */
export type PushSettings = ReturnType<typeof pushSettingsSchema.read>;

/** The limits the push API's validators take. */
export type PushLimits = Omit<PushSettings, 'routes'>;

/** Reads the settings from the env's vars (once per env object); a malformed var throws a SettingError naming it. */
export function pushSettings(vars: object): PushSettings {
  return pushSettingsSchema.read(vars);
}

/** The defaults (what an env without push vars reads). */
export const DEFAULT_LIMITS: PushLimits = pushSettings({});
