import { protocolMessages } from '../protocol/protocol.messages.js';
import { S3LockError } from './s3-lock.error.js';

/**
 * Thrown when the object at a lock's key is not a lock document (not JSON, missing or mistyped
 * fields, too large). The library never overwrites such an object: inspect it and delete it by
 * hand if it is garbage.
 */
export class CorruptLockError extends S3LockError {
  /** The key of the lock (without the configured prefix). */
  readonly key: string;
  /** The full S3 object key. */
  readonly objectKey: string;
  /** What is wrong with the document. */
  readonly reason: string;

  constructor(key: string, objectKey: string, reason: string) {
    super(protocolMessages.corruptLock(key, objectKey, reason));
    this.key = key;
    this.objectKey = objectKey;
    this.reason = reason;
  }
}
