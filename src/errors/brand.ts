/**
 * `instanceof` across copies of the package. An application may load the CommonJS and the ES module
 * build in one process (a CommonJS dependency next to ESM code), and each copy has its own classes:
 * a native `instanceof` fails across them. Every class of the SDK carries its name under this
 * registry-wide symbol, so that a check passes for an instance of the class of the same name in any
 * copy, and keeps passing when a bundler renames the classes.
 */
export const ERROR_BRAND: unique symbol = Symbol.for('roboflow-clip.error') as never;

type Branded = abstract new (...args: never[]) => unknown;

/**
 * Whether `value` is an instance of `type`, or of the class of the same brand in another copy of the
 * package: some class on its prototype chain carries `type`'s own brand. A class without a brand of
 * its own (a user's subclass) is checked natively.
 */
export function isBrandedInstance(type: Branded, value: unknown): boolean {
  if (Function.prototype[Symbol.hasInstance].call(type, value)) return true;
  if (!Object.hasOwn(type, ERROR_BRAND) || typeof value !== 'object' || value === null) return false;
  const brand = (type as unknown as Record<symbol, unknown>)[ERROR_BRAND];
  for (let proto = Object.getPrototypeOf(value); proto !== null; proto = Object.getPrototypeOf(proto)) {
    const constructor = Object.hasOwn(proto, 'constructor') ? (proto.constructor as unknown) : undefined;
    if (typeof constructor === 'function' && Object.hasOwn(constructor, ERROR_BRAND) && (constructor as unknown as Record<symbol, unknown>)[ERROR_BRAND] === brand) {
      return true;
    }
  }
  return false;
}
