/**
 * Fencing tokens: integers that strictly increase with every acquisition of a key.
 *
 * A token is a hybrid of a counter and the store's clock:
 *
 *     next = max(previous + 1, serverSecond * STEPS_PER_SECOND)
 *
 * where `serverSecond` is the store's time (the `Date` header of the read that preceded the
 * write). Every token issued by a write that lands in server second T is below
 * (T + 1) * STEPS_PER_SECOND, as long as fewer than a million acquisitions of one key land
 * in one second. That is what keeps tokens increasing when another tool (the origin design's
 * Python writer) replaced the document and dropped the previous token: the replacement landed
 * at or after our last write, so once the store's clock has passed the replacement's
 * `LastModified` second, `serverSecond * STEPS_PER_SECOND` is above every token issued before.
 *
 * Tokens stay below 2^53 (safe JavaScript integers) until the year 2255.
 */
export const TOKEN_STEPS_PER_SECOND = 1_000_000;

/**
 * The token for the next acquisition.
 * @param previous the token in the current document, or `undefined` when there is none (no
 *   object, or a document written by another tool).
 * @param serverSecond the store's clock, in whole seconds since the epoch.
 */
export function nextToken(previous: number | undefined, serverSecond: number): number {
  const base = serverSecond * TOKEN_STEPS_PER_SECOND;
  return previous === undefined ? base : Math.max(previous + 1, base);
}

/**
 * Whether a token may be issued now over a document that carries none (written by another
 * tool): only once the store's clock has moved past the second in which that document landed.
 */
export function mayIssueOverForeign(serverSecond: number, lastModifiedSecond: number): boolean {
  return serverSecond > lastModifiedSecond;
}
