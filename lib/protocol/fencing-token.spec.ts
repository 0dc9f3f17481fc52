import { describe, expect, test } from '@jest/globals';
import { mayIssueOverForeign, nextToken, TOKEN_STEPS_PER_SECOND } from './fencing-token.js';

describe('fencing tokens', () => {
  const second = 1_795_000_000;

  test('count up within a second, and jump to the clock base when the clock is ahead', () => {
    const first = nextToken(undefined, second);
    expect(first).toBe(second * TOKEN_STEPS_PER_SECOND);
    expect(nextToken(first, second)).toBe(first + 1);
    expect(nextToken(first + 5, second + 2)).toBe((second + 2) * TOKEN_STEPS_PER_SECOND);
    expect(nextToken(first + 5, second - 3)).toBe(first + 6);
  });

  test('after a foreign write, a token is issued only once the store clock passed its second, and it exceeds all before', () => {
    const before = nextToken(nextToken(undefined, second), second) + 999;
    expect(mayIssueOverForeign(second, second)).toBe(false);
    expect(mayIssueOverForeign(second + 1, second)).toBe(true);
    expect(nextToken(undefined, second + 1)).toBeGreaterThan(before);
  });

  test('stay safe integers for centuries', () => {
    expect(Number.isSafeInteger(nextToken(undefined, Date.UTC(2250, 0, 1) / 1000))).toBe(true);
  });
});
