import { describe, expect, test } from '@jest/globals';
import { AlreadyLockedError } from '../../lib/index.js';
import { testClient } from '../support/s3-env.js';
import { testService } from '../support/services.js';
import { onRgwOnly } from '../support/store-kind.js';

/**
 * Makes RGW behave like AWS S3 towards `If-Match`: the quoted ETag (RFC 9110) is taken (the
 * middleware passes it on unquoted, the form RGW understands) and the bare one is refused (the
 * middleware spoils it). Requests that reach the wire are counted.
 */
function awsLikeClient() {
  const client = testClient();
  const sent: string[] = [];
  client.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { method: string; headers: Record<string, string> };
      const ifMatch = request.headers['if-match'];
      if (ifMatch !== undefined) {
        request.headers['if-match'] = /^".*"$/.test(ifMatch) ? ifMatch.slice(1, -1) : `${ifMatch}-bare-refused`;
      }
      sent.push(`${request.method}${ifMatch === undefined ? '' : ` If-Match:${/^"/.test(ifMatch) ? 'quoted' : 'bare'}`}`);
      return next(args);
    },
    { step: 'build', name: 'awsLikeIfMatch' },
  );
  return { client, sent };
}

// The AWS-like store is RGW with its If-Match rewritten; on a store that already wants quoted
// ETags the rewrite would turn them into bare ones it refuses.
const rgw = onRgwOnly('it imitates a quoted-ETag store by rewriting If-Match into the bare form only RGW takes');

describe('ETag quoting differs between stores: learned, not configured', () => {
  test('RGW (bare ETags only): the form is learned by the store check and every If-Match write succeeds', async () => {
    const { service } = testService('etag-rgw');
    await service.verifyStore();
    const lock = await service.acquire('job', { owner: 'a' });
    const released = await service.release(lock);
    expect(released.owner).toBeNull();
    expect((await service.acquire('job', { owner: 'b' })).owner).toBe('b');
  });

  rgw.test('an AWS-like store (quoted ETags only): learned on the first If-Match, without a store check', async () => {
    const { client, sent } = awsLikeClient();
    const { service } = testService('etag-aws', { client });
    const lock = await service.acquire('job', { owner: 'a', expire: 30 });
    await expect(service.acquire('job', { owner: 'b' })).rejects.toBeInstanceOf(AlreadyLockedError);
    sent.length = 0;
    await service.release(lock);
    expect(sent).toEqual(['PUT If-Match:quoted']);
    expect((await service.inspect('job'))?.owner).toBeNull();
    sent.length = 0;
    const again = await service.acquire('job', { owner: 'c' });
    expect(again.owner).toBe('c');
    expect(sent).toEqual(['PUT If-Match:quoted']);
  });
});
