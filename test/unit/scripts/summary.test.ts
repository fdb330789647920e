// What `npm test` reports: a tier that could not run is a visible failure, never "0 failed".
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { describeTier, parseCounts, totalLine, totals } from '../../../scripts/lib/summary.cjs';

test('counts are read from node:test and from the real-VS-Code tiers', () => {
  assert.deepEqual(parseCounts('ℹ tests 3\nℹ pass 2\nℹ fail 1\n'), { passed: 2, failed: 1 });
  assert.deepEqual(parseCounts('...\n12 passed, 0 failed\n'), { passed: 12, failed: 0 });
  assert.deepEqual(parseCounts('ext-tests: boom\n0 passed, unknown failed\n'), {
    passed: 0,
    failed: undefined,
  });
  assert.deepEqual(parseCounts('no counts here'), { passed: undefined, failed: undefined });
});

test('a tier that exits non-zero without a failing test counts as failed and says it did not complete', () => {
  const results = [
    { name: 'unit', code: 0, passed: 323, failed: 0 },
    { name: 'browser', code: 0, passed: 16, failed: 0 },
    { name: 'extension', code: 1, passed: 0, failed: undefined },
    { name: 'ui', code: 1, passed: 0, failed: undefined },
  ];
  assert.deepEqual(totals(results), { passed: 339, failed: 2, failedTiers: ['extension', 'ui'] });
  assert.equal(totalLine(results), '339 passed, 2 failed (tiers failed: extension, ui)');
  assert.equal(describeTier(results[2]), 'did not complete (exit code 1)');
  assert.equal(
    describeTier({ code: 1, passed: 5, failed: 0 }),
    '5 passed, then did not complete (exit code 1)',
  );
  assert.equal(describeTier({ code: 1, passed: 0, skipped: 'tools failed' }), 'did not run (tools failed)');
});

test('failing tests are counted as they are, and a green run says so', () => {
  assert.equal(
    totalLine([{ name: 'unit', code: 1, passed: 10, failed: 3 }]),
    '10 passed, 3 failed (tiers failed: unit)',
  );
  assert.equal(
    totalLine([
      { name: 'typecheck', code: 0 },
      { name: 'unit', code: 0, passed: 4, failed: 0 },
    ]),
    '4 passed, 0 failed',
  );
  assert.equal(describeTier({ code: 0 }), 'ok');
});
