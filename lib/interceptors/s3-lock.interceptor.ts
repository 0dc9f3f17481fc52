import {
  type CallHandler,
  ConflictException,
  type ExecutionContext,
  Inject,
  Injectable,
  type NestInterceptor,
  Optional,
} from '@nestjs/common';
import { catchError, type Observable, throwError } from 'rxjs';
import { AlreadyLockedError } from '../errors/already-locked.error.js';
import { S3LockError } from '../errors/s3-lock.error.js';
import { S3LockRunner } from '../runner/s3-lock.runner.js';
import { messages } from '../s3-lock.messages.js';

/**
 * The HTTP face of the lock: turns an `AlreadyLockedError` from a handler (a `@WithS3Lock`
 * handler with `onLocked: 'throw'`, or a locked service method the handler called) into
 * `409 Conflict`, without naming the holder. Everything else passes through unchanged.
 *
 * `@WithS3Lock` adds it to the method it decorates; put it on a controller with
 * `@UseInterceptors(S3LockInterceptor)` to cover its other handlers. The lock itself is taken
 * inside the decorated method, once per call, with the arguments the handler receives.
 */
@Injectable()
export class S3LockInterceptor implements NestInterceptor {
  constructor(@Optional() @Inject(S3LockRunner) runner?: S3LockRunner) {
    // Nest creates this interceptor in every module with a @WithS3Lock method: failing here
    // makes a missing S3LockModule a startup error with a clear message.
    if (!runner) throw new S3LockError(messages.moduleMissing());
  }

  /** Maps a lock conflict to `409 Conflict` on HTTP; passes everything else through. */
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(
      catchError((error: unknown) =>
        throwError(() =>
          error instanceof AlreadyLockedError && context.getType() === 'http'
            ? new ConflictException(messages.conflict())
            : error,
        ),
      ),
    );
  }
}
