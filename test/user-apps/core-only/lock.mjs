// Takes and releases a lock through nestjs-s3-lock/core, on the store named by the environment.
import { S3LockClient } from 'nestjs-s3-lock/core';

const locks = new S3LockClient({ bucket: process.env.S3_BUCKET, prefix: process.env.LOCK_PREFIX });
await locks.verifyStore();
const lock = await locks.acquire('nightly-report', { expire: 30 });
const other = await locks.tryAcquire('nightly-report');
const released = await locks.release(lock);
await locks.close();
console.log(JSON.stringify({ token: lock.token, holder: lock.owner, other, releasedOwner: released.owner }));
