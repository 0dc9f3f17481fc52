import { CorruptLockError } from '../errors/corrupt-lock.error.js';
import type { Lock } from '../interfaces/lock.interface.js';
import { tokenProblem } from './fencing-token.js';
import { decodeDocument, decodeMetadata, type LockDocument, type LockMetadata, parseTime } from './lock-document.js';
import type { ReadResult } from './lock-store.js';

/** A lock object as read, decoded. */
export interface Observed {
  serverTime: Date;
  object: {
    etag: string;
    lastModified: Date;
    doc: LockDocument;
    /** `null` when the last writer was another tool. */
    meta: LockMetadata | null;
  } | null;
}

/**
 * Decodes a read of the lock object of `key`; throws `CorruptLockError` if it is not a lock
 * document, or carries a token that is not even a safe integer (which cannot be shown or kept).
 */
export function decodeRead(key: string, objectKey: string, read: ReadResult): Observed {
  if (!read.object) return { serverTime: read.serverTime, object: null };
  const { body, size, etag, lastModified } = read.object;
  const doc = body === null ? `it is ${size} bytes long, more than a lock document can be` : decodeDocument(body);
  if (typeof doc === 'string') throw new CorruptLockError(key, objectKey, doc);
  const meta = decodeMetadata(read.object.metadata);
  if (meta && !Number.isSafeInteger(meta.token)) throw new CorruptLockError(key, objectKey, tokenProblem(meta.token)!);
  return { serverTime: read.serverTime, object: { etag, lastModified, doc, meta } };
}

/**
 * The `Lock` a state shows: `doc` written with fencing token `token`, stored with `etag`, at a
 * time not after `writtenAt` (the object's `LastModified`, or the moment the write was sent),
 * from which the lease's end is counted.
 */
export function lockOf(key: string, doc: LockDocument, token: number, etag: string, writtenAt: Date): Lock {
  return {
    key,
    owner: doc.owner,
    expire: doc.expire,
    lockTime: parseTime(doc.lock_time) ?? writtenAt,
    releaseTime: doc.release_time === null ? null : parseTime(doc.release_time),
    token,
    etag,
    expiresAt: new Date(writtenAt.getTime() + doc.expire * 1000),
  };
}

/** The state of a key whose object is gone (deleted by hand), where a `Lock` must be shown. */
export function goneLock(key: string): Lock {
  const never = new Date(0);
  return { key, owner: null, expire: 0, lockTime: never, releaseTime: null, token: 0, etag: '', expiresAt: never };
}
