// The partial JSON reader behind "keep what is readable of a cut content attribute".
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseJsonLenient } from '../../../src/core/genai/lenientJson';

describe('parseJsonLenient', () => {
  it('parses valid JSON strictly and says it is complete', () => {
    assert.deepEqual(parseJsonLenient('{"a":[1,2,{"b":null}],"c":"\\u00e9\\n"}'), {
      value: { a: [1, 2, { b: null }], c: 'é\n' },
      complete: true,
    });
  });

  it('keeps the beginning of a string cut in the middle', () => {
    assert.deepEqual(parseJsonLenient('[{"role":"user","content":"Hello wor'), {
      value: [{ role: 'user', content: 'Hello wor' }],
      complete: false,
    });
  });

  it('drops a key whose value was not reached, and a number or literal at the cut', () => {
    assert.deepEqual(parseJsonLenient('{"a":"x","b":'), { value: { a: 'x' }, complete: false });
    assert.deepEqual(parseJsonLenient('{"a":"x","b":12'), { value: { a: 'x' }, complete: false });
    assert.deepEqual(parseJsonLenient('{"a":"x","b":tr'), { value: { a: 'x' }, complete: false });
    assert.deepEqual(parseJsonLenient('{"a":"x","ke'), { value: { a: 'x' }, complete: false });
    assert.deepEqual(parseJsonLenient('[1,2,3'), { value: [1, 2], complete: false });
  });

  it('does not emit half an escape', () => {
    assert.deepEqual(parseJsonLenient('["ab\\'), { value: ['ab'], complete: false });
    assert.deepEqual(parseJsonLenient('["ab\\u00'), { value: ['ab'], complete: false });
  });

  it('stops at malformed text and keeps what came before', () => {
    assert.deepEqual(parseJsonLenient('[{"a":1} {"b":2}]'), { value: [{ a: 1 }], complete: false });
    assert.deepEqual(parseJsonLenient('{"a":1}trailing'), { value: { a: 1 }, complete: false });
  });

  it('returns undefined when nothing is readable', () => {
    assert.equal(parseJsonLenient('not json'), undefined);
    assert.equal(parseJsonLenient(''), undefined);
    assert.equal(parseJsonLenient('-'), undefined);
  });

  it('survives nesting deeper than the stack', () => {
    const r = parseJsonLenient('['.repeat(200_000));
    assert.ok(r === undefined || r.complete === false);
  });

  it('reads a long cut text full of escapes', () => {
    const text = 'x\\n'.repeat(200_000);
    const r = parseJsonLenient(`["${text}`);
    assert.equal((r!.value as string[])[0]!.length, 400_000);
  });
});
