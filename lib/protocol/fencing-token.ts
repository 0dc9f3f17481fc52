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
 *
 * Token `0` means "not known": the state was written by another tool, or is a forced release
 * of such a state (which keeps the token it was given, 0). Every token this library issues is
 * above 0, and a token is issued over an unknown one only once the store's clock has passed the
 * second of that state's write, exactly as over a foreign document.
 */
export const TOKEN_STEPS_PER_SECOND = 1_000_000;

/** The token of a state whose token is not known (written by another tool). */
export const UNKNOWN_TOKEN = 0;

/** The largest token from which another can still be issued: its successor is 2^53 - 1. */
export const MAX_INCREASABLE_TOKEN = Number.MAX_SAFE_INTEGER - 1;

/** Whether `token` is one this library issued (not missing, not {@link UNKNOWN_TOKEN}). */
export function tokenKnown(token: number | undefined): token is number {
  return token !== undefined && token !== UNKNOWN_TOKEN;
}

/**
 * Why no token can be issued after `token`, or `null` when one can: its successor would not
 * be a safe integer (which `release` and every resource comparing tokens rely on). Only
 * hand-placed metadata gets here: issued tokens reach 2^53 in the year 2255.
 */
export function tokenProblem(token: number | undefined): string | null {
  if (token === undefined || token <= MAX_INCREASABLE_TOKEN) return null;
  return (
    `its fencing token (x-amz-meta-s3lock-token ${token}) is too large to be increased as a safe integer ` +
    `(above ${MAX_INCREASABLE_TOKEN}), so no token issued after it could be trusted to be higher`
  );
}

/**
 * The token for the next acquisition.
 * @param previous the token in the current document, or `undefined` (or {@link UNKNOWN_TOKEN})
 *   when there is none (no object, or a document written by another tool).
 * @param serverSecond the store's clock, in whole seconds since the epoch.
 */
export function nextToken(previous: number | undefined, serverSecond: number): number {
  const base = serverSecond * TOKEN_STEPS_PER_SECOND;
  return tokenKnown(previous) ? Math.max(previous + 1, base) : base;
}

/**
 * Whether a token may be issued now over a document that carries none (written by another
 * tool): only once the store's clock has moved past the second in which that document landed.
 */
export function mayIssueOverForeign(serverSecond: number, lastModifiedSecond: number): boolean {
  return serverSecond > lastModifiedSecond;
}
