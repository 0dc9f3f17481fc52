import {
  Agent,
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  request as httpRequest,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A fault-injecting HTTP proxy between the AWS SDK and a real S3 store, for tests.
 *
 * It listens on 127.0.0.1 (a random port) and forwards every request unchanged (Host header
 * included, so SigV4 signatures still verify at the store) unless a rule says otherwise.
 * Rules match requests by S3 operation, method, path and headers, and fire on the n-th match,
 * a number of times, or with a probability drawn from a seeded generator (runs repeat).
 * Every request is recorded with the action taken.
 *
 * @example
 * const proxy = await FaultProxy.start({ upstream: s3Endpoint() });
 * const client = testClient({ endpoint: proxy.url, maxAttempts: 1 });
 * proxy.add({ match: { operation: 'PutObject', header: 'if-match' }, action: { kind: 'drop-response' } });
 * // ... the next conditional replace lands at the store, and the client never hears back.
 * await proxy.close();
 */

/** What the proxy does with a request. */
export type FaultAction =
  /** Forward and relay the answer (the default). */
  | { kind: 'forward' }
  /** Forward; when the store has answered, destroy the client's socket: the write landed, the client never hears. */
  | { kind: 'drop-response' }
  /** Hold the request `ms` milliseconds, then forward it, even if the client gave up meanwhile. */
  | { kind: 'delay'; ms: number }
  /**
   * Answer with an S3-style XML error. Without `forward` the store never sees the request;
   * with it, the request is forwarded first and the store's real answer is replaced (RGW's
   * "500 to a race loser", or a write that landed but was answered with an error).
   */
  | { kind: 'error'; status: number; code: string; message?: string; forward?: boolean }
  /** Reset the client's connection (TCP RST), without forwarding. */
  | { kind: 'reset' }
  /**
   * Forward; relay the status, headers and half of the body, then send nothing more (for
   * `ms` milliseconds, then reset; or until the client or the proxy closes). An answer
   * without a body is held back entirely: the write landed, the headers never come.
   */
  | { kind: 'stall'; ms?: number }
  /**
   * Run `run` first (e.g. let a competitor write, deterministically), then do what it returns
   * (forward by default). Counted under the returned action's kind.
   */
  | { kind: 'hook'; run: (request: RequestInfo) => Promise<FaultAction | void> };

/** The name of a fault kind, for counts. */
export type FaultKind = Exclude<FaultAction['kind'], 'hook'> | `error-${number}`;

/** The S3 operations the proxy tells apart (path-style addressing). */
export type S3Operation =
  | 'GetObject'
  | 'HeadObject'
  | 'PutObject'
  | 'DeleteObject'
  | 'ListObjects'
  | 'HeadBucket'
  | 'CreateBucket'
  | 'Other';

/** What a rule looks at in a request. Every given field must match. */
export interface RequestMatcher {
  operation?: S3Operation | S3Operation[];
  method?: string;
  /** Matched against the path without the query string, e.g. `/bucket/prefix/key`. */
  path?: string | RegExp;
  /** A header that must be present (name), or present with a value (name and string or RegExp). */
  header?: string | { name: string; value?: string | RegExp };
  /** Any further condition. */
  where?: (request: RequestInfo) => boolean;
}

/** A rule: which requests, what to do, and how often. */
export interface FaultRule {
  /** A name for records and failure messages. */
  name?: string;
  match: RequestMatcher;
  action: FaultAction;
  /** Let this many matching requests pass before firing (`skip: 2` = the 3rd one). @default 0 */
  skip?: number;
  /** How many times to fire; `Infinity` for every match. @default 1 */
  times?: number;
  /** Fire on each (remaining) match with this probability, from the proxy's seeded generator. @default 1 */
  probability?: number;
}

/** A live rule, as returned by `add`: how many requests it matched and faulted. */
export interface RuleHandle {
  readonly rule: FaultRule;
  /** Requests that matched the rule's `match`. */
  readonly matched: number;
  /** Requests the rule acted on. */
  readonly fired: number;
}

/** A request as the rules see it. */
export interface RequestInfo {
  method: string;
  /** Path without the query string. */
  path: string;
  query: string;
  operation: S3Operation;
  headers: IncomingHttpHeaders;
}

/** A request as recorded by the proxy. */
export interface RecordedRequest {
  seq: number;
  at: number;
  method: string;
  path: string;
  operation: S3Operation;
  /** The condition header of a write, if any. */
  condition: 'if-match' | 'if-none-match' | null;
  /** What the proxy did. */
  action: FaultKind;
  /** The rule that decided the action, if any. */
  rule: string | null;
  /** The store's status code, when the request was forwarded and answered. */
  upstreamStatus: number | null;
  /** The status the client received, when it received one. */
  clientStatus: number | null;
}

/** Options of `FaultProxy.start`. */
export interface FaultProxyOptions {
  /** The store's endpoint, e.g. `http://127.0.0.1:7480`. */
  upstream: string;
  /** Seed of the generator used by probabilistic rules. @default 1 */
  seed?: number;
  /** Keep at most this many records (oldest dropped; counts stay exact). @default 100000 */
  maxRecords?: number;
}

/** A small seeded generator (mulberry32): uniform in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Which S3 operation a path-style request is. */
export function operationOf(method: string, path: string, query: string): S3Operation {
  const segments = path.split('/').filter(Boolean);
  const hasKey = segments.length >= 2;
  const params = new URLSearchParams(query);
  if (['uploads', 'uploadId', 'partNumber', 'tagging', 'acl', 'policy'].some((p) => params.has(p))) {
    return 'Other';
  }
  switch (method) {
    case 'GET':
      return hasKey ? 'GetObject' : segments.length === 1 ? 'ListObjects' : 'Other';
    case 'HEAD':
      return hasKey ? 'HeadObject' : segments.length === 1 ? 'HeadBucket' : 'Other';
    case 'PUT':
      return hasKey ? 'PutObject' : segments.length === 1 ? 'CreateBucket' : 'Other';
    case 'DELETE':
      return hasKey ? 'DeleteObject' : 'Other';
    default:
      return 'Other';
  }
}

/** The S3 error body the proxy answers with. */
export function s3ErrorXml(code: string, message: string, resource: string): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    `<Error><Code>${code}</Code><Message>${message}</Message>` +
    `<Resource>${resource.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</Resource>` +
    '<RequestId>fault-proxy</RequestId></Error>'
  );
}

