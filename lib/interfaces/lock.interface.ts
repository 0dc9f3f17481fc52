/**
 * The state of one lock, as written to or read from its S3 object.
 *
 * Field names follow the origin design's document (`expire`, `lock_time`, `release_time`,
 * `owner`) in camelCase, plus what this library adds: the fencing token and the ETag.
 */
export interface Lock {
  /** The key the caller named (without the configured prefix). */
  readonly key: string;
  /** Who holds the lock, or `null` when it is released (or was never taken). */
  readonly owner: string | null;
  /** Seconds after its last write at which the lock counts as abandoned. */
  readonly expire: number;
  /**
   * When the lock was last acquired or extended, by the writer's estimate of the store's clock:
   * the late end of it, so never earlier than the store's time when the write was sent.
   */
  readonly lockTime: Date;
  /** When the lock was released, or `null` while it is held. */
  readonly releaseTime: Date | null;
  /**
   * The fencing token of the acquisition that produced this state: an integer that strictly
   * increases with every acquisition of the key. Pass it to the resource you protect and have
   * the resource reject writes carrying a token lower than one it has seen. `0` when the
   * document was written by another tool that does not keep tokens, or is a `forceRelease` of
   * such a document (the next acquisition still gets a token above every earlier one).
   */
  readonly token: number;
  /**
   * The S3 ETag of this state; `release` and `extend` write only if it is still current. Empty
   * for a released state returned by a `release` whose write landed unheard and was replaced
   * by the next holder before it could be read back (the release did happen).
   */
  readonly etag: string;
  /**
   * When the lock stops protecting its holder unless extended: the store's time of the last
   * write plus `expire`, estimated from the early side (never later than the real deadline by
   * the store's clock, up to about a second earlier).
   */
  readonly expiresAt: Date;
}
