/**
 * Garbage collection (issue 3: "storage no longer referenced by any file or kept deploy is
 * collected, never while still referenced"). Kept: the active deploy, the `KEEP_DEPLOYS`
 * newest deploys, the deploys in the activation history among those, and every created but
 * not yet activated deploy younger than `PUSH_PENDING_DEPLOY_SECONDS`. A blob is deleted only
 * when no remaining deploy names it, it is older than `PUSH_GC_GRACE_SECONDS` (an upload
 * whose deploy is being created is never taken), and it is still unreferenced after the
 * deploy list is read a second time, just before the delete.
 */
import type { PushLimits } from './limits';
import { BLOB_PREFIX, deleteDeploy, getDeploy, listDeploys, listObjects, readActive, STAGING_PREFIX, type PushEnv } from './store';

/** What one collection did. */
export interface GcReport {
  deploysKept: number;
  deploysDeleted: string[];
  blobsKept: number;
  blobsDeleted: number;
  bytesFreed: number;
  stagingDeleted: number;
}

/** Ids of the deploys to keep, given the listing (newest first), the active id and activation history. */
export function deploysToKeep(
  deploys: ReadonlyArray<{ id: string; createdAt: number }>,
  activeId: string | null,
  activated: ReadonlySet<string>,
  limits: Pick<PushLimits, 'keepDeploys' | 'pendingDeploySeconds'>,
  now: number,
): Set<string> {
  const keep = new Set<string>();
  if (activeId) keep.add(activeId);
  for (const d of deploys.slice(0, limits.keepDeploys)) keep.add(d.id);
  for (const d of deploys) {
    const pending = !activated.has(d.id);
    if (pending && now - d.createdAt < limits.pendingDeploySeconds * 1000) keep.add(d.id);
  }
  return keep;
}

async function referencedBlobs(env: PushEnv, ids: Iterable<string>): Promise<Set<string> | null> {
  const refs = new Set<string>();
  for (const id of ids) {
    const deploy = await getDeploy(env, id);
    if (!deploy) return null; // cannot tell what it referenced: collect nothing this time
    for (const f of Object.values(deploy.files)) refs.add(f.sha256);
  }
  return refs;
}

/** Runs one collection. Bounded: at most `maxDeletes` blobs are deleted per run. */
export async function collectGarbage(env: PushEnv, limits: PushLimits, now = Date.now(), maxDeletes = 5000): Promise<GcReport> {
  const report: GcReport = { deploysKept: 0, deploysDeleted: [], blobsKept: 0, blobsDeleted: 0, bytesFreed: 0, stagingDeleted: 0 };
  const { pointer } = await readActive(env);
  const deploys = await listDeploys(env);
  const activated = new Set((pointer?.history ?? []).map((h) => h.deployId));
  const keep = deploysToKeep(deploys, pointer?.deployId ?? null, activated, limits, now);
  for (const d of deploys) {
    if (!keep.has(d.id)) {
      await deleteDeploy(env, d.id);
      report.deploysDeleted.push(d.id);
    }
  }
  report.deploysKept = keep.size;

  const refs = await referencedBlobs(env, keep);
  if (!refs) return report;
  const graceMs = limits.gcGraceSeconds * 1000;
  const candidates: Array<{ key: string; size: number }> = [];
  for await (const obj of listObjects(env, BLOB_PREFIX, 10_000)) {
    const sha = obj.key.slice(BLOB_PREFIX.length);
    if (refs.has(sha) || now - obj.uploaded.getTime() < graceMs) report.blobsKept++;
    else candidates.push({ key: obj.key, size: obj.size });
  }

  // Deploys created while we listed may name a candidate: read the list again and spare those.
  const again = await listDeploys(env);
  const newcomers = again
    .filter((d) => !keep.has(d.id))
    .map((d) => d.id)
    .filter((id) => !report.deploysDeleted.includes(id));
  const late = await referencedBlobs(env, newcomers);
  if (!late) return report;
  const doomed: string[] = [];
  for (const c of candidates) {
    if (late.has(c.key.slice(BLOB_PREFIX.length))) {
      report.blobsKept++;
      continue;
    }
    if (doomed.length >= maxDeletes) break;
    doomed.push(c.key);
    report.bytesFreed += c.size;
  }
  // R2 deletes up to 1000 keys per call.
  for (let i = 0; i < doomed.length; i += 1000) await env.PUSH_BUCKET.delete(doomed.slice(i, i + 1000));
  report.blobsDeleted = doomed.length;

  // Staging objects of abandoned uploads.
  for await (const obj of listObjects(env, STAGING_PREFIX, 1)) {
    if (now - obj.uploaded.getTime() > limits.pendingDeploySeconds * 1000) {
      await env.PUSH_BUCKET.delete(obj.key);
      report.stagingDeleted++;
    }
  }
  return report;
}
