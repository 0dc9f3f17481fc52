import {
  DeleteObjectCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  GetObjectCommand,
  type GetObjectCommandOutput,
  HeadObjectCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { S3LockStoreError } from '../errors/s3-lock-store.error.js';
import { UnsupportedStoreError } from '../errors/unsupported-store.error.js';
import { protocolMessages } from './protocol.messages.js';
import { MAX_DOCUMENT_BYTES } from './lock-document.js';
import { type ClassifiedFailure, classifyS3Error, storeErrorDetails } from './s3-errors.js';
import { ServerClock } from './server-clock.js';
import { backoff } from './backoff.js';
import { bareEtag, type ListResult, type LockStore, type ReadResult, sameEtag, type WriteResult } from './lock-store.js';
import { type LockTimers, realTimers } from './timers.js';

export { bareEtag, type ReadResult, type StoredObject, type WriteResult } from './lock-store.js';

/** Settings of the S3 I/O layer. */
export interface S3StoreSettings {
  requestTimeoutMs: number;
  maxAttempts: number;
  expectedBucketOwner?: string;
}

type EtagForm = 'unknown' | 'quoted' | 'unquoted';

/**
 * Whether a write was answered with a refused condition (412), including after the SDK's own
 * retries (which make the outcome unknown, but still say the store refused the last attempt).
 */
function refused(result: WriteResult): boolean {
  return result.outcome === 'precondition-failed' || (result.outcome === 'unknown' && result.failure.kind === 'precondition');
}

/**
 * All S3 requests of the lock protocol: reads, conditional writes, and what is learned from the
 * answers (the store's clock, which ETag form the store accepts in `If-Match`).
 */
export class S3Store implements LockStore {
  /** The store's clock, fed by every answer's `Date` header. */
  readonly clock: ServerClock;
  /**
   * AWS S3 takes `If-Match` with the quoted ETag (RFC 9110); RGW and DigitalOcean Spaces only
   * without quotes. Learned from the first `If-Match` (or the store check), then kept.
   */
  private etagForm: EtagForm = 'unknown';

  constructor(
    private readonly client: S3Client,
    readonly bucket: string,
    private readonly settings: S3StoreSettings,
    private readonly timers: LockTimers = realTimers,
  ) {
    this.clock = new ServerClock(() => timers.now(), () => timers.steadyNow?.() ?? timers.now());
  }

  /**
   * Reads an object, retrying transient failures with backoff (up to `maxAttempts` requests,
   * the configured number unless given); throws on anything else.
   */
  async read(objectKey: string, maxAttempts = this.settings.maxAttempts): Promise<ReadResult> {
    for (let attempt = 1; ; attempt++) {
      const sent = await this.send<GetObjectCommandOutput>(new GetObjectCommand(this.input(objectKey)));
      if (sent.ok) {
        const out = sent.output;
        const body = await this.readBody(out);
        if (body.ok) {
          return {
            serverTime: sent.serverTime,
            object: {
              body: body.text,
              size: out.ContentLength ?? 0,
              etag: out.ETag ?? '',
              lastModified: out.LastModified ?? sent.serverTime,
              metadata: out.Metadata,
            },
          };
        }
        this.throwUnlessRetryable('GetObject', objectKey, body.failure, attempt, maxAttempts);
        await backoff(attempt, this.timers);
        continue;
      }
      if (sent.failure.kind === 'not-found') return { object: null, serverTime: sent.serverTime };
      this.throwUnlessRetryable('GetObject', objectKey, sent.failure, attempt, maxAttempts);
      await backoff(attempt, this.timers);
    }
  }

  /**
   * Reads a body within `requestTimeoutMs`. A body that stalls or breaks off is a transient
   * failure like any other; one larger than a lock document can be is not read (`text` null).
   */
  private async readBody(
    out: GetObjectCommandOutput,
  ): Promise<{ ok: true; text: string | null } | { ok: false; failure: ClassifiedFailure }> {
    const stream = out.Body as (GetObjectCommandOutput['Body'] & { destroy?: () => void }) | undefined;
    if ((out.ContentLength ?? 0) > MAX_DOCUMENT_BYTES) {
      stream?.destroy?.();
      return { ok: true, text: null };
    }
    let timer: NodeJS.Timeout | undefined;
    const stalled = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(Object.assign(new Error('the body stalled'), { name: 'TimeoutError' })),
        this.settings.requestTimeoutMs,
      );
    });
    try {
      return { ok: true, text: (await Promise.race([stream?.transformToString('utf-8') ?? '', stalled])) };
    } catch (error) {
      stream?.destroy?.();
      return { ok: false, failure: classifyS3Error(error) };
    } finally {
      clearTimeout(timer);
    }
  }

  /** Writes only if no object exists at the key (`If-None-Match: *`). */
  create(objectKey: string, body: string, metadata: Record<string, string>): Promise<WriteResult> {
    return this.put(objectKey, body, metadata, { IfNoneMatch: '*' });
  }

  /** Writes only if the object's ETag is still `etag` (`If-Match`), in the form the store takes. */
  async replace(
    objectKey: string,
    etag: string,
    body: string,
    metadata: Record<string, string>,
  ): Promise<WriteResult> {
    if (this.etagForm !== 'unknown') {
      return this.put(objectKey, body, metadata, { IfMatch: this.formatEtag(etag, this.etagForm) });
    }
    const quoted = await this.put(objectKey, body, metadata, { IfMatch: this.formatEtag(etag, 'quoted') });
    if (quoted.outcome === 'written') this.etagForm = 'quoted';
    if (!refused(quoted) || !(await this.etagIsStill(objectKey, etag))) return quoted;
    // Refused although the ETag did not change (so nothing of ours landed): the store wants it
    // without quotes.
    const bare = await this.put(objectKey, body, metadata, { IfMatch: bareEtag(etag) });
    if (bare.outcome === 'written') this.etagForm = 'unquoted';
    if (refused(bare) && (await this.etagIsStill(objectKey, etag))) {
      throw new UnsupportedStoreError('etag', protocolMessages.storeRejectsOwnEtag(this.bucket, objectKey));
    }
    return bare;
  }

  /** An unconditional write: only for the `write-wait-verify` mode and the store check. */
  putUnconditional(objectKey: string, body: string, metadata: Record<string, string>): Promise<WriteResult> {
    return this.put(objectKey, body, metadata, {});
  }

  /** Deletes an object unconditionally: only for the store check's own probe object. */
  async deleteProbe(objectKey: string): Promise<void> {
    await this.send(new DeleteObjectCommand(this.input(objectKey)));
  }

  /**
   * Object keys under `prefix`, in key order: one `ListObjectsV2` per 1000 keys, each with the
   * request time-out and `ExpectedBucketOwner` of every other request.
   */
  async list(prefix: string, limit: number): Promise<ListResult> {
    const objectKeys: string[] = [];
    let token: string | undefined;
    // Bounded: each page holds up to 1000 keys, and the loop stops once `limit` keys are found.
    for (let page = 0; page <= Math.ceil(limit / 1000) + 1; page++) {
      const sent = await this.send<ListObjectsV2CommandOutput>(
        new ListObjectsV2Command({ ...this.bucketInput(), Prefix: prefix, ContinuationToken: token }),
      );
      if (!sent.ok) {
        const denied = sent.failure.status === 403 && sent.failure.code === 'AccessDenied';
        throw this.storeError('ListObjectsV2', prefix, denied ? { ...sent.failure, advice: protocolMessages.listDenied() } : sent.failure);
      }
      for (const object of sent.output.Contents ?? []) {
        if (objectKeys.length >= limit) return { objectKeys, truncated: true };
        objectKeys.push(object.Key ?? '');
      }
      if (!sent.output.IsTruncated || !sent.output.NextContinuationToken) return { objectKeys, truncated: false };
      token = sent.output.NextContinuationToken;
    }
    return { objectKeys, truncated: true };
  }

  private async etagIsStill(objectKey: string, etag: string): Promise<boolean> {
    const sent = await this.send<{ ETag?: string }>(new HeadObjectCommand(this.input(objectKey)));
    if (!sent.ok) return false;
    return sameEtag(sent.output.ETag ?? '', etag);
  }

  private formatEtag(etag: string, form: Exclude<EtagForm, 'unknown'>): string {
    return form === 'quoted' ? `"${bareEtag(etag)}"` : bareEtag(etag);
  }

  private async put(
    objectKey: string,
    body: string,
    metadata: Record<string, string>,
    condition: { IfMatch?: string; IfNoneMatch?: string },
  ): Promise<WriteResult> {
    const command = new PutObjectCommand({
      ...this.input(objectKey),
      ...condition,
      Body: body,
      ContentType: 'application/json',
      Metadata: metadata,
    });
    const sent = await this.send<{ ETag?: string }>(command);
    if (sent.ok) return { outcome: 'written', etag: sent.output.ETag ?? '' };
    // If-Match on a missing object: AWS answers 404, others 412. Either way the condition failed,
    // unless the SDK had retried: then the refusal may answer our own first attempt.
    if (sent.failure.kind === 'precondition' || sent.failure.kind === 'not-found') {
      return sent.failure.retried ? { outcome: 'unknown', failure: sent.failure } : { outcome: 'precondition-failed' };
    }
    if (sent.failure.kind === 'unknown') return { outcome: 'unknown', failure: sent.failure };
    throw this.storeError('PutObject', objectKey, sent.failure);
  }

  /** Throws unless `failure` is transient and attempts remain. */
  private throwUnlessRetryable(operation: string, objectKey: string, failure: ClassifiedFailure, attempt: number, maxAttempts: number): void {
    if (failure.kind !== 'unknown' || attempt >= maxAttempts) {
      throw this.storeError(operation, objectKey, failure);
    }
  }

  /** The error for a failure that ends an operation. */
  private storeError(operation: string, objectKey: string, failure: ClassifiedFailure): S3LockStoreError {
    return new S3LockStoreError(
      operation,
      protocolMessages.storeError(
        operation,
        this.bucket,
        objectKey,
        failure.detail,
        failure.advice || 'The store kept failing; retry later.',
      ),
      storeErrorDetails(failure),
    );
  }

  private input(objectKey: string) {
    return { ...this.bucketInput(), Key: objectKey };
  }

  private bucketInput() {
    return {
      Bucket: this.bucket,
      ...(this.settings.expectedBucketOwner
        ? { ExpectedBucketOwner: this.settings.expectedBucketOwner }
        : {}),
    };
  }

  /**
   * Sends one command with a time-out, capturing the `Date` header of the answer (success or
   * error) into the store's clock. Never throws for S3 answers; returns them classified.
   */
  private async send<Output>(
    command: { middlewareStack: { add: (...args: never[]) => void } } & object,
  ): Promise<
    | { ok: true; output: Output; serverTime: Date }
    | { ok: false; failure: ClassifiedFailure; serverTime: Date }
  > {
    let dateHeader: string | undefined;
    let receivedAt = 0;
    const steadyNow = (): number => this.timers.steadyNow?.() ?? this.timers.now();
    const sentAt = steadyNow();
    const capture = (next: (a: unknown) => Promise<{ response: unknown }>) => async (args: unknown) => {
      const result = await next(args);
      dateHeader = (result.response as { headers?: Record<string, string> }).headers?.date;
      receivedAt = steadyNow();
      return result;
    };
    (command.middlewareStack.add as (mw: unknown, opts: object) => void)(capture, {
      step: 'deserialize',
      priority: 'low',
      name: 's3LockCaptureDate',
    });
    // Without a Date header, the earliest the store's time can be: expiry is never judged early.
    const serverTime = () => this.clock.observe(dateHeader, sentAt, receivedAt) ?? this.clock.earliest();
    try {
      const output = (await this.client.send(command as never, {
        abortSignal: AbortSignal.timeout(this.settings.requestTimeoutMs),
      })) as Output;
      return { ok: true, output, serverTime: serverTime() };
    } catch (error) {
      return { ok: false, failure: classifyS3Error(error), serverTime: serverTime() };
    }
  }
}
