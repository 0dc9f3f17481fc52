import {
  DeleteObjectCommand,
  type DeleteObjectCommandInput,
  GetObjectCommand,
  type GetObjectCommandInput,
  HeadObjectCommand,
  type HeadObjectCommandInput,
  ListObjectsV2Command,
  type ListObjectsV2CommandInput,
  NoSuchKey,
  NotFound,
  PutObjectCommand,
  type PutObjectCommandInput,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { sameEtag } from '../protocol/lock-store.js';

/** One object held by {@link InMemoryS3Client}. */
interface StoredObject {
  body: Buffer;
  /** Quoted MD5 of the body, as S3 returns it for a single-part upload. */
  etag: string;
  /** Truncated to the second, as S3 reports it. */
  lastModified: Date;
  metadata: Record<string, string>;
  contentType: string | undefined;
}

/** What {@link InMemoryS3Client.send} is given: any command of `@aws-sdk/client-s3`. */
type AnyCommand = { input: unknown };

const MAX_KEYS = 1000;

/**
 * **For tests only.** An `S3Client` that keeps objects in memory instead of talking to S3,
 * so an application using `S3LockService`, `@WithS3Lock` or `S3LockModule` can be tested
 * without a server. The lock protocol runs unchanged on top of it; only the store is replaced.
 *
 * It implements what the lock needs with S3's semantics: `GetObject`, `HeadObject`, `PutObject`
 * with `If-None-Match: *` and `If-Match` (412 `PreconditionFailed` when the condition fails),
 * `DeleteObject` and `ListObjectsV2`; ETags are the quoted MD5 of the body, `LastModified` is
 * truncated to the second, `Metadata` is kept, and a missing key fails like S3 (`NoSuchKey`,
 * HTTP 404). Every bucket exists and starts empty. Operations are atomic (one process, one
 * thread), so conditional writes behave as on a store that enforces them.
 *
 * The store's clock is this process's clock, so lock expiry is real time: use a short `expire`
 * (1 or 2 seconds) to see a lock expire in a test. Objects live as long as the client; share one
 * client between services to simulate replicas, use a new one per test to start empty.
 *
 * @example
 * const locks = new S3LockService({ bucket: 'test', client: new InMemoryS3Client() });
 * const lock = await locks.acquire('nightly-report');
 *
 * @example
 * // a Nest testing module with the decorated services of the application
 * Test.createTestingModule({
 *   imports: [S3LockModule.forRoot({ bucket: 'test', client: new InMemoryS3Client() })],
 *   providers: [ReportService],
 * });
 */
export class InMemoryS3Client extends S3Client {
  private readonly buckets = new Map<string, Map<string, StoredObject>>();

  constructor() {
    // Never used to reach a network: `send` is answered in memory. Fixed settings keep the
    // base class from reading the environment or shared AWS config files.
    super({
      region: 'us-east-1',
      credentials: { accessKeyId: 'in-memory', secretAccessKey: 'in-memory' },
    });
    // Assigned rather than overridden, so `send` keeps the base class's typed overloads
    // (a command's output type) for callers.
    this.send = ((command: AnyCommand, options?: unknown, callback?: unknown) =>
      this.sendInMemory(command, options, callback)) as S3Client['send'];
  }

  /**
   * Answers a command from memory. Supports `GetObjectCommand`, `HeadObjectCommand`,
   * `PutObjectCommand`, `DeleteObjectCommand` and `ListObjectsV2Command`; any other command
   * is rejected with an error naming it. Callback-style calls are not supported.
   */
  private sendInMemory(command: AnyCommand, options: unknown, callback: unknown): Promise<unknown> {
    if (typeof options === 'function' || callback !== undefined) {
      throw new TypeError('InMemoryS3Client supports only promise-style send(command[, options]).');
    }
    const signal = (options as { abortSignal?: AbortSignal } | undefined)?.abortSignal;
    // Answered on a later tick, as a real client would; the operation itself runs at once
    // and atomically.
    return Promise.resolve().then(() => {
      if (signal?.aborted) throw abortError();
      return this.answer(command);
    });
  }

  /** Removes every object of every bucket. */
  clear(): void {
    this.buckets.clear();
  }

  /** The keys currently stored in `bucket`, sorted: for assertions in tests. */
  keys(bucket: string): string[] {
    return [...(this.buckets.get(bucket)?.keys() ?? [])].sort();
  }

  private answer(command: AnyCommand): unknown {
    if (command instanceof GetObjectCommand) return this.getObject(command.input);
    if (command instanceof HeadObjectCommand) return this.headObject(command.input);
    if (command instanceof PutObjectCommand) return this.putObject(command.input);
    if (command instanceof DeleteObjectCommand) return this.deleteObject(command.input);
    if (command instanceof ListObjectsV2Command) return this.listObjects(command.input);
    const name = (command as { constructor?: { name?: string } }).constructor?.name ?? typeof command;
    throw new Error(
      `InMemoryS3Client does not support ${name}; it implements GetObject, HeadObject, PutObject, DeleteObject and ListObjectsV2.`,
    );
  }

  private getObject(input: GetObjectCommandInput) {
    const object = this.bucket(input.Bucket).get(requireKey(input.Key));
    if (!object) throw noSuchKey();
    return {
      ...describe(object),
      Body: bodyStream(object.body),
      $metadata: ok(),
    };
  }

  private headObject(input: HeadObjectCommandInput) {
    const object = this.bucket(input.Bucket).get(requireKey(input.Key));
    if (!object) {
      throw new NotFound({ message: 'Not Found', $metadata: { httpStatusCode: 404 } });
    }
    return { ...describe(object), $metadata: ok() };
  }

  private putObject(input: PutObjectCommandInput) {
    const bucket = this.bucket(input.Bucket);
    const key = requireKey(input.Key);
    const current = bucket.get(key);
    if (input.IfNoneMatch !== undefined) {
      if (input.IfNoneMatch !== '*') {
        throw new Error('InMemoryS3Client: PutObject supports If-None-Match only with "*", as S3 does.');
      }
      if (current) throw preconditionFailed();
    }
    if (input.IfMatch !== undefined) {
      // S3 answers 404 for If-Match on a missing key, 412 for an ETag that does not match.
      if (!current) throw noSuchKey();
      if (!etagMatches(input.IfMatch, current.etag)) throw preconditionFailed();
    }
    const body = toBuffer(input.Body);
    const stored: StoredObject = {
      body,
      etag: `"${createHash('md5').update(body).digest('hex')}"`,
      lastModified: wholeSecond(new Date()),
      metadata: lowerCaseKeys(input.Metadata ?? {}),
      contentType: input.ContentType,
    };
    bucket.set(key, stored);
    return { ETag: stored.etag, $metadata: ok() };
  }

  private deleteObject(input: DeleteObjectCommandInput) {
    const bucket = this.bucket(input.Bucket);
    const key = requireKey(input.Key);
    const current = bucket.get(key);
    if (input.IfMatch !== undefined && current && !etagMatches(input.IfMatch, current.etag)) {
      throw preconditionFailed();
    }
    bucket.delete(key);
    return { $metadata: { httpStatusCode: 204 } };
  }

  private listObjects(input: ListObjectsV2CommandInput) {
    const prefix = input.Prefix ?? '';
    const maxKeys = Math.min(Math.max(input.MaxKeys ?? MAX_KEYS, 0), MAX_KEYS);
    const after = input.ContinuationToken ?? input.StartAfter ?? '';
    const bucket = this.bucket(input.Bucket);
    const keys = [...bucket.keys()].filter((k) => k.startsWith(prefix) && k > after).sort();
    const contents: { Key: string; ETag: string; LastModified: Date; Size: number }[] = [];
    const commonPrefixes = new Set<string>();
    let truncated = false;
    let lastKey = after;
    for (const key of keys) {
      const delimiterAt = input.Delimiter ? key.indexOf(input.Delimiter, prefix.length) : -1;
      const common = delimiterAt >= 0 ? key.slice(0, delimiterAt + input.Delimiter!.length) : null;
      if (common !== null && commonPrefixes.has(common)) continue;
      if (contents.length + commonPrefixes.size >= maxKeys) {
        truncated = true;
        break;
      }
      lastKey = key;
      if (common !== null) {
        commonPrefixes.add(common);
        continue;
      }
      const object = bucket.get(key)!;
      contents.push({ Key: key, ETag: object.etag, LastModified: object.lastModified, Size: object.body.length });
    }
    return {
      Contents: contents,
      CommonPrefixes: [...commonPrefixes].map((Prefix) => ({ Prefix })),
      KeyCount: contents.length + commonPrefixes.size,
      MaxKeys: maxKeys,
      Prefix: prefix,
      IsTruncated: truncated,
      ...(truncated ? { NextContinuationToken: lastKey } : {}),
      $metadata: ok(),
    };
  }

  private bucket(name: string | undefined): Map<string, StoredObject> {
    if (!name) throw new Error('InMemoryS3Client: the command has no Bucket.');
    let bucket = this.buckets.get(name);
    if (!bucket) {
      bucket = new Map();
      this.buckets.set(name, bucket);
    }
    return bucket;
  }
}

function describe(object: StoredObject) {
  return {
    ETag: object.etag,
    LastModified: object.lastModified,
    ContentLength: object.body.length,
    ContentType: object.contentType,
    Metadata: { ...object.metadata },
  };
}

function ok() {
  return { httpStatusCode: 200, attempts: 1, totalRetryDelay: 0 };
}

function requireKey(key: string | undefined): string {
  if (!key) throw new Error('InMemoryS3Client: the command has no Key.');
  return key;
}

function noSuchKey(): NoSuchKey {
  return new NoSuchKey({
    message: 'The specified key does not exist.',
    $metadata: { httpStatusCode: 404 },
  });
}

function preconditionFailed(): S3ServiceException {
  return new S3ServiceException({
    name: 'PreconditionFailed',
    $fault: 'client',
    message: 'At least one of the pre-conditions you specified did not hold',
    $metadata: { httpStatusCode: 412 },
  });
}

function abortError(): Error {
  const error = new Error('Request aborted');
  error.name = 'AbortError';
  return error;
}

/** S3 takes the ETag quoted (RFC 9110); compare leniently so an unquoted one matches too. */
function etagMatches(condition: string, etag: string): boolean {
  return condition.trim() === '*' || sameEtag(condition.trim(), etag);
}

function wholeSecond(time: Date): Date {
  return new Date(Math.floor(time.getTime() / 1000) * 1000);
}

function lowerCaseKeys(metadata: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(metadata).map(([k, v]) => [k.toLowerCase(), String(v)]));
}

function toBuffer(body: unknown): Buffer {
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (body instanceof Uint8Array) return Buffer.from(body);
  throw new TypeError('InMemoryS3Client: PutObject supports a string or Uint8Array Body only.');
}

/** A body stream with the SDK's `transformTo*` helpers, like the one `GetObject` returns. */
function bodyStream(body: Buffer) {
  const copy = Buffer.from(body);
  return Object.assign(Readable.from([copy]), {
    transformToString: (encoding: BufferEncoding = 'utf-8') => Promise.resolve(copy.toString(encoding)),
    transformToByteArray: () => Promise.resolve(new Uint8Array(copy)),
    transformToWebStream: () => Readable.toWeb(Readable.from([copy])),
  });
}
