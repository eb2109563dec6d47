/**
 * Storing blobs with their hash verified (docs/push.md, "Endpoints"): an optional
 * X-Content-SHA256 is verified and a mismatch is refused with nothing stored; a multipart
 * upload's hash is verified at the end. Bodies are streamed, never held whole: R2 checks a declared SHA-256 itself
 * (`put(..., { sha256 })` fails and stores nothing on a mismatch), and when no hash is
 * declared the body is hashed on the way into a staging object.
 */
import { ApiError } from '@pushpull/http/errors';
import { blobKey, STAGING_PREFIX, type PushEnv } from './store';

const toHex = (buf: ArrayBuffer): string => [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, '0')).join('');

/** What storing a blob did. */
export interface StoredBlob {
  sha256: string;
  size: number;
  /** False when the same content was already stored (nothing was written). */
  created: boolean;
}

/** A body of exactly `size` bytes (the stream errors if the sender sends more or fewer). */
function fixedLength(body: ReadableStream<Uint8Array>, size: number): { readable: ReadableStream<Uint8Array>; done: Promise<void> } {
  const fixed = new FixedLengthStream(size);
  const done = body.pipeTo(fixed.writable);
  return { readable: fixed.readable, done };
}

/** SHA-256 of a stream, as lowercase hex. */
async function hashStream(body: ReadableStream<Uint8Array>): Promise<{ sha256: string; size: number }> {
  const digest = new crypto.DigestStream('SHA-256');
  let size = 0;
  const counter = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      size += chunk.byteLength;
      controller.enqueue(chunk);
    },
  });
  await body.pipeThrough(counter).pipeTo(digest);
  return { sha256: toHex(await digest.digest), size };
}

function isChecksumError(err: unknown): boolean {
  return err instanceof Error && /checksum|sha-?256|digest/i.test(err.message);
}

function isLengthError(err: unknown): boolean {
  return err instanceof Error && /length|bytes|too (few|many)|size/i.test(err.message);
}

/**
 * Stores a body that claims to hash to `sha256`. When that content is already stored, the body
 * is still hashed (so a wrong claim is refused) but nothing is written.
 */
export async function storeBlobVerified(env: PushEnv, sha256: string, body: ReadableStream<Uint8Array>, size: number): Promise<StoredBlob> {
  const existing = await env.PUSH_BUCKET.head(blobKey(sha256));
  if (existing && existing.size === size) {
    const actual = await hashStream(body);
    if (actual.sha256 !== sha256 || actual.size !== size) throw checksumMismatch(sha256, actual.sha256);
    return { sha256, size, created: false };
  }
  const { readable, done } = fixedLength(body, size);
  try {
    await Promise.all([env.PUSH_BUCKET.put(blobKey(sha256), readable, { sha256 }), done]);
  } catch (err) {
    // R2 verified the declared hash and stored nothing.
    if (isChecksumError(err)) throw checksumMismatch(sha256, null);
    if (isLengthError(err)) throw new ApiError(400, 'size_mismatch', `the body is not the ${size} bytes Content-Length announced`);
    throw err;
  }
  return { sha256, size, created: true };
}

function checksumMismatch(expected: string, actual: string | null): ApiError {
  return new ApiError(
    400,
    'checksum_mismatch',
    `the body's SHA-256 ${actual ? `is ${actual}, not` : 'does not match'} ${expected}; nothing was stored`,
    actual ? { expected, actual } : { expected },
  );
}

/**
 * Stores a body whose hash is not declared: it is hashed while it is written to a staging
 * object, which then becomes the blob (unless that content was already stored).
 */
export async function storeBlobHashing(env: PushEnv, body: ReadableStream<Uint8Array>, size: number): Promise<StoredBlob> {
  const staging = STAGING_PREFIX + crypto.randomUUID();
  const [toHash, toStore] = body.tee();
  const { readable, done } = fixedLength(toStore, size);
  try {
    const [hashed] = await Promise.all([hashStream(toHash), env.PUSH_BUCKET.put(staging, readable), done]);
    return await promoteStaging(env, staging, hashed.sha256, size);
  } catch (err) {
    await env.PUSH_BUCKET.delete(staging);
    if (err instanceof ApiError) throw err;
    if (isLengthError(err)) throw new ApiError(400, 'size_mismatch', `the body is not the ${size} bytes Content-Length announced`);
    throw err;
  }
}

/**
 * Moves a verified staging object to its content address (copying through the Worker, R2
 * re-checking the hash) and deletes the staging object.
 */
async function promoteStaging(env: PushEnv, staging: string, sha256: string, size: number): Promise<StoredBlob> {
  const existing = await env.PUSH_BUCKET.head(blobKey(sha256));
  let created = false;
  if (!existing) {
    const obj = await env.PUSH_BUCKET.get(staging);
    if (!obj) throw new Error(`staging object ${staging} vanished`);
    await env.PUSH_BUCKET.put(blobKey(sha256), obj.body, { sha256 });
    created = true;
  }
  await env.PUSH_BUCKET.delete(staging);
  return { sha256, size, created };
}

// ---- multipart (files larger than one request body) ---------------------------------

interface UploadHandle {
  key: string;
  uploadId: string;
  sha256: string;
  size: number;
}

const b64url = (s: string): string => btoa(s).replaceAll('+', '-').replaceAll('/', '_').replaceAll('=', '');
const unb64url = (s: string): string => atob(s.replaceAll('-', '+').replaceAll('_', '/'));

/** What the upload functions need: the bucket, and the token that signs upload ids. */
type UploadEnv = PushEnv & Pick<Env, 'PUSHPULL_TOKEN'>;

