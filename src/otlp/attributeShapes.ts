// Attribute objects built from an object literal per list of keys. Spans of one kind carry the same keys in
// the same order, request after request; setting them one by one on `{}` is a keyed store per attribute
// that V8 cannot specialize (every kind of span passes through the same line), about 45 ns each here, a
// tenth of an OTLP/JSON decode. A literal compiled for the key list builds the object in one allocation,
// with every property in the object itself, about five times faster per attribute.
//
// The keys come from senders, so: a list is compiled only when it is seen a second time (a stream of ever
// new keys compiles nothing); compiles come from a bucket refilled as lists are read, so no sender can make
// the decoder compile much more often than it reads lists; keys are written into the source as JSON string
// literals, and the source is bounded in length; a list with `__proto__` (which a literal would take as the
// prototype), a key twice, or keys that an object orders otherwise than the list (integer-like keys after
// others) is never compiled. Where code from strings is forbidden, every list is built key by key.

import type { AttrValue, Attributes } from '../core/records';
import { setOwnKey } from '../core/objects';

/** Lists of fewer keys gain too little; lists of more are rare and would compile large literals. */
const SHAPE_MIN_KEYS = 3;
const SHAPE_MAX_KEYS = 128;
/** Lists remembered per number of keys: the kinds of span one app sends with that many attributes. */
const SHAPE_WAYS = 4;
/** The keys of a list remembered, in characters altogether, and the longest source compiled. */
const MAX_KEYS_CHARS = 4096;
const MAX_SOURCE_CHARS = 8192;
/** The compile bucket: its size, and the lists read that add one compile to it. */
export const COMPILE_BURST = 64;
export const LISTS_PER_COMPILE = 256;

interface Shape {
  /** The keys in order, as Object.keys gave them. */
  readonly keys: readonly string[];
  /** Builds the object from the values in the keys' order; undefined until the list is seen again. */
  make: ((values: AttrValue[]) => Attributes) | undefined;
  /** Its source would be too long: never compiled. */
  refused?: true;
}

/** SHAPE_WAYS slots for each number of keys, SHAPE_MIN_KEYS to SHAPE_MAX_KEYS; the oldest is replaced. */
class ShapeTable {
  readonly slots: (Shape | undefined)[] = new Array((SHAPE_MAX_KEYS + 1) * SHAPE_WAYS).fill(undefined);
  private readonly next: number[] = new Array(SHAPE_MAX_KEYS + 1).fill(0);
  /** Lists read of a size that may have a shape, and lists compiled, so far (the tests read them). */
  lists = 0;
  compiled = 0;
  private credit = COMPILE_BURST;
  private canCompile = true;

  /** Counts a list read; true when one of `n` keys may have a shape. */
  cacheable(n: number): boolean {
    if (n < SHAPE_MIN_KEYS || n > SHAPE_MAX_KEYS) return false;
    this.lists++;
    if (this.credit < COMPILE_BURST) this.credit += 1 / LISTS_PER_COMPILE;
    return true;
  }

  /** The shape whose keys matched a second time, compiled now if the bucket allows. */
  compileSeen(shape: Shape): void {
    if (!this.canCompile || shape.refused || this.credit < 1) return;
    this.credit--;
    // JSON's string literals are JavaScript's: a key cannot end the literal or escape into code.
    const fields = shape.keys.map((key, i) => `${JSON.stringify(key)}: v[${i}]`).join(', ');
    if (fields.length > MAX_SOURCE_CHARS) {
      shape.refused = true;
      return;
    }
    try {
      shape.make = new Function('v', `'use strict'; return { ${fields} };`) as (
        values: AttrValue[],
      ) => Attributes;
      this.compiled++;
    } catch (err) {
      // A runtime that forbids code from strings (--disallow-code-generation-from-strings): key by key.
      if (err instanceof EvalError) this.canCompile = false;
      else shape.refused = true;
    }
  }

  /**
   * Remembers the keys of an object just built key by key, which the caller has checked are its list's
   * keys in the list's order (so all distinct), unless one is `__proto__` or they are too long.
   */
  remember(out: Attributes, keys: string[]): void {
    const n = keys.length;
    if (Object.prototype.hasOwnProperty.call(out, '__proto__')) return;
    let chars = 0;
    for (let i = 0; i < n; i++) chars += keys[i]!.length;
    if (chars > MAX_KEYS_CHARS) return;
    const way = this.next[n]!;
    this.next[n] = (way + 1) % SHAPE_WAYS;
    this.slots[n * SHAPE_WAYS + way] = { keys, make: undefined };
  }
}

/** The shapes both readers build by, one table for the thread. */
const shapes = new ShapeTable();

/** For the tests: the key lists read that may have a shape, and how many were compiled into literals. */
export function shapeCounts(): { lists: number; compiled: number } {
  return { lists: shapes.lists, compiled: shapes.compiled };
}

/**
 * An attribute list as a reader reads it: keys and values in two lists, built into one object at the end
 * (a protobuf span's attributes may lie among its other fields), by the keys' shape when they have one.
 * Past SHAPE_MAX_KEYS (no shape has that many) the rest are set key by key, so a record of a million
 * repeated keys holds one property, not a million list entries.
 */
export class AttributeLists {
  private readonly keys: string[] = [];
  private readonly values: AttrValue[] = [];
  private whole: Attributes | undefined;

  add(key: string, value: AttrValue): void {
    if (this.whole !== undefined) setOwnKey(this.whole, key, value);
    else if (this.keys.length < SHAPE_MAX_KEYS) {
      this.keys.push(key);
      this.values.push(value);
    } else {
      const whole: Attributes = {};
      for (let i = 0; i < this.keys.length; i++) setOwnKey(whole, this.keys[i]!, this.values[i] as AttrValue);
      setOwnKey(whole, key, value);
      this.whole = whole;
    }
  }

  /** The object: by the keys' shape when they have one, else key by key (a key twice: the last value). */
  build(): Attributes {
    if (this.whole !== undefined) return this.whole;
    const table = shapes;
    const keys = this.keys;
    const values = this.values;
    const n = keys.length;
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
    if (seen) table.compileSeen(seen);
    else if (cacheable) {
      const own = Object.keys(out);
      if (own.length === n && sameOrder(own, keys)) table.remember(out, own);
    }
    return out;
  }
}

function sameOrder(a: readonly string[], b: readonly string[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
