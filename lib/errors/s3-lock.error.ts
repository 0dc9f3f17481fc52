/**
 * Base class of every error this library throws on purpose. Catch it to handle all of them;
 * check the subclasses (`AlreadyLockedError`, `LockLostError`, ...) to tell them apart.
 */
export class S3LockError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}
