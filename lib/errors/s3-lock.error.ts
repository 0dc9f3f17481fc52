/**
 * Marks an error as thrown by this library, with the names of its classes (most derived
 * first). `instanceof` checks it, so an error from the CommonJS build still matches the class
 * of the ES module build and the other way round.
 */
const BRAND = Symbol.for('nestjs-s3-lock:error-classes');

/**
 * Base class of every error this library throws on purpose. Catch it to handle all of them;
 * check the subclasses (`AlreadyLockedError`, `LockLostError`, ...) to tell them apart.
 *
 * `instanceof` works across the package's CommonJS and ES module builds: it matches by the
 * class name recorded on the error, not only by prototype.
 */
export class S3LockError extends Error {
  /** Whether `value` is an instance of this class, from either build of the package. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (Function.prototype[Symbol.hasInstance].call(this, value)) return true;
    const names = (value as { [BRAND]?: unknown } | null | undefined)?.[BRAND];
    return Array.isArray(names) && names.includes(this.name);
  }

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    Object.defineProperty(this, BRAND, { value: classNames(new.target), enumerable: false });
  }
}

/** The names of `target` and its ancestors up to (excluding) `Error`. */
function classNames(target: Function): string[] {
  const names: string[] = [];
  for (let c: unknown = target; typeof c === 'function' && c !== Error; c = Object.getPrototypeOf(c)) {
    names.push((c as Function).name);
  }
  return names;
}
