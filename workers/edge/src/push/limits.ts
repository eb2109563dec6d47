/**
 * The push store's explicit limits and settings, read from wrangler vars (docs/push.md,
 * "Settings"). Pure: takes the env's string vars, returns numbers, so it is unit-tested directly.
 */

/** The string vars this module reads (a subset of the generated `Env`). */
export interface PushVars {
  PUSH_MAX_PATH_BYTES?: string;
  PUSH_MAX_NAME_BYTES?: string;
  PUSH_MAX_BODY_BYTES?: string;
  PUSH_MAX_BLOB_BYTES?: string;
  PUSH_PART_BYTES?: string;
  PUSH_MAX_FILES?: string;
  PUSH_MAX_MANIFEST_BYTES?: string;
  PUSH_MAX_HEADER_BYTES?: string;
  KEEP_DEPLOYS?: string;
  PUSH_PENDING_DEPLOY_SECONDS?: string;
  PUSH_GC_GRACE_SECONDS?: string;
}

/** Parsed limits (bytes, counts, seconds). */
export interface PushLimits {
  /** Longest accepted path, in UTF-8 bytes. */
  maxPathBytes: number;
  /** Longest accepted path segment (file or directory name), in UTF-8 bytes. */
  maxNameBytes: number;
  /** Largest request body accepted by single-file and blob PUTs; larger blobs use multipart. */
  maxBodyBytes: number;
  /** Largest blob at all (multipart included). */
  maxBlobBytes: number;
  /** Part size the client should use for multipart uploads (R2: at least 5 MiB except the last). */
  partBytes: number;
  /** Most paths in one deploy manifest. */
  maxFiles: number;
  /** Largest manifest request body. */
  maxManifestBytes: number;
  /** Longest Content-Type or Cache-Control value stored with a file. */
  maxHeaderBytes: number;
  /** How many most recent deploys are kept (with their blobs) for rollback. */
  keepDeploys: number;
  /** How long a created, never-activated deploy is kept (and protects its blobs), in seconds. */
  pendingDeploySeconds: number;
  /** A blob younger than this is never collected, in seconds. */
  gcGraceSeconds: number;
}

/** Defaults, the same as workers/edge/wrangler.toml's vars. */
export const DEFAULT_LIMITS: PushLimits = {
  maxPathBytes: 1024,
  maxNameBytes: 255,
  maxBodyBytes: 95 * 1024 * 1024,
  maxBlobBytes: 5 * 1024 * 1024 * 1024,
  partBytes: 16 * 1024 * 1024,
  maxFiles: 20_000,
  maxManifestBytes: 8 * 1024 * 1024,
  maxHeaderBytes: 1024,
  keepDeploys: 10,
  pendingDeploySeconds: 86_400,
  gcGraceSeconds: 3_600,
};

/** R2's smallest multipart part (every part but the last). */
export const MIN_PART_BYTES = 5 * 1024 * 1024;

function intVar(name: string, raw: string | undefined, fallback: number, min: number): number {
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < min) throw new Error(`${name} must be an integer >= ${min}, got ${JSON.stringify(raw)}`);
  return n;
}

/** Reads the limits from the env's vars; a malformed var throws an Error naming it. */
export function pushLimits(vars: PushVars): PushLimits {
  const d = DEFAULT_LIMITS;
  return {
    maxPathBytes: intVar('PUSH_MAX_PATH_BYTES', vars.PUSH_MAX_PATH_BYTES, d.maxPathBytes, 2),
    maxNameBytes: intVar('PUSH_MAX_NAME_BYTES', vars.PUSH_MAX_NAME_BYTES, d.maxNameBytes, 1),
    maxBodyBytes: intVar('PUSH_MAX_BODY_BYTES', vars.PUSH_MAX_BODY_BYTES, d.maxBodyBytes, 1),
    maxBlobBytes: intVar('PUSH_MAX_BLOB_BYTES', vars.PUSH_MAX_BLOB_BYTES, d.maxBlobBytes, 1),
    partBytes: intVar('PUSH_PART_BYTES', vars.PUSH_PART_BYTES, d.partBytes, MIN_PART_BYTES),
    maxFiles: intVar('PUSH_MAX_FILES', vars.PUSH_MAX_FILES, d.maxFiles, 1),
    maxManifestBytes: intVar('PUSH_MAX_MANIFEST_BYTES', vars.PUSH_MAX_MANIFEST_BYTES, d.maxManifestBytes, 2),
    maxHeaderBytes: intVar('PUSH_MAX_HEADER_BYTES', vars.PUSH_MAX_HEADER_BYTES, d.maxHeaderBytes, 1),
    keepDeploys: intVar('KEEP_DEPLOYS', vars.KEEP_DEPLOYS, d.keepDeploys, 1),
    pendingDeploySeconds: intVar('PUSH_PENDING_DEPLOY_SECONDS', vars.PUSH_PENDING_DEPLOY_SECONDS, d.pendingDeploySeconds, 0),
    gcGraceSeconds: intVar('PUSH_GC_GRACE_SECONDS', vars.PUSH_GC_GRACE_SECONDS, d.gcGraceSeconds, 0),
  };
}
