import { debuglog, inspect } from 'node:util';

/**
 * Makes `error` print as `Name: message` wherever it is inspected (Nest's logger inspects the
 * error of a failed startup): a person on call reads what failed and what to do, not 40 lines
 * of stack and SDK metadata. With `NODE_DEBUG=s3lock` in the environment it prints in full.
 * The error itself is unchanged for code that catches it. Returns it.
 */
export function printedAsOneLine<T>(error: T): T {
  if (!(error instanceof Error) || debuglog('s3lock').enabled) return error;
  const line = `${error.name}: ${error.message}`;
  Object.defineProperty(error, inspect.custom, { value: () => line, configurable: true });
  return error;
}
