import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/** The default readable name of this worker: `<host name>:<pid>`. */
export function defaultWorkerName(): string {
  return `${hostname()}:${process.pid}`;
}

/** A fresh owner for one acquisition: `<worker name>:<8 hex digits>`. */
export function freshOwner(workerName: string): string {
  return `${workerName}:${randomId(4)}`;
}

/** A random hex id of `bytes` bytes. */
export function randomId(bytes = 8): string {
  return randomBytes(bytes).toString('hex');
}
