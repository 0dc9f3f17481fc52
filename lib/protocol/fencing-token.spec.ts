import { describe, expect, test } from '@jest/globals';
import { mayIssueOverForeign, MAX_INCREASABLE_TOKEN, nextToken, TOKEN_STEPS_PER_SECOND, tokenKnown, tokenProblem, UNKNOWN_TOKEN } from './fencing-token.js';

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

  test('token 0 (a forced release of a foreign state) counts as unknown: the next token is the clock base', () => {
    expect(tokenKnown(UNKNOWN_TOKEN)).toBe(false);
    expect(tokenKnown(undefined)).toBe(false);
    expect(tokenKnown(1)).toBe(true);
    expect(nextToken(UNKNOWN_TOKEN, second)).toBe(second * TOKEN_STEPS_PER_SECOND);
  });

  test('no token is issued after one whose successor would not be a safe integer', () => {
    expect(MAX_INCREASABLE_TOKEN).toBe(2 ** 53 - 2);
    expect(tokenProblem(undefined)).toBeNull();
    expect(tokenProblem(MAX_INCREASABLE_TOKEN)).toBeNull();
    expect(Number.isSafeInteger(nextToken(MAX_INCREASABLE_TOKEN, second))).toBe(true);
    expect(tokenProblem(Number.MAX_SAFE_INTEGER)).toMatch(/too large to be increased as a safe integer/);
    expect(tokenProblem(2 ** 60)).toMatch(/too large/);
  });
});
