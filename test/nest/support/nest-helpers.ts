import type { S3Client } from '@aws-sdk/client-s3';
import { afterEach } from '@jest/globals';
import type { LoggerService } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import { testClient } from '../../support/s3-env.js';

export { aborted, waitFor } from '../../support/wait.js';

/** A Nest logger that keeps its lines, so tests can assert what a person on call would read. */
export class MemoryNestLogger implements LoggerService {
  readonly lines: { level: string; message: string; context?: string }[] = [];
  log(message: unknown, context?: string): void {
    this.add('log', message, context);
  }
  warn(message: unknown, context?: string): void {
    this.add('warn', message, context);
  }
  error(message: unknown, _trace?: string, context?: string): void {
    this.add('error', message, context);
  }
  debug(message: unknown, context?: string): void {
    this.add('debug', message, context);
  }
  verbose(message: unknown, context?: string): void {
    this.add('verbose', message, context);
  }
  /** Lines of the library's context (`S3Lock`), optionally of one level. */
  s3Lock(level?: string): string[] {
    return this.lines.filter((l) => l.context === 'S3Lock' && (!level || l.level === level)).map((l) => l.message);
  }
  private add(level: string, message: unknown, context?: string): void {
    this.lines.push({ level, message: String(message), context });
  }
}

/**
 * S3 requests a client sent, by command name (`PutObjectCommand`, `GetObjectCommand`, ...), and
 * by command and outcome (`PutObjectCommand:ok`, `PutObjectCommand:412`, `GetObjectCommand:404`).
 */
export type RequestCounts = Record<string, number>;

/**
 * A client for the test store that counts every command it sends and how it ended, so tests
 * can prove how many times a lock was written: each successful `PutObject` is one acquisition,
 * extension or release.
 */
export function countingClient(): { client: S3Client; counts: RequestCounts; reset(): void } {
  const client = testClient();
  const counts: RequestCounts = {};
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = context.commandName ?? 'unknown';
      const count = (label: string) => (counts[label] = (counts[label] ?? 0) + 1);
      count(name);
      try {
        const result = await next(args);
        count(`${name}:ok`);
        return result;
      } catch (error) {
        const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
        count(`${name}:${status ?? 'failed'}`);
        throw error;
      }
    },
    { step: 'initialize', name: 'countRequests' },
  );
  return {
    client,
    counts,
    reset: () => {
      for (const name of Object.keys(counts)) delete counts[name];
    },
  };
}

/** A promise and its resolver, to hold a decorated method in the middle of its run. */
export function gate(): { promise: Promise<void>; open(): void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

/** The applications a test file starts; each one is closed after the test that started it. */
export function closeAfterEach(): TestingModule[] {
  const apps: TestingModule[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });
  return apps;
}
