import { describe, expect, test } from '@jest/globals';
import { InvalidLockArgumentError } from '../errors/invalid-lock-argument.error.js';
import { checkDecoratorOptions, resolveRunDefaults, resolveRunOptions } from './run-options.js';

describe('resolveRunDefaults', () => {
  test('applies the documented defaults', () => {
    expect(resolveRunDefaults({ bucket: 'b' })).toEqual({
      onLocked: 'skip',
      minHold: 0,
      autoExtend: false,
      waitForLock: 0,
      events: {},
      shutdownTimeoutMs: 10_000,
    });
  });

  test.each([
    ['onLocked', { onLocked: 'wait' }],
    ['minHold', { minHold: 1.5 }],
    ['minHold', { minHold: -1 }],
    ['autoExtend', { autoExtend: 'yes' }],
    ['events', { events: 'log' }],
    ['shutdownTimeout', { shutdownTimeout: -1 }],
    ['waitForLock', { waitForLock: -1 }],
    ['waitForLock', { waitForLock: Infinity }],
  ])('rejects a bad %s, naming it', (argument, bad) => {
    const error = (() => {
      try {
        return resolveRunDefaults({ bucket: 'b', ...(bad as object) });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(InvalidLockArgumentError);
    expect((error as InvalidLockArgumentError).argument).toBe(argument);
  });
});

describe('checkDecoratorOptions and resolveRunOptions', () => {
  test("a method's own options win over the module's defaults", () => {
    const defaults = resolveRunDefaults({ bucket: 'b', onLocked: 'throw', minHold: 5, autoExtend: true, waitForLock: 3 });
    const own = checkDecoratorOptions({ key: 'k', minHold: 0, expire: 30, waitForLock: 1.5 });
    expect(resolveRunOptions(own, defaults)).toEqual({
      key: 'k',
      expire: 30,
      wait: undefined,
      onLocked: 'throw',
      minHold: 0,
      autoExtend: true,
      waitForLock: 1.5,
    });
  });

  test('the checked options are frozen, so one decorator cannot be changed after the fact', () => {
    expect(Object.isFrozen(checkDecoratorOptions({ key: () => 'k' }))).toBe(true);
  });

  test.each([[''], [7], [undefined]])('rejects the key %p', (key) => {
    expect(() => checkDecoratorOptions({ key: key as string })).toThrow(InvalidLockArgumentError);
  });
});
