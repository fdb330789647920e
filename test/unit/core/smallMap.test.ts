// SmallMap: a Map's behaviour in an array while small, and a Map past it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SmallMap } from '../../../src/core/smallMap';

describe('SmallMap', () => {
  it('behaves as a Map in insertion order, small and past the switch to a Map', () => {
    const small = new SmallMap<number>();
    const map = new Map<string, number>();
    for (let i = 0; i < 40; i++) {
      const key = `k${i % 25}`; // keys from 0 to 24 set again: replaced in place, order kept
      small.set(key, i);
      map.set(key, i);
      assert.equal(small.size, map.size);
      assert.deepEqual([...small], [...map]);
      assert.deepEqual([...small.values()], [...map.values()]);
      assert.equal(small.get(key), i);
      assert.equal(small.has(`k${i + 100}`), false);
      assert.equal(small.get('k0'), map.get('k0'));
    }
  });
});
