// Attribute objects built from an object literal per list of keys. Spans of one kind carry the same keys in
// the same order, request after request; setting them one by one on `{}` is a keyed store per attribute
// that V8 cannot specialize (every kind of span passes through the same line), about 45 ns each here, a
// tenth of an OTLP/JSON decode. A literal compiled for the key list builds the object in one allocation,
// with every property in the object itself, about five times faster per attribute.
//
// The keys come from senders, so: a list is compiled only when it is seen a second time (a stream of ever
// new keys compiles nothing), compiles are rationed against the lists read, keys are written into the
// source as JSON string literals, and a list with `__proto__` (which a literal would take as the prototype)
// or duplicate keys is never compiled.

import type { AttrValue, Attributes } from '../core/records';
import { setOwnKey } from '../core/objects';

/** Lists of fewer keys gain too little; lists of more are rare and would compile large literals. */
export const SHAPE_MIN_KEYS = 3;
export const SHAPE_MAX_KEYS = 128;
/** Lists remembered per number of keys: the kinds of span one app sends with that many attributes. */
export const SHAPE_WAYS = 4;
/** The longest list of keys compiled, in characters altogether. */
const MAX_SOURCE_KEYS_CHARS = 8192;
/** Compiles allowed at once, and one more for each this many lists read. */
export const COMPILE_BURST = 64;
export const LISTS_PER_COMPILE = 256;

export interface Shape {
  /** The keys in order, as Object.keys gave them. */
  readonly keys: readonly string[];
  /** Builds the object from the values in the keys' order; undefined until the list is seen again. */
  make: ((values: AttrValue[]) => Attributes) | undefined;
}

/** SHAPE_WAYS slots for each number of keys, SHAPE_MIN_KEYS to SHAPE_MAX_KEYS; the oldest is replaced. */
export class ShapeTable {
  readonly slots: (Shape | undefined)[] = new Array((SHAPE_MAX_KEYS + 1) * SHAPE_WAYS).fill(undefined);
  private readonly next: number[] = new Array(SHAPE_MAX_KEYS + 1).fill(0);
  /** Lists read of a size that may have a shape, and lists compiled, so far (the tests read them). */
  lists = 0;
  compiled = 0;
  private canCompile = true;

  /** Counts a list read; true when one of `n` keys may have a shape. */
  cacheable(n: number): boolean {
    if (n < SHAPE_MIN_KEYS || n > SHAPE_MAX_KEYS) return false;
    this.lists++;
    return true;
  }

  /**
   * After an object was built key by key from a list of `n` items: `seen` is the shape whose keys matched
   * but that had no literal yet, which is compiled now; otherwise the object's keys are remembered, when
   * they are the list's keys (all of them, each once).
   */
  learn(out: Attributes, n: number, seen: Shape | undefined): void {
    if (seen) {
      if (this.canCompile && this.compiled < COMPILE_BURST + this.lists / LISTS_PER_COMPILE) {
        try {
          seen.make = compile(seen.keys);
          this.compiled++;
        } catch {
          // A runtime that forbids code from strings (--disallow-code-generation-from-strings): key by key.
          this.canCompile = false;
        }
      }
      return;
    }
    const keys = Object.keys(out);
    if (keys.length !== n || Object.prototype.hasOwnProperty.call(out, '__proto__')) return;
    let chars = 0;
    for (let i = 0; i < n; i++) chars += keys[i]!.length;
    if (chars > MAX_SOURCE_KEYS_CHARS) return;
    const way = this.next[n]!;
    this.next[n] = (way + 1) % SHAPE_WAYS;
    this.slots[n * SHAPE_WAYS + way] = { keys, make: undefined };
  }
}

/**
 * The object of `n` keys and values read into two lists (the protobuf reader's): by the keys' shape when
 * they have one, else key by key (a key twice: the last value, in the first one's place).
 */
export function buildAttributes(
  table: ShapeTable,
  keys: readonly string[],
  values: AttrValue[],
  n: number,
): Attributes {
  const cacheable = table.cacheable(n);
  let seen: Shape | undefined;
  if (cacheable) {
    const slots = table.slots;
    search: for (let w = n * SHAPE_WAYS, end = w + SHAPE_WAYS; w < end; w++) {
      const shape = slots[w];
      if (shape === undefined) break;
      const known = shape.keys;
      for (let i = 0; i < n; i++) if (keys[i] !== known[i]) continue search;
      if (shape.make !== undefined) return shape.make(values);
      seen = shape;
      break;
    }
  }
  const out: Attributes = {};
  for (let i = 0; i < n; i++) setOwnKey(out, keys[i]!, values[i] as AttrValue);
  if (cacheable) table.learn(out, n, seen);
  return out;
}

function compile(keys: readonly string[]): (values: AttrValue[]) => Attributes {
  // JSON's string literals are JavaScript's: a key cannot end the literal or escape into code.
  const fields = keys.map((key, i) => `${JSON.stringify(key)}: v[${i}]`).join(', ');
  return new Function('v', `'use strict'; return { ${fields} };`) as (values: AttrValue[]) => Attributes;
}
