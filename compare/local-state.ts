/**
 * What a Worker stores locally, measured on disk. `wrangler dev --persist-to <dir>` keeps
 * each kind of storage in `<dir>/v3/<kind>/`: one SQLite database of metadata per namespace
 * (Cache API, KV, R2, D1, Durable Objects) plus, for Cache API, KV and R2, one file per stored
 * value under `blobs/`. The blob bytes are what is stored (bodies, values, objects); the
 * SQLite bytes are the simulator's index (its pages, so a multiple of 4 KiB).
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Bytes of one kind of storage. */
export interface StoreBytes {
  /** Stored values (`blobs/` files). */
  blobBytes: number;
  /** Everything on disk, blobs and metadata. */
  totalBytes: number;
  /** Number of stored values. */
  blobs: number;
}

/** The kinds of local storage, keyed as wrangler names their folders. */
export type StoreKind = 'cache' | 'kv' | 'r2' | 'd1' | 'do';

const KINDS: readonly StoreKind[] = ['cache', 'kv', 'r2', 'd1', 'do'];

function walk(dir: string, inBlobs: boolean, into: StoreBytes): void {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory()) {
      walk(path, inBlobs || e.name === 'blobs', into);
    } else if (e.isFile()) {
      let size: number;
      try {
        size = statSync(path).size;
      } catch {
        // A running Worker's SQLite -shm/-wal file can go between the listing and the stat.
        continue;
      }
      into.totalBytes += size;
      if (inBlobs) {
        into.blobBytes += size;
        into.blobs++;
      }
    }
  }
}

/** Bytes per kind of storage under a `--persist-to` folder. */
export function localStateBytes(persistDir: string): Record<StoreKind, StoreBytes> {
  const out = {} as Record<StoreKind, StoreBytes>;
  for (const kind of KINDS) {
    const bytes: StoreBytes = { blobBytes: 0, totalBytes: 0, blobs: 0 };
    walk(join(persistDir, 'v3', kind), false, bytes);
    out[kind] = bytes;
  }
  return out;
}

/** `after − before`, per kind (what a phase added). */
export function stateGrowth(before: Record<StoreKind, StoreBytes>, after: Record<StoreKind, StoreBytes>): Record<StoreKind, StoreBytes> {
  const out = {} as Record<StoreKind, StoreBytes>;
  for (const kind of KINDS) {
    out[kind] = {
      blobBytes: after[kind].blobBytes - before[kind].blobBytes,
      totalBytes: after[kind].totalBytes - before[kind].totalBytes,
      blobs: after[kind].blobs - before[kind].blobs,
    };
  }
  return out;
}
