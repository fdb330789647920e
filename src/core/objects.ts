// The one type guard the decoders and the normalizer share for "a JSON-like object".

/** A plain object: not null, not an array, not a byte array. */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}