const DEFAULT_MESSAGES: Record<string, string> = {
  InternalError: 'We encountered an internal error. Please try again.',
  SlowDown: 'Please reduce your request rate.',
  ConditionalRequestConflict:
    'A conflicting operation occurred. If using PutObject you can retry the request.',
};

/** Errors S3 answers that tests use often. */
export const S3_FAULTS = {
  internalError: { kind: 'error', status: 500, code: 'InternalError' },
  slowDown: { kind: 'error', status: 503, code: 'SlowDown' },
  conditionalConflict: { kind: 'error', status: 409, code: 'ConditionalRequestConflict' },
} as const satisfies Record<string, FaultAction>;

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'proxy-connection', 'upgrade']);

interface LiveRule extends RuleHandle {
  rule: FaultRule;
  matched: number;
  fired: number;
}

/** The proxy; see the module comment. */
export class FaultProxy {
  /** Every request seen (up to `maxRecords`), in arrival order. */
  readonly requests: RecordedRequest[] = [];
  private readonly rules: LiveRule[] = [];
  private readonly counts = new Map<string, number>();
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly upstream: URL;
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 64 });
  private readonly random: () => number;
  private readonly maxRecords: number;
  private seq = 0;
  private listening = true;

  private constructor(
    private readonly server: Server,
    private port: number,
    options: FaultProxyOptions,
  ) {
    this.upstream = new URL(options.upstream);
    this.random = seededRandom(options.seed ?? 1);
    this.maxRecords = options.maxRecords ?? 100_000;
  }

  /** Starts a proxy to `options.upstream` on 127.0.0.1, on a free port. */
  static async start(options: FaultProxyOptions): Promise<FaultProxy> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const proxy = new FaultProxy(server, (server.address() as AddressInfo).port, options);
    server.on('connection', (socket) => proxy.track(socket));
    server.on('request', (req, res) => proxy.handle(req, res));
    return proxy;
  }

  /** The endpoint to give the S3 client: `http://127.0.0.1:<port>`. */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Adds a rule, after those already present (the first rule that fires decides). */
  add(rule: FaultRule): RuleHandle {
    const live: LiveRule = { rule, matched: 0, fired: 0 };
    this.rules.push(live);
    return live;
  }

  /** Removes one rule, or all of them. */
  remove(handle?: RuleHandle): void {
    if (!handle) {
      this.rules.length = 0;
      return;
    }
    const index = this.rules.indexOf(handle as LiveRule);
    if (index >= 0) this.rules.splice(index, 1);
  }

  /** How many requests got each action (`forward`, `drop-response`, `error-503`, ...), over the proxy's life. */
  countsByAction(): Record<string, number> {
    return Object.fromEntries([...this.counts].sort(([a], [b]) => a.localeCompare(b)));
  }

  /** Requests seen over the proxy's life. */
  get total(): number {
    return this.seq;
  }

  /** Requests that got anything but `forward`. */
  get faulted(): number {
    return this.seq - (this.counts.get('forward') ?? 0);
  }

  /** The recorded requests of one operation (optionally only those carrying a condition header). */
  recorded(operation: S3Operation, condition?: RecordedRequest['condition']): RecordedRequest[] {
    return this.requests.filter(
      (r) => r.operation === operation && (condition === undefined || r.condition === condition),
    );
  }

  /** Forgets the records (counts and rules stay). */
  clearRecords(): void {
    this.requests.length = 0;
  }

  /**
   * Makes the store unreachable: stops listening (new connections are refused) and resets open
   * ones. `restore` listens again on the same port.
   */
  async cutOff(): Promise<void> {
    if (!this.listening) return;
    this.listening = false;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.resetAndDestroy();
    await closed;
  }

  /** Listens again on the same port after `cutOff`. */
  async restore(): Promise<void> {
    if (this.listening) return;
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.port, '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.listening = true;
  }

  /** Stops the proxy: closes every connection and pending timer. */
  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const socket of this.sockets) socket.destroy();
    if (this.listening) {
      this.listening = false;
      await new Promise<void>((resolve) => this.server.close(() => resolve()));
    }
    this.agent.destroy();
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    // A client whose socket the proxy destroys must not crash the proxy.
    socket.on('error', () => undefined);
  }

  private decide(info: RequestInfo): { action: FaultAction; rule: string | null } {
    for (const live of this.rules) {
      const { rule } = live;
      if (!matches(rule.match, info)) continue;
      live.matched++;
      if (live.matched <= (rule.skip ?? 0)) continue;
      if (live.fired >= (rule.times ?? 1)) continue;
      if (rule.probability !== undefined && this.random() >= rule.probability) continue;
      live.fired++;
      return { action: rule.action, rule: rule.name ?? null };
    }
    return { action: { kind: 'forward' }, rule: null };
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const [path, query = ''] = (req.url ?? '/').split('?', 2) as [string, string?];
    const info: RequestInfo = {
      method: req.method ?? 'GET',
      path: decodeURIComponent(path),
      query,
      operation: operationOf(req.method ?? 'GET', path, query),
      headers: req.headers,
    };
    const { action, rule } = this.decide(info);
    const record: RecordedRequest = {
      seq: ++this.seq,
      at: Date.now(),
      method: info.method,
      path: info.path,
      operation: info.operation,
      condition: req.headers['if-match'] ? 'if-match' : req.headers['if-none-match'] ? 'if-none-match' : null,
      action: 'forward',
      rule,
      upstreamStatus: null,
      clientStatus: null,
    };
    this.requests.push(record);
    if (this.requests.length > this.maxRecords) this.requests.shift();

    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('error', () => undefined);
    req.on('end', () => this.act(action, req, res, Buffer.concat(chunks), record, info));
  }

  private act(
    action: FaultAction,
    req: IncomingMessage,
    res: ServerResponse,
    body: Buffer,
    record: RecordedRequest,
    info: RequestInfo,
  ): void {
    if (action.kind === 'hook') {
      action.run(info).then(
        (next) => this.act(next ?? { kind: 'forward' }, req, res, body, record, info),
        () => req.socket.resetAndDestroy(),
      );
      return;
    }
    const kind: FaultKind = action.kind === 'error' ? `error-${action.status}` : action.kind;
    record.action = kind;
    this.counts.set(kind, (this.counts.get(kind) ?? 0) + 1);
    switch (action.kind) {
      case 'forward':
        this.forward(req, body, record, (up, upBody) => this.relay(res, up, upBody, record));
        return;
      case 'drop-response':
        this.forward(req, body, record, () => req.socket.destroy());
        return;
      case 'delay':
        this.later(action.ms, () =>
          this.forward(req, body, record, (up, upBody) => this.relay(res, up, upBody, record)),
        );
        return;
      case 'error': {
        const answer = () => {
          const xml = s3ErrorXml(action.code, action.message ?? DEFAULT_MESSAGES[action.code] ?? action.code, record.path);
          record.clientStatus = action.status;
          res.writeHead(action.status, {
            'content-type': 'application/xml',
            'content-length': Buffer.byteLength(xml),
            date: new Date().toUTCString(),
            'x-amz-request-id': 'fault-proxy',
          });
          res.end(xml);
        };
        if (action.forward) this.forward(req, body, record, answer);
        else answer();
        return;
      }
      case 'reset':
        req.socket.resetAndDestroy();
        return;
      case 'stall':
        this.forward(req, body, record, (up, upBody) => {
          if (upBody.length > 0) {
            res.writeHead(up.statusCode ?? 502, relayHeaders(up.headers, upBody));
            res.write(upBody.subarray(0, Math.max(1, Math.floor(upBody.length / 2))));
            record.clientStatus = up.statusCode ?? null;
          }
          if (action.ms !== undefined) this.later(action.ms, () => req.socket.resetAndDestroy());
        });
        return;
    }
  }

  /** Sends the request to the store as it came; calls `then` with the whole answer. */
  private forward(
    req: IncomingMessage,
    body: Buffer,
    record: RecordedRequest,
    then: (response: IncomingMessage, body: Buffer) => void,
  ): void {
    const upstream = httpRequest(
      {
        protocol: this.upstream.protocol,
        hostname: this.upstream.hostname,
        port: this.upstream.port,
        method: req.method,
        path: req.url,
        headers: {
          ...withoutHopByHop(req.headers),
          ...(body.length > 0 || req.headers['content-length'] ? { 'content-length': String(body.length) } : {}),
        },
        agent: this.agent,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          record.upstreamStatus = response.statusCode ?? null;
          then(response, Buffer.concat(chunks));
        });
        response.on('error', () => req.socket.destroy());
      },
    );
    upstream.on('error', () => req.socket.destroy());
    upstream.end(body);
  }

  private relay(res: ServerResponse, up: IncomingMessage, body: Buffer, record: RecordedRequest): void {
    if (res.destroyed || res.socket?.destroyed) return;
    record.clientStatus = up.statusCode ?? null;
    res.writeHead(up.statusCode ?? 502, relayHeaders(up.headers, body));
    res.end(body);
  }

  private later(ms: number, fn: () => void): void {
    // Stays: the proxy's own timer, how a fault is delayed (the fault under test), not a wait.
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
  }
}

