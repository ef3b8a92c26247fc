/**
 * `instanceof` across copies of the package. An application may load the CommonJS and the ES module
 * build in one process (a CommonJS dependency next to ESM code), and each copy has its own classes:
 * a native `instanceof` fails across them. So every error of the SDK carries this registry-wide
 * symbol, and every class its name as a static `brand` (a string key: a bundler can still drop the
 * classes an application does not use). A check passes for an instance of the class of the same brand
 * in any copy, and keeps passing when a bundler renames the classes.
 */
export const ERROR_BRAND: unique symbol = Symbol.for('roboflow-clip.error') as never;

type Branded = abstract new (...args: never[]) => unknown;

/** A class's own brand: a user's subclass has none, and is checked natively. */
function brandOf(type: unknown): unknown {
  return typeof type === 'function' && Object.hasOwn(type, 'brand') ? (type as { brand?: unknown }).brand : undefined;
}

/**
 * Whether `value` is an instance of `type`, or of the class of the same brand in another copy of the
 * package: an error of the SDK with a class of `type`'s brand on its prototype chain.
 */
export function isBrandedInstance(type: Branded, value: unknown): boolean {
  if (Function.prototype[Symbol.hasInstance].call(type, value)) return true;
  const brand = brandOf(type);
  if (brand === undefined || typeof value !== 'object' || value === null || (value as { [ERROR_BRAND]?: unknown })[ERROR_BRAND] !== true) return false;
  for (let proto = Object.getPrototypeOf(value); proto !== null; proto = Object.getPrototypeOf(proto)) {
    if (Object.hasOwn(proto, 'constructor') && brandOf(proto.constructor) === brand) return true;
  }
  return false;
}
