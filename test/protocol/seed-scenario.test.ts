import { describe, expect, test } from '@jest/globals';
import { AlreadyLockedError } from '../../lib/index.js';
import { testService } from '../support/services.js';

describe("the origin design's scenario, step by step, on a real S3", () => {
  test('alice acquires, bob is refused naming alice, alice re-acquires and releases, bob acquires', async () => {
    const { service } = testService('seed');
    await service.verifyStore();

    const first = await service.acquire('job', { owner: 'alice', expire: 30 });
    expect(first).toMatchObject({ key: 'job', owner: 'alice', expire: 30, releaseTime: null });

    const refused = await service.acquire('job', { owner: 'bob' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(AlreadyLockedError);
    expect((refused as AlreadyLockedError).holder).toBe('alice');
    expect((refused as AlreadyLockedError).message).toContain('"alice"');

    const again = await service.acquire('job', { owner: 'alice', expire: 30 });
    expect(again.owner).toBe('alice');
    expect(again.token).toBeGreaterThan(first.token);
    expect(again.lockTime.getTime()).toBeGreaterThanOrEqual(first.lockTime.getTime());

    const released = await service.release(again);
    expect(released.owner).toBeNull();
    expect(released.releaseTime).toBeInstanceOf(Date);
    const stored = await service.inspect('job');
    expect(stored).toMatchObject({ owner: null, token: again.token });
    expect(stored?.releaseTime).toBeInstanceOf(Date);

    const bob = await service.acquire('job', { owner: 'bob' });
    expect(bob.owner).toBe('bob');
    expect(bob.token).toBeGreaterThan(again.token);
    await service.release(bob);
  });
});
