import { describe, expect, test } from '@jest/globals';
import { decodeClaims, encodeClaims, isClaimed, MAX_CLAIMS, withClaim } from './tick-claims.js';

describe('tick claims', () => {
  test('round-trip, newest first', () => {
    const claims = withClaim(withClaim(new Map(), { schedule: 'a', at: 1000 }), { schedule: 'b', at: 2000 });
    expect(encodeClaims(claims)).toBe('b=2000,a=1000');
    expect([...decodeClaims('b=2000,a=1000')]).toEqual([['b', 2000], ['a', 1000]]);
  });

  test('a tick is claimed when it or a later tick of its schedule is', () => {
    const claims = decodeClaims('a=2000');
    expect(isClaimed(claims, { schedule: 'a', at: 2000 })).toBe(true);
    expect(isClaimed(claims, { schedule: 'a', at: 1000 })).toBe(true);
    expect(isClaimed(claims, { schedule: 'a', at: 3000 })).toBe(false);
    expect(isClaimed(claims, { schedule: 'b', at: 1000 })).toBe(false);
  });

  test('a claim never moves backwards', () => {
    expect(encodeClaims(withClaim(decodeClaims('a=5000'), { schedule: 'a', at: 1000 }))).toBe('a=5000');
  });

  test('at most MAX_CLAIMS schedules are kept; the oldest is forgotten', () => {
    let claims = new Map<string, number>();
    for (let i = 0; i <= MAX_CLAIMS; i++) claims = withClaim(claims, { schedule: `s${i}`, at: i });
    const kept = decodeClaims(encodeClaims(claims));
    expect(kept.size).toBe(MAX_CLAIMS);
    expect(kept.has('s0')).toBe(false);
  });

  test('malformed stored claims are dropped, not trusted', () => {
    expect([...decodeClaims('a=1,bad,=3,c=x,d=-1,e=12345678901234567')]).toEqual([['a', 1]]);
    expect(encodeClaims(new Map())).toBeUndefined();
  });
});
