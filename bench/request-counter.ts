import type { S3Client } from '@aws-sdk/client-s3';

/**
 * Requests sent, by command, condition header and HTTP status, e.g.
 * `{ 'PutObject[If-Match] 200': 3, 'PutObject[If-None-Match] 412': 1, 'GetObject 404': 1 }`.
 */
export type RequestTally = Record<string, number>;

/** The name under which the counter sits in a client's middleware stack. */
const MIDDLEWARE_NAME = 'benchRequestCounter';

/**
 * Counts every HTTP request an `S3Client` sends, by command name, condition header (`If-Match`,
 * `If-None-Match`) and HTTP status.
 *
 * Where it sits, precisely: the `deserialize` step with priority `low`, the innermost slot of the
 * SDK's middleware stack, right before the HTTP handler. The SDK's retry middleware sits at
 * `finalizeRequest` (priority `high`), outside it, so this counter runs once per HTTP attempt:
 * a request the SDK retries is counted once per attempt, each with its own status. A request
 * that got no HTTP answer (time-out, reset connection) is counted with status `network-error`.
 * Whatever the lock library does above the SDK (its own re-reads and retries) goes through the
 * stack again and is counted too.
 */
export class RequestCounter {
  private tally: RequestTally = {};
  /** Milliseconds of every HTTP attempt since the last `reset`, when `recordLatency` is on. */
  readonly latencies: number[] = [];
  /** Whether to record `latencies` (off by default: it grows with every request). */
  recordLatency = false;

  /** Installs the counter on `client` (idempotent) and returns the client. */
  attach(client: S3Client): S3Client {
    client.middlewareStack.remove(MIDDLEWARE_NAME);
    const middleware =
      (next: (args: unknown) => Promise<{ response: unknown }>, context: { commandName?: string }) =>
      async (args: unknown) => {
        const command = (context.commandName ?? 'Unknown').replace(/Command$/, '') + condition(args);
        const started = performance.now();
        try {
          const result = await next(args);
          if (this.recordLatency) this.latencies.push(performance.now() - started);
          this.add(command, (result.response as { statusCode?: number }).statusCode ?? 'unknown');
          return result;
        } catch (error) {
          const status = (error as { $response?: { statusCode?: number } }).$response?.statusCode;
          this.add(command, status ?? 'network-error');
          throw error;
        }
      };
    (client.middlewareStack.add as (mw: unknown, options: object) => void)(middleware, {
      step: 'deserialize',
      priority: 'low',
      name: MIDDLEWARE_NAME,
    });
    return client;
  }

  /** Total requests counted since the last `reset`. */
  get total(): number {
    return Object.values(this.tally).reduce((sum, n) => sum + n, 0);
  }

  /** A copy of the tally since the last `reset`. */
  snapshot(): RequestTally {
    return { ...this.tally };
  }

  /** Starts counting from zero. */
  reset(): void {
    this.tally = {};
    this.latencies.length = 0;
  }

  private add(command: string, status: number | string): void {
    const name = `${command} ${status}`;
    this.tally[name] = (this.tally[name] ?? 0) + 1;
  }
}

/** `[If-Match]` or `[If-None-Match]` when the request carries that header, else ''. */
function condition(args: unknown): string {
  const headers = (args as { request?: { headers?: Record<string, string> } }).request?.headers ?? {};
  if ('if-none-match' in headers || 'If-None-Match' in headers) return '[If-None-Match]';
  if ('if-match' in headers || 'If-Match' in headers) return '[If-Match]';
  return '';
}

/** Adds `b` into `a`. */
export function mergeTally(a: RequestTally, b: RequestTally): RequestTally {
  for (const [name, n] of Object.entries(b)) a[name] = (a[name] ?? 0) + n;
  return a;
}
