// The object helpers the decoders, the normalizer and the engine share for JSON-like data from senders.

/** A plain object: not null, not an array, not a byte array. */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

/** Sets a key that came from a sender: `__proto__` stays a plain own key and never changes the prototype. */
export function setOwnKey<T>(target: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__')
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}
