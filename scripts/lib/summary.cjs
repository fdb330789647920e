// What `npm test` reports for each tier and in all: pure, so the rules are unit-tested
// (test/unit/scripts/summary.test.ts). A tier that exits non-zero is a failure even when it printed
// no failing test: it may not have run at all (its tools would not install, its host did not start).

/** Reads a tier's "N passed, N failed" (or node:test's "ℹ pass N ... ℹ fail N") from its output. */
function parseCounts(text) {
  let m = /ℹ pass (\d+)[\s\S]*?ℹ fail (\d+)/.exec(text);
  if (m) return { passed: Number(m[1]), failed: Number(m[2]) };
  m = /(\d+) passed, (\d+|unknown) failed\s*$/m.exec(text);
  if (m) return { passed: Number(m[1]), failed: m[2] === 'unknown' ? undefined : Number(m[2]) };
  return { passed: undefined, failed: undefined };
}

/** One tier's line: what ran, and when it failed without a failing test, that it did not complete. */
function describeTier({ code, passed, failed, skipped }) {
  if (skipped) return `did not run (${skipped})`;
  if (code === 0) return passed === undefined ? 'ok' : `${passed} passed, ${failed ?? 0} failed`;
  if (!failed) {
    const ran = passed ? `${passed} passed, then ` : '';
    return `${ran}did not complete (exit code ${code})`;
  }
  return `${passed ?? 0} passed, ${failed} failed`;
}

/** Totals: a failed tier with no failing test counts as one failure, so the last line never says 0 failed. */
function totals(results) {
  let passed = 0;
  let failed = 0;
  for (const r of results) {
    passed += r.passed ?? 0;
    if (r.code !== 0) failed += r.failed || 1;
    else failed += r.failed ?? 0;
  }
  const failedTiers = results.filter((r) => r.code !== 0).map((r) => r.name);
  return { passed, failed, failedTiers };
}

function totalLine(results) {
  const t = totals(results);
  const which = t.failedTiers.length ? ` (tiers failed: ${t.failedTiers.join(', ')})` : '';
  return `${t.passed} passed, ${t.failed} failed${which}`;
}

module.exports = { parseCounts, describeTier, totals, totalLine };
