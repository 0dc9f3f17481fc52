import { describe, expect, test } from '@jest/globals';
import {
  decodeDocument,
  decodeMetadata,
  encodeDocument,
  encodeMetadata,
  formatTime,
  parseTime,
} from './lock-document.js';

describe('the lock document (the origin design format)', () => {
  test('is encoded with exactly the four fields, in order, as Python json.dumps spaces them', () => {
    const body = encodeDocument({ expire: 60, lock_time: '2024-01-02T03:04:05.678000+00:00', release_time: null, owner: 'alice' });
    expect(body).toBe('{"expire": 60, "lock_time": "2024-01-02T03:04:05.678000+00:00", "release_time": null, "owner": "alice"}');
    expect(decodeDocument(body)).toEqual(JSON.parse(body));
  });

  test('times are formatted like Python isoformat() and parsed back, naive times as UTC', () => {
    const time = new Date('2024-01-02T03:04:05.678Z');
    expect(formatTime(time)).toMatch(/^2024-01-02T03:04:05\.678\d{3}\+00:00$/);
    expect(parseTime(formatTime(time))).toEqual(time);
    const samples = new Set(Array.from({ length: 50 }, () => formatTime(time)));
    expect(samples.size).toBeGreaterThan(40);
    expect(parseTime('2023-09-10T18:39:06.066075+00:00')?.toISOString()).toBe('2023-09-10T18:39:06.066Z');
    expect(parseTime('2023-09-10T18:39:06')?.toISOString()).toBe('2023-09-10T18:39:06.000Z');
    expect(parseTime('yesterday')).toBeNull();
    expect(parseTime('1700000000')).toBeNull();
  });

  test.each([
    ['null', 'it is not a JSON object'],
    ['{"expire": 1, "lock_time": "2024-01-01T00:00:00+00:00", "release_time": null, "owner": null, "token": 3}', 'unexpected fields (token)'],
    ['{"expire": -1, "lock_time": "2024-01-01T00:00:00+00:00", "release_time": null, "owner": null}', '"expire"'],
    ['{"expire": 1, "lock_time": "2024-01-01T00:00:00+00:00", "release_time": 5, "owner": null}', '"release_time"'],
    ['{"expire": 1, "lock_time": "2024-01-01T00:00:00+00:00", "release_time": null, "owner": ""}', '"owner"'],
  ])('rejects %s', (body, reason) => {
    expect(decodeDocument(body)).toContain(reason);
  });

  test('metadata round-trips; a foreign or unknown-version object has none', () => {
    const meta = { token: 1_700_000_000_000_001, writeId: 'abc' };
    expect(decodeMetadata(encodeMetadata(meta))).toEqual(meta);
    expect(decodeMetadata(undefined)).toBeNull();
    expect(decodeMetadata({})).toBeNull();
    expect(decodeMetadata({ ...encodeMetadata(meta), 's3lock-version': '2' })).toBeNull();
    expect(decodeMetadata({ ...encodeMetadata(meta), 's3lock-token': 'x' })).toBeNull();
    expect(decodeMetadata({ ...encodeMetadata(meta), 's3lock-token': '-1' })).toBeNull();
    // A token too large for a safe integer is kept, so that the protocol refuses it rather
    // than forget it and issue lower tokens after it.
    expect(decodeMetadata({ ...encodeMetadata(meta), 's3lock-token': '9007199254740993' })?.token).toBe(2 ** 53);
  });
});
