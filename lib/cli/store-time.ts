import type { S3Client } from '@aws-sdk/client-s3';

/** The store's clock as last seen in a `Date` response header. */
export interface StoreTime {
  /**
   * The store's current time: the latest `Date` header plus the time elapsed here since it
   * arrived (this machine's clock before any answer). `Date` is truncated to the second, so
   * this is at most a second behind the store: a lock is never reported expired early.
   */
  now(): Date;
}

const watched = new WeakMap<S3Client, StoreTime>();

/**
 * Follows the store's clock through the `Date` header of every answer `client` receives
 * (success or error), so the CLI judges expiry the way the lock does: by the store's clock.
 */
export function watchStoreTime(client: S3Client): StoreTime {
  const known = watched.get(client);
  if (known) return known;
  let last: { storeMs: number; receivedAt: number } | undefined;
  const time: StoreTime = {
    now: () => new Date(last ? last.storeMs + (Date.now() - last.receivedAt) : Date.now()),
  };
  const capture =
    (next: (args: unknown) => Promise<{ response: unknown }>) =>
    async (args: unknown): Promise<{ response: unknown }> => {
      const result = await next(args);
      const date = (result.response as { headers?: Record<string, string> }).headers?.date;
      const storeMs = date ? Date.parse(date) : Number.NaN;
      if (!Number.isNaN(storeMs)) last = { storeMs, receivedAt: Date.now() };
      return result;
    };
  // Low priority in the deserialize step: runs below the deserializer, so it sees error
  // answers (404, 412, 403) before they are turned into exceptions.
  (client.middlewareStack.add as (mw: unknown, opts: object) => void)(capture, {
    step: 'deserialize',
    priority: 'low',
    name: 's3LockCliStoreTime',
  });
  watched.set(client, time);
  return time;
}
