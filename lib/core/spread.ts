/** `{ ...A, ...B }` as TypeScript types it: B's properties replace A's. */
export type Spread<A, B> = Omit<A, keyof B> & B;

/**
 * `{ ...first, ...second, ...third }`: the own enumerable properties of each part in turn (parts
 * that are undefined or null add nothing), a later part's value replacing an earlier one in its
 * place, as an object literal of spreads gives them.
 *
 * Why not the literal: V8 (Node.js 20) gives an object literal that starts with a spread and has
 * anything after it (`{ ...a, key }`, `{ ...a, ...b }`), or a spread copy that gets a property
 * afterwards, a hidden class of its own: about 200 bytes more per object, ten times the time to
 * build it, and classes that only a full collection frees. At city scale the library builds
 * hundreds of thousands of such objects (labels, pod specs, every object it serializes). An object
 * built here shares its hidden class with every object of the same keys.
 */
export function spreadOf<A extends object, B extends object, C extends object>(first: A, second: B, third: C): Spread<Spread<A, B>, C>;
export function spreadOf<A extends object, B extends object>(first: A | undefined, second: B | undefined): Spread<A, B>;
export function spreadOf<A extends object>(first: A | undefined): A;
export function spreadOf(...parts: ReadonlyArray<object | undefined | null>): Record<string, unknown> {
  const result: Record<string | symbol, unknown> = {};
  for (const part of parts) {
    if (part !== undefined && part !== null) copyOwnEnumerable(part as Record<string | symbol, unknown>, result);
  }
  return result;
}

function copyOwnEnumerable(source: Record<string | symbol, unknown>, target: Record<string | symbol, unknown>): void {
  for (const key of Object.keys(source)) {
    // A spread defines `__proto__` as an own property; an assignment would set the prototype.
    if (key === '__proto__') Object.defineProperty(target, key, { value: source[key], enumerable: true, writable: true, configurable: true });
    else target[key] = source[key];
  }
  for (const symbol of Object.getOwnPropertySymbols(source)) {
    if (Object.prototype.propertyIsEnumerable.call(source, symbol)) target[symbol] = source[symbol];
  }
}
