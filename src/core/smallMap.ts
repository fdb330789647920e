// A map from string keys that costs little while it is small. A trace's spans are kept by span id, and
// most traces hold a handful: a Map's hash table takes about 350 bytes even for two entries, more than the
// rest of what a kept trace costs besides its text. Up to SMALL entries live in one exactly sized array
// (found by a scan, which is as fast as hashing at that size); past it, a Map takes over.

const SMALL = 16;

export class SmallMap<V> implements Iterable<[string, V]> {
  /** Keys and values interleaved, sized to what they hold. */
  private pairs: unknown[] = EMPTY;
  private map: Map<string, V> | undefined;

  get size(): number {
    return this.map ? this.map.size : this.pairs.length / 2;
  }

  get(key: string): V | undefined {
    if (this.map) return this.map.get(key);
    const pairs = this.pairs;
    for (let i = 0; i < pairs.length; i += 2) if (pairs[i] === key) return pairs[i + 1] as V;
    return undefined;
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  set(key: string, value: V): this {
    if (this.map) {
      this.map.set(key, value);
      return this;
    }
    const pairs = this.pairs;
    for (let i = 0; i < pairs.length; i += 2) {
      if (pairs[i] === key) {
        pairs[i + 1] = value;
        return this;
      }
    }
    if (pairs.length / 2 >= SMALL) {
      this.map = new Map(this);
      this.map.set(key, value);
      this.pairs = EMPTY;
      return this;
    }
    // A copy one pair longer: an array grown by pushes would keep room for 17 or more elements.
    const next = new Array<unknown>(pairs.length + 2);
    for (let i = 0; i < pairs.length; i++) next[i] = pairs[i];
    next[pairs.length] = key;
    next[pairs.length + 1] = value;
    this.pairs = next;
    return this;
  }

  *values(): IterableIterator<V> {
    if (this.map) {
      yield* this.map.values();
      return;
    }
    const pairs = this.pairs;
    for (let i = 1; i < pairs.length; i += 2) yield pairs[i] as V;
  }

  *[Symbol.iterator](): IterableIterator<[string, V]> {
    if (this.map) {
      yield* this.map;
      return;
    }
    const pairs = this.pairs;
    for (let i = 0; i < pairs.length; i += 2) yield [pairs[i] as string, pairs[i + 1] as V];
  }
}

const EMPTY: unknown[] = [];
