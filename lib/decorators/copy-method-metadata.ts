/**
 * Gives `to` everything that identifies `from` to Nest and to readers: every reflect-metadata
 * entry (`@Cron`, `@Interval`, route, guard and param metadata, anyone's) and the function's
 * `name` and `length`, so decorators written above or below `@WithS3Lock` all see the method.
 */
export function copyMethodMetadata(from: Function, to: Function): void {
  for (const key of Reflect.getOwnMetadataKeys(from)) {
    Reflect.defineMetadata(key, Reflect.getOwnMetadata(key, from), to);
  }
  Object.defineProperty(to, 'name', { value: from.name, configurable: true });
  Object.defineProperty(to, 'length', { value: from.length, configurable: true });
}
