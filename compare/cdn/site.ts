/**
 * The CDN workload's site: N objects of mixed sizes (log-uniform between a floor and a
 * ceiling, seeded), ranked by popularity (object 0 is the most requested), each with a version
 * that a content-change process bumps. An object's bytes start with a line naming its mode,
 * phase, id and version, so a client reads from any response which version it was served.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { rng } from '../../bench/lib/random';

/** One object of the site. */
export interface SiteObject {
  id: number;
  /** Body size in bytes. */
  size: number;
  /** Path below the phase folder, e.g. `o12.js`. */
  name: string;
}

/** Extensions by size, so the origin serves usual types (no compression anywhere: bytes are bytes). */
function extensionFor(size: number): string {
  if (size < 4096) return 'html';
  if (size < 16384) return 'css';
  if (size < 65536) return 'js';
  return 'png';
}

/** N objects with log-uniform sizes in [minBytes, maxBytes], from `seed`. */
export function makeSite(n: number, minBytes: number, maxBytes: number, seed: number): SiteObject[] {
  const random = rng(seed);
  const span = Math.log(maxBytes / minBytes);
  return Array.from({ length: n }, (_, id) => {
    const size = Math.round(minBytes * Math.exp(random() * span));
    return { id, size, name: `o${id}.${extensionFor(size)}` };
  });
}

/** The first line of every object: what a client parses to know the version it got. */
function objectHeader(mode: string, phase: number, id: number, version: number): string {
  return `pushpull-compare mode=${mode} phase=${phase} object=${id} version=${version}\n`;
}

/** The version named by a body's first line, or -1 when it has none. */
export function versionOf(body: Uint8Array): number {
  const head = new TextDecoder().decode(body.subarray(0, 120));
  const m = / version=(\d+)\n/.exec(head);
  return m ? Number(m[1]) : -1;
}

/** The bytes of one object version: its header, then filler up to its size. */
function objectBytes(mode: string, phase: number, obj: SiteObject, version: number): Uint8Array {
  const header = objectHeader(mode, phase, obj.id, version);
  const filler = `${header.trim()} `;
  return new TextEncoder().encode(
    (header + filler.repeat(Math.ceil(obj.size / filler.length))).slice(0, Math.max(obj.size, header.length)),
  );
}

/**
 * Writes one object version under `root` (atomically: a temporary file renamed over the old
 * one, so the origin never serves half a file and sees a new inode).
 */
export function writeObject(root: string, mode: string, phase: number, obj: SiteObject, version: number): void {
  const file = join(root, `p${phase}`, obj.name);
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${version}`;
  writeFileSync(tmp, objectBytes(mode, phase, obj, version));
  renameSync(tmp, file);
}
