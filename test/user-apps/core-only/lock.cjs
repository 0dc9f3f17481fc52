// The same as lock.mjs, from CommonJS.
const { S3LockClient, AlreadyLockedError } = require('nestjs-s3-lock/core');

async function main() {
  const locks = new S3LockClient({ bucket: process.env.S3_BUCKET, prefix: process.env.LOCK_PREFIX });
  const lock = await locks.acquire('cjs-report', { expire: 30 });
  const refused = await locks.acquire('cjs-report').catch((error) => error);
  await locks.release(lock);
  await locks.close();
  console.log(JSON.stringify({ token: lock.token, refused: refused instanceof AlreadyLockedError }));
}
main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
