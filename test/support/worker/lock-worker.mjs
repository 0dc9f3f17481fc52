// A lock worker in its own OS process, for the multi-process tests.
//
//   node test/support/worker/lock-worker.mjs '<json config>'
//
// It runs on dist/ (built by `npm test`). Config (JSON in argv[2]):
//   mode: 'cycles' (acquire/release `cycles` times, appending to a shared ledger)
//       | 'hold'   (acquire once, print it, then hold forever: the test kills it)
//       | 'take'   (poll acquire every `pollMs` until it succeeds or `timeLimitMs` passes)
//       | 'release-after' (acquire once, hold `holdMs`, release, print when)
//       | 'wait'   (one acquire with `waitForLock`, print the outcome)
//       | 'lead'   (compete for the leadership of `key` until SIGTERM; every term's start and end
//                   go to the ledger as `acquire`/`release <token> <owner> <ms>` lines)
//   endpoint, bucket, prefix, key, expire, owner?, holdMs?, cycles?, ledger?, pollMs?,
//   timeLimitMs?, requestTimeoutMs?, maxAttempts?, clientMaxAttempts?
// It prints one JSON line per event on stdout ({"event": ...}) and a final {"event":"done",...}.
import { S3Client } from '@aws-sdk/client-s3';
import { appendFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { AlreadyLockedError, S3LockService } from '../../../dist/index.js';

const config = JSON.parse(process.argv[2]);
const emit = (event, fields = {}) =>
  process.stdout.write(`${JSON.stringify({ event, at: Date.now(), pid: process.pid, ...fields })}\n`);

const client = new S3Client({
  endpoint: config.endpoint,
  region: process.env.AWS_REGION ?? 'us-east-1',
  forcePathStyle: true,
  ...(config.clientMaxAttempts ? { maxAttempts: config.clientMaxAttempts } : {}),
});
const quiet = { log() {}, warn() {}, debug() {} };
const service = new S3LockService({
  bucket: config.bucket,
  prefix: config.prefix,
  client,
  storeCheck: false,
  logger: quiet,
  ...(config.requestTimeoutMs ? { requestTimeoutMs: config.requestTimeoutMs } : {}),
  ...(config.maxAttempts ? { maxAttempts: config.maxAttempts } : {}),
});
const options = { expire: config.expire, ...(config.owner ? { owner: config.owner } : {}) };
const deadline = Date.now() + (config.timeLimitMs ?? 120_000);

/** Appends one line to the shared ledger (O_APPEND: lines from all processes keep their order). */
const ledger = (line) => appendFileSync(config.ledger, `${line}\n`);

async function cycles() {
  // errorMessages: the first few messages of unexpected errors, so a test can show them.
  const stats = { acquired: 0, conflicts: 0, lost: 0, errors: {}, errorMessages: [] };
  const record = (error) => {
    stats.errors[error.name] = (stats.errors[error.name] ?? 0) + 1;
    if (stats.errorMessages.length < 5) stats.errorMessages.push(`${error.name}: ${error.message}`);
  };
  while (stats.acquired < config.cycles && Date.now() < deadline) {
    let lock;
    try {
      lock = await service.acquire(config.key, options);
    } catch (error) {
      if (error instanceof AlreadyLockedError) {
        stats.conflicts++;
        await sleep(Math.random() * (config.backoffMs ?? 5)); // stays: this contender's own jittered retry, part of the load under test
      } else {
        record(error);
        await sleep(20); // stays: this worker's own pause before retrying after an error, not a wait for anything
      }
      continue;
    }
    ledger(`acquire ${lock.token} ${lock.owner}`);
    stats.acquired++;
    if (config.holdMs) await sleep(config.holdMs); // stays: the simulated work while holding, the time under test
    ledger(`release ${lock.token} ${lock.owner}`);
    try {
      await service.release(lock);
    } catch (error) {
      stats.lost++;
      record(error);
    }
  }
  emit('done', stats);
}

async function hold() {
  const startedAt = Date.now();
  const lock = await service.acquire(config.key, options);
  emit('acquired', { startedAt, token: lock.token, owner: lock.owner, lockTime: lock.lockTime });
  await sleep(3_600_000); // stays: holds until the test kills it, not a wait for anything
}

async function take() {
  let attempts = 0;
  while (Date.now() < deadline) {
    attempts++;
    const startedAt = Date.now();
    try {
      const lock = await service.acquire(config.key, options);
      emit('done', { acquired: true, attempts, startedAt, token: lock.token, owner: lock.owner, lockTime: lock.lockTime });
      return;
    } catch (error) {
      if (!(error instanceof AlreadyLockedError)) throw error;
      emit('refused', { holder: error.holder });
    }
    await sleep(config.pollMs ?? 200); // stays: this poller's own interval, the behaviour under test
  }
  emit('done', { acquired: false, attempts });
}

async function releaseAfter() {
  const lock = await service.acquire(config.key, options);
  emit('acquired', { token: lock.token, owner: lock.owner });
  await sleep(config.holdMs); // stays: the hold before the release, the time under test
  await service.release(lock);
  emit('released', { token: lock.token });
}

async function wait() {
  const lock = await service.acquire(config.key, { ...options, waitForLock: config.waitForLock });
  emit('done', { acquired: true, token: lock.token, owner: lock.owner });
}

async function lead() {
  const leadership = service.lead(config.key, {
    expire: config.expire,
    onElected: (term) => {
      const { token, owner } = term.lock;
      ledger(`acquire ${token} ${owner} ${Date.now()}`);
      emit('elected', { token, owner });
      term.signal.addEventListener('abort', () => {
        ledger(`release ${token} ${owner} ${Date.now()}`);
        emit('deposed', { token, owner, reason: String(term.signal.reason?.message ?? term.signal.reason) });
      });
    },
  });
  // The leadership keeps the process alive until stopped.
  await new Promise((resolve) => process.once('SIGTERM', resolve));
  await leadership.stop();
  emit('stopped');
}

const run = { cycles, hold, take, 'release-after': releaseAfter, wait, lead }[config.mode];
// Node and the SDK take a while to load on a busy machine: tests time from here.
emit('started');
run().then(
  () => process.exit(0),
  (error) => {
    emit('error', { name: error.name, message: error.message });
    process.exit(1);
  },
);
