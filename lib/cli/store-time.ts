import type { S3Client } from '@aws-sdk/client-s3';
import { ServerClock } from '../protocol/server-clock.js';

const clocks = new WeakMap<S3Client, ServerClock>();

/**
 * Follows the store's clock through the `Date` header of every answer `client` receives
 * (success or error), so the CLI judges expiry the way the lock does: by the store's clock.
 * Before the first answer, it is this machine's clock.
 */
export function watchStoreTime(client: S3Client): ServerClock {
  const known = clocks.get(client);
  if (known) return known;
  const clock = new ServerClock();
  clocks.set(client, clock);
  const capture =
    (next: (args: unknown) => Promise<{ response: unknown }>) =>
    async (args: unknown): Promise<{ response: unknown }> => {
      const result = await next(args);
      const headers = (result.response as { headers?: Record<string, string> }).headers;
      clock.observe(headers?.date, Date.now());
      return result;
    };
  // Low priority in the deserialize step: runs below the deserializer, so it sees error
  // answers (404, 412, 403) before they are turned into exceptions.
  (client.middlewareStack.add as (mw: unknown, opts: object) => void)(capture, {
    step: 'deserialize',
    priority: 'low',
    name: 's3LockCliStoreTime',
  });
  return clock;
}