const unknownUpload = (): ApiError => new ApiError(404, 'unknown_upload', 'no such multipart upload (completed, aborted or expired)');

function isNoSuchUpload(err: unknown): boolean {
  return err instanceof Error && /upload.*(not exist|not found)|NoSuchUpload/i.test(err.message);
}

/** HMAC-SHA-256 key for upload ids (the text before the token keeps this use apart from any other). */
function idKey(env: UploadEnv): Promise<CryptoKey> {
  const secret = new TextEncoder().encode(`pushpull upload id\n${env.PUSHPULL_TOKEN}`);
  return crypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
}

/**
 * Opaque id a client uses for the parts and the completion of one multipart upload. It is signed:
 * R2 cannot be asked whether an upload exists (aborting an unknown one fails like an internal
 * error), so an id this edge never issued is recognised by its signature and answered 404.
 */
async function encodeUploadId(env: UploadEnv, h: UploadHandle): Promise<string> {
  const fields = JSON.stringify([h.key, h.uploadId, h.sha256, h.size]);
  const mac = await crypto.subtle.sign('HMAC', await idKey(env), new TextEncoder().encode(fields));
  return b64url(JSON.stringify([h.key, h.uploadId, h.sha256, h.size, b64url(String.fromCharCode(...new Uint8Array(mac)))]));
}

/** Decodes {@link encodeUploadId}: anything malformed is a 400, a well-formed id this edge did not sign a 404. */
async function decodeUploadId(env: UploadEnv, id: string): Promise<UploadHandle> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(unb64url(id));
  } catch {
    parsed = undefined;
  }
  const [key, uploadId, sha256, size, mac] = Array.isArray(parsed) ? (parsed as unknown[]) : [];
  if (
    typeof key !== 'string' ||
    !key.startsWith(STAGING_PREFIX) ||
    typeof uploadId !== 'string' ||
    typeof sha256 !== 'string' ||
    !/^[0-9a-f]{64}$/.test(sha256) ||
    typeof size !== 'number'
  ) {
    throw new ApiError(400, 'invalid_upload', 'malformed upload id');
  }
  let signature: Uint8Array<ArrayBuffer> | undefined;
  try {
    if (typeof mac === 'string') signature = Uint8Array.from(unb64url(mac), (ch) => ch.charCodeAt(0));
  } catch {
    signature = undefined;
  }
  const fields = new TextEncoder().encode(JSON.stringify([key, uploadId, sha256, size]));
  if (!signature || !(await crypto.subtle.verify('HMAC', await idKey(env), signature, fields))) throw unknownUpload();
  return { key, uploadId, sha256, size };
}

/** Starts a multipart upload into staging for content claimed to be `sha256` of `size` bytes. */
export async function createUpload(env: UploadEnv, sha256: string, size: number): Promise<string> {
  const mpu = await env.PUSH_BUCKET.createMultipartUpload(STAGING_PREFIX + crypto.randomUUID());
  return encodeUploadId(env, { key: mpu.key, uploadId: mpu.uploadId, sha256, size });
}

/** Uploads one part (numbered from 1). */
export async function uploadPart(
  env: UploadEnv,
  id: string,
  partNumber: number,
  body: ReadableStream<Uint8Array>,
  size: number,
): Promise<R2UploadedPart> {
  const h = await decodeUploadId(env, id);
  const { readable, done } = fixedLength(body, size);
  const mpu = env.PUSH_BUCKET.resumeMultipartUpload(h.key, h.uploadId);
  try {
    const [part] = await Promise.all([mpu.uploadPart(partNumber, readable), done]);
    return part;
  } catch (err) {
    if (isNoSuchUpload(err)) throw unknownUpload();
    throw err;
  }
}

/**
 * Completes a multipart upload, then verifies the assembled object's size and SHA-256 before
 * it gets its content address. A mismatch deletes it: nothing is stored.
 */
export async function completeUpload(env: UploadEnv, id: string, parts: R2UploadedPart[]): Promise<StoredBlob> {
  const h = await decodeUploadId(env, id);
  const mpu = env.PUSH_BUCKET.resumeMultipartUpload(h.key, h.uploadId);
  try {
    await mpu.complete(parts);
  } catch (err) {
    if (isNoSuchUpload(err)) throw unknownUpload();
    const message = err instanceof Error ? err.message : String(err);
    throw new ApiError(400, 'invalid_parts', `R2 refused to complete the upload: ${message}`);
  }
  try {
    const obj = await env.PUSH_BUCKET.get(h.key);
    if (!obj) throw new Error('completed upload vanished');
    if (obj.size !== h.size) {
      await obj.body.cancel();
      throw new ApiError(400, 'size_mismatch', `the upload assembled ${obj.size} bytes, not the ${h.size} announced; nothing was stored`, {
        expected: h.size,
        actual: obj.size,
      });
    }
    const actual = await hashStream(obj.body);
    if (actual.sha256 !== h.sha256) throw checksumMismatch(h.sha256, actual.sha256);
    return await promoteStaging(env, h.key, h.sha256, h.size);
  } finally {
    await env.PUSH_BUCKET.delete(h.key);
  }
}

/** Abandons a multipart upload (again: R2 answers an aborted or completed upload's abort as done). */
export async function abortUpload(env: UploadEnv, id: string): Promise<void> {
  const h = await decodeUploadId(env, id);
  try {
    await env.PUSH_BUCKET.resumeMultipartUpload(h.key, h.uploadId).abort();
  } catch (err) {
    if (isNoSuchUpload(err)) throw unknownUpload();
    throw err;
  }
}
