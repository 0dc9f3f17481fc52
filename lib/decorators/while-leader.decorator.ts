import { SetMetadata } from '@nestjs/common';
import type { S3LockLeadershipOptions } from '../interfaces/leadership.interface.js';
import { S3_LOCK_LEADER_METADATA } from '../s3-lock.internal-constants.js';
import { objectKeyFor, validInteger } from '../protocol/validation.js';
import { messages } from '../s3-lock.messages.js';

/** What `@WhileLeader` records on a method. */
export interface WhileLeaderMetadata {
  key: string;
  options: Readonly<Omit<S3LockLeadershipOptions, 'onElected' | 'onDeposed' | 'signal'>>;
}

/**
 * Runs the decorated method on one replica at a time, once for each term while this replica is
 * the leader of `key` (see `S3LockService.lead`): a singleton worker (a queue consumer, a poller,
 * a feed) with failover. Leadership starts once the application has bootstrapped and stops at
 * shutdown (the term's signal aborts, the method is given `shutdownTimeout` to return, then the
 * lock is released so another replica takes over at once). Inside the method, `currentS3Lock()`
 * (and the method's first argument) gives the term's fencing `token` and `signal`: stop working
 * when it aborts, since another replica may be about to lead. A method that returns early keeps
 * the leadership until the term ends; one that throws is logged. On providers only.
 *
 * @param key the leadership's lock key
 * @param options `expire` (the lease, seconds; default 15) and `stopTimeoutMs`
 *
 * @example
 * \@Injectable()
 * export class OutboxRelay {
 *   \@WhileLeader('outbox-relay', { expire: 10 })
 *   async relay() {
 *     const { token, signal } = currentS3Lock()!;
 *     while (!signal.aborted) await this.relayBatch(token, signal);
 *   }
 * }
 */
export function WhileLeader(key: string, options: WhileLeaderMetadata['options'] = {}): MethodDecorator {
  objectKeyFor('', key);
  if (options.expire !== undefined) validInteger(options.expire, 'expire', 2, 2 ** 31 - 1);
  const metadata: WhileLeaderMetadata = { key, options: Object.freeze({ ...options }) };
  return (target, propertyKey, descriptor) => {
    if (typeof descriptor.value !== 'function') {
      throw new TypeError(messages.notAMethod('@WhileLeader', String(propertyKey)));
    }
    return SetMetadata(S3_LOCK_LEADER_METADATA, metadata)(target, propertyKey, descriptor);
  };
}