function matches(match: RequestMatcher, info: RequestInfo): boolean {
  if (match.operation !== undefined) {
    const ops = Array.isArray(match.operation) ? match.operation : [match.operation];
    if (!ops.includes(info.operation)) return false;
  }
  if (match.method !== undefined && match.method.toUpperCase() !== info.method) return false;
  if (match.path !== undefined) {
    const ok = typeof match.path === 'string' ? info.path.includes(match.path) : match.path.test(info.path);
    if (!ok) return false;
  }
  if (match.header !== undefined) {
    const { name, value } = typeof match.header === 'string' ? { name: match.header, value: undefined } : match.header;
    const actual = info.headers[name.toLowerCase()];
    if (actual === undefined) return false;
    const text = Array.isArray(actual) ? actual.join(',') : actual;
    if (typeof value === 'string' && text !== value) return false;
    if (value instanceof RegExp && !value.test(text)) return false;
  }
  return match.where ? match.where(info) : true;
}

function withoutHopByHop(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!HOP_BY_HOP.has(name)) out[name] = value;
  }
  return out;
}

/** The store's answer headers for the client; the body is relayed whole, so its length is known. */
function relayHeaders(headers: IncomingHttpHeaders, body: Buffer): IncomingHttpHeaders {
  const out = withoutHopByHop(headers);
  if (out['content-length'] === undefined) out['content-length'] = String(body.length);
  return out;
}
