// Timestamps arrive as nanosecond strings (OTLP JSON, and this project's protobuf reader); milliseconds keep
// the sub-millisecond part, which a Number of the whole string would lose past 2^53.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { nanosToMs } from '../../../src/core/genai/values';

test('nanosecond strings become milliseconds without losing the microseconds', () => {
  // A double near 1.8e12 holds about a quarter of a microsecond.
  assert.ok(Math.abs(nanosToMs('1795500672057123456') - 1795500672057 - 0.123456) < 0.0003);
  assert.equal(nanosToMs('1795500672057000000'), 1795500672057);
  assert.equal(nanosToMs('999999'), 0.999999);
  assert.equal(nanosToMs('1500000'), 1.5);
  assert.equal(nanosToMs(' 1795500672057000000 '), 1795500672057);
  assert.equal(nanosToMs('0'), 0);
  assert.equal(nanosToMs(2_500_000), 2.5);
});

test('what is not a count of nanoseconds gives 0 or its plain number', () => {
  assert.equal(nanosToMs(undefined), 0);
  assert.equal(nanosToMs(''), 0);
  assert.equal(nanosToMs('soon'), 0);
  assert.equal(nanosToMs('-1000000'), -1);
  assert.equal(nanosToMs('1.5e6'), 1.5);
  assert.equal(nanosToMs(Number.NaN), 0);
});
