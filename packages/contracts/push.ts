/**
 * The push API's contract (`/_push/*` on the edge, docs/push.md): what a client sends and what
 * the edge answers. The edge's handlers check their answers against these types (`satisfies`),
 * and the `pushpull` client (cli/) reads them through the same types.
 */

/** One pushed file: the content's hash and how it is served. */
export interface FileEntry {
  sha256: string;
  size: number;
  contentType: string;
  cacheControl?: string;
  /** Unix ms after which the file is no longer served. */
  expiresAt?: number;
  /** Unix ms when this path last got this content (served as Last-Modified). */
  modifiedAt: number;
}

/** One manifest entry as the client sends it: a file entry before it gets its `modifiedAt`. */
export type ManifestEntry = Omit<FileEntry, 'modifiedAt'>;

/** The body of `POST /_push/deploys`: every path of the site → its entry. */
export type Manifest = Record<string, ManifestEntry>;

/** `site` for `POST /_push/deploys`, `file` for a deploy derived from a single-file PUT/DELETE. */
export type DeployKind = 'site' | 'file';

/** `POST /_push/deploys` (201): the new deploy, the hashes the edge does not have, the upload limits. */
export interface CreatedDeploy {
  id: string;
  files: number;
  bytes: number;
  /** Content hashes to upload before the deploy can be activated. */
  missing: string[];
  limits: { maxBodyBytes: number; partBytes: number; maxBlobBytes: number };
}

/** A deploy's listing entry. */
export interface DeploySummary {
  id: string;
  createdAt: number;
  kind: DeployKind;
  files: number;
  bytes: number;
}

/** One activation: which deploy became active, when (Unix ms). */
export interface ActivationRecord {
  deployId: string;
  activatedAt: number;
}

/** A deploy as `GET /_push/deploys` lists it. */
export interface ListedDeploy extends DeploySummary {
  status: 'active' | 'inactive' | 'pending';
  activatedAt: number | null;
}

/** `GET /_push/deploys`: the active deploy, recent activations (newest first), every deploy. */
export interface DeployList {
  active: string | null;
  history: ActivationRecord[];
  deploys: ListedDeploy[];
}

/** `POST /_push/deploys/:id/activate`. */
export interface ActivatedDeploy {
  active: string;
  previous: string | null;
  activatedAt: number;
  files: number;
}

/** A pushed file as `GET /_push/files` and `GET /_push/files/<path>` list it. */
export interface PushedFile extends FileEntry {
  path: string;
  expired: boolean;
}

/** `GET /_push/files`: one page of the active deploy's files. */
export interface FileList {
  deployId: string | null;
  files: PushedFile[];
  /** Pass as `cursor` for the next page; null on the last one. */
  cursor: string | null;
}

/** `POST /_push/uploads`: a multipart upload started, or the content is already stored. */
export type StartedUpload =
  { exists: true; sha256: string; size: number } | { exists: false; uploadId: string; sha256: string; size: number; partBytes: number };

/** `PUT /_push/uploads/:id/parts/:n`. */
export interface UploadedPart {
  partNumber: number;
  etag: string;
}
