import { randomInt } from 'node:crypto';

/**
 * The stored form of a lock: a JSON body with exactly the origin design's four fields (so its
 * Python `Lock(**json.loads(body))` can read ours), and this library's additions in S3 object
 * metadata, where the origin design does not look.
 */

/** The body of a lock object, field for field as the origin design writes it. */
export interface LockDocument {
  expire: number;
  lock_time: string;
  release_time: string | null;
  owner: string | null;
}

/** What this library keeps beside the body, as `x-amz-meta-*` headers. */
export interface LockMetadata {
  /** The fencing token of the acquisition that produced this state. */
  token: number;
  /** A random id of the write that produced this state, to recognise our own landed writes. */
  writeId: string;
  /** The tick claims carried by this state, in their stored form (see `tick-claims.ts`). */
  ticks?: string;
  /** The write id of the state the acquisition of this holding replaced, when it was ours. */
  base?: string;
}

/** Bodies larger than this are not lock documents; they are refused without being read whole. */
export const MAX_DOCUMENT_BYTES = 64 * 1024;

/** Version of the metadata layout; a reader ignores metadata of a version it does not know. */
const PROTOCOL_VERSION = '1';
const META_VERSION = 's3lock-version';
const META_TOKEN = 's3lock-token';
const META_WRITE = 's3lock-write';
const META_TICKS = 's3lock-ticks';
const META_BASE = 's3lock-base';
const FIELDS = ['expire', 'lock_time', 'release_time', 'owner'] as const;

/**
 * Formats a time the way Python's `datetime.isoformat()` does for an aware UTC datetime with
 * microseconds (`2023-09-10T18:39:06.066417+00:00`), which every Python `fromisoformat` parses.
 * JavaScript has milliseconds only; the three sub-millisecond digits are random, so that two
 * writes never produce the same body, and so never the same ETag (the MD5 of the body), which
 * every conditional write relies on to tell states apart.
 */
export function formatTime(time: Date): string {
  const micros = randomInt(1000).toString().padStart(3, '0');
  return time.toISOString().replace(/\.(\d{3})Z$/, `.$1${micros}+00:00`);
}

/** Parses an ISO-8601 time; one without an offset is taken as UTC, as the origin design writes UTC. */
export function parseTime(value: string): Date | null {
  const hasOffset = /(Z|[+-]\d\d:?\d\d)$/i.test(value);
  const time = new Date(hasOffset ? value : `${value}Z`);
  return /^\d{4}-\d\d-\d\dT\d\d:\d\d/.test(value) && !Number.isNaN(time.getTime())
    ? time
    : null;
}

/** Serialises a document in the shape and spacing of Python's `json.dumps`. */
export function encodeDocument(doc: LockDocument): string {
  return `{${FIELDS.map((f) => `"${f}": ${JSON.stringify(doc[f])}`).join(', ')}}`;
}

/**
 * Parses a lock body. Returns the document, or a reason (a string) why the body is not one:
 * every field of the origin design must be present with its type, and no other field.
 */
export function decodeDocument(body: string): LockDocument | string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return 'it is not JSON';
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return 'it is not a JSON object';
  }
  const doc = parsed as Record<string, unknown>;
  const extra = Object.keys(doc).filter((k) => !(FIELDS as readonly string[]).includes(k));
  if (extra.length > 0) return `it has unexpected fields (${extra.join(', ')})`;
  const missing = FIELDS.filter((f) => !(f in doc));
  if (missing.length > 0) return `it lacks the fields ${missing.join(', ')}`;
  if (!Number.isSafeInteger(doc.expire) || (doc.expire as number) < 0) {
    return '"expire" is not a whole number of seconds';
  }
  if (typeof doc.lock_time !== 'string' || parseTime(doc.lock_time) === null) {
    return '"lock_time" is not an ISO-8601 time';
  }
  if (
    doc.release_time !== null &&
    (typeof doc.release_time !== 'string' || parseTime(doc.release_time) === null)
  ) {
    return '"release_time" is neither null nor an ISO-8601 time';
  }
  if (doc.owner !== null && (typeof doc.owner !== 'string' || doc.owner === '')) {
    return '"owner" is neither null nor a non-empty string';
  }
  return doc as unknown as LockDocument;
}

/** The S3 metadata map that carries `meta`. */
export function encodeMetadata(meta: LockMetadata): Record<string, string> {
  return {
    [META_VERSION]: PROTOCOL_VERSION,
    [META_TOKEN]: String(meta.token),
    [META_WRITE]: meta.writeId,
    ...(meta.ticks ? { [META_TICKS]: meta.ticks } : {}),
    ...(meta.base ? { [META_BASE]: meta.base } : {}),
  };
}

/**
 * Reads our metadata back; `null` when the object was last written by another tool (the
 * origin design's Python writer keeps no metadata), by an unknown protocol version, or carries
 * no token in decimal digits. The token may be above 2^53 (hand-placed): see `tokenProblem`.
 */
export function decodeMetadata(metadata: Record<string, string> | undefined): LockMetadata | null {
  if (!metadata || metadata[META_VERSION] !== PROTOCOL_VERSION) return null;
  const raw = metadata[META_TOKEN];
  const writeId = metadata[META_WRITE];
  // A token too large to be a safe integer is kept (as the nearest number): the protocol
  // refuses it as corrupt rather than forget it and issue lower tokens after it.
  if (raw === undefined || !/^\d+$/.test(raw) || !writeId) return null;
  const token = Number(raw);
  const ticks = metadata[META_TICKS];
  const base = metadata[META_BASE];
  return { token, writeId, ...(ticks ? { ticks } : {}), ...(base ? { base } : {}) };
}
