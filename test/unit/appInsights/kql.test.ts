// Every query the Application Insights source builds, checked by Kusto's own parser and binder
// (@kusto/language-service-next through ../shared/appinsights/kql.js) against both schemas, with the
// result columns the rest of the source reads; and proof that no value, however hostile, leaves the one
// string literal kqlString() puts it in.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  genAiContentQuery,
  genAiContentSchemaQuery,
  kqlString,
  metricsSummaryQuery,
  operationRowsQuery,
  operationsOfQuery,
  recentCallsQuery,
  SCHEMA_NAMES,
  SUMMARY_KEYS,
  summaryQuery,
  type AppInsightsSchema,
  type ListCursor,
} from '../../../src/appInsights/kql';
import { standIn } from '../../../scripts/lib/metricTables.cjs';

type CheckSchema = AppInsightsSchema | 'workspaceGenAI';
interface Diagnostic {
  severity: string;
  message: string;
  at: number;
}
interface KqlCheck {
  errors: Diagnostic[];
  diagnostics: Diagnostic[];
  columns: { name: string; type: string }[];
  literals: string[];
}

// Kusto's checks against the stand-in's schema with Application Insights' metrics tables added.
const { check } = standIn().kql as {
  check(query: string, schema: CheckSchema): KqlCheck;
};

const SCHEMAS: readonly AppInsightsSchema[] = ['classic', 'workspace'];
const OP_A = 'a62c5154908b436b70c0508cfb174236';
const OP_B = '735bb964f7307fd2b0386268738ece69';
const CURSOR: ListCursor = {
  timeIso: '2026-12-01T15:01:04.103Z',
  idsAtTime: ['8f047471836a053d', 'ac2f16cf'],
};

/** The query's diagnostics, with the query, when Kusto finds an error. */
function checked(query: string, schema: CheckSchema): KqlCheck {
  const result = check(query, schema);
  assert.deepEqual(result.errors, [], `${schema}:\n${query}`);
  return result;
}

function columnsOf(result: KqlCheck): Record<string, string> {
  return Object.fromEntries(result.columns.map((c) => [c.name, c.type]));
}

const RECENT_COLUMNS = {
  callTime: 'datetime',
  id: 'string',
  operationId: 'string',
  parentId: 'string',
  name: 'string',
  type: 'string',
  durationMs: 'real',
  success: 'bool',
  resultCode: 'string',
  role: 'string',
  session: 'string',
  user: 'string',
  dims: 'dynamic',
  inputTail: 'string',
};

describe('every query passes Kusto’s parser and binder, in both schemas', () => {
  for (const schema of SCHEMAS) {
    describe(schema, () => {
      it('recentCallsQuery, first page: the documented columns, in order', () => {
        const result = checked(recentCallsQuery(schema, 50), schema);
        assert.deepEqual(columnsOf(result), RECENT_COLUMNS);
        assert.deepEqual(
          result.columns.map((c) => c.name),
          Object.keys(RECENT_COLUMNS),
        );
        for (const key of SUMMARY_KEYS) assert.ok(result.literals.includes(key), key);
      });

      it('recentCallsQuery with a cursor (ids seen at its time, none, a 100 ns time)', () => {
        for (const after of [
          CURSOR,
          { ...CURSOR, idsAtTime: [] },
          { timeIso: '2026-12-01T15:01:04.1034567Z', idsAtTime: ['x'] },
          { timeIso: '2026-12-01T15:01:04Z', idsAtTime: ['x'] },
        ]) {
          const query = recentCallsQuery(schema, 3, after);
          const result = checked(query, schema);
          assert.deepEqual(columnsOf(result), RECENT_COLUMNS);
          for (const id of after.idsAtTime) assert.ok(result.literals.includes(id), id);
        }
      });

      it('operationsOfQuery for a session and for a user, with configured keys', () => {
        for (const kind of ['session', 'user'] as const) {
          const keys = ['app.conversation', 'my "odd" key'];
          const result = checked(operationsOfQuery(schema, kind, 'sess-lisbon-weekend', keys, 100), schema);
          assert.deepEqual(columnsOf(result), {
            operationId: 'string',
            firstTime: 'datetime',
            calls: 'long',
          });
          for (const key of keys) assert.ok(result.literals.includes(key), key);
        }
      });

      it('operationRowsQuery: every table of the schema, with the `table` column first', () => {
        const n = SCHEMA_NAMES[schema];
        const result = checked(operationRowsQuery(schema, [OP_A, OP_B], 5000), schema);
        assert.equal(result.columns[0]?.name, 'table');
        assert.equal(result.columns[0]?.type, 'string');
        const columns = columnsOf(result);
        for (const name of [n.time, n.operationId, n.parentId, n.id, n.name, n.type, n.dims, n.duration]) {
          assert.ok(name in columns, name);
        }
        assert.ok((schema === 'classic' ? 'message' : 'Message') in columns, 'the traces column');
        assert.deepEqual(
          result.literals.filter((l) => /^[0-9a-f]{32}$/.test(l)),
          [OP_A, OP_B],
        );
      });

      it('a schema’s queries name none of the other schema’s tables', () => {
        const other: AppInsightsSchema = schema === 'classic' ? 'workspace' : 'classic';
        for (const query of [
          recentCallsQuery(schema, 5),
          operationsOfQuery(schema, 'session', 's', [], 5),
          operationRowsQuery(schema, [OP_A], 5),
        ]) {
          assert.ok(check(query, other).errors.length > 0, `${schema} query binds in ${other}:\n${query}`);
        }
      });
    });
  }

  it('genAiContentQuery, on a workspace with AppGenAIContent and on one without', () => {
    const query = genAiContentQuery([OP_A, OP_B.toUpperCase()], 500);
    const without = checked(query, 'workspace');
    assert.deepEqual(columnsOf(without), { OperationId: 'string', ParentSpanId: 'string' });
    const withTable = columnsOf(checked(query, 'workspaceGenAI'));
    for (const name of [
      'OperationId',
      'ParentSpanId',
      'Id',
      'InputMessages',
      'OutputMessages',
      'TimeGenerated',
    ]) {
      assert.ok(name in withTable, name);
    }
    assert.equal(withTable.InputMessages, 'dynamic');
  });

  it('genAiContentSchemaQuery binds where the table exists, and names it where it does not', () => {
    const result = checked(genAiContentSchemaQuery(), 'workspaceGenAI');
    assert.deepEqual(columnsOf(result), { ColumnName: 'string', ColumnType: 'string' });
    // Not fuzzy: a workspace without the table answers 400, which is how the caller learns it is missing.
    const missing = check(genAiContentSchemaQuery(), 'workspace').errors;
    assert.equal(missing.length, 1);
    assert.match(missing[0]!.message, /AppGenAIContent/);
  });

  it('limits are whole numbers within bounds, whatever is passed', () => {
    for (const [limit, take] of [
      [50, 50],
      [0, 1],
      [-3, 1],
      [2.9, 2],
      [Number.NaN, 1],
      [Number.POSITIVE_INFINITY, 1],
      [1e9, 1000],
    ] as const) {
      assert.match(recentCallsQuery('classic', limit), new RegExp(`\\| take ${take}\\n`));
    }
    assert.match(operationsOfQuery('classic', 'user', 'u', [], 1e9), /\| take 500$/);
    assert.match(operationRowsQuery('workspace', [OP_A], 1e9), /\| take 20000$/);
    assert.match(genAiContentQuery([OP_A], 1e9), /\| take 20000$/);
  });
});

const HOSTILE: readonly string[] = [
  '',
  'x" | union *',
  "x' | take 1",
  "'; drop",
  '\\',
  '\\"',
  '"',
  '""',
  'a\\',
  'line\nbreak',
  'carriage\rreturn',
  'crlf\r\n| take 1',
  'tab\there',
  'nul\u0000byte',
  'bell\u0007 and esc\u001b[31m',
  'del\u007f',
  '// a comment',
  'x // ", "y',
  '/* open',
  'close */',
  '@"verbatim"',
  'h"hidden"',
  '```',
  '\u0085 NEL, \u2028 line separator, \u2029 paragraph separator',
  'emoji 😀 and family 👩‍👩‍👧 and flag 🇵🇹',
  '𝕏 math 𝒜 and ancient 𐍈',
  'rtl \u202Eevil\u202C and marks \u200F\u200E\u061C',
  'zero width \u200B\u200D and BOM \uFEFF',
  'lone high \uD800',
  '\uDC00 lone low',
  'reversed pair \uDE00\uD83D',
  'ends high \uD83D',
  'ünïcödé ação 東京 Κόσμε',
  'x'.repeat(100_000),
  'a"b\\c\n'.repeat(5_000),
];

describe('kqlString: any value stays exactly one string literal', () => {
  it('hides nothing: no control, separator, direction or zero-width character goes into the query raw', () => {
    const hidden = /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u2000-\u200f\u2028-\u202f\u2060-\u206f\ufeff]/;
    for (const value of HOSTILE)
      assert.doesNotMatch(kqlString(value), hidden, JSON.stringify(value.slice(0, 40)));
  });

  it('writes text in other scripts as it is, so it matches as typed', () => {
    assert.equal(kqlString('sesión-東京-😀'), '"sesión-東京-😀"');
    assert.equal(kqlString('a"b\\c\nd\te'), '"a\\"b\\\\c\\nd\\te"');
    assert.equal(kqlString('lone \uD800'), '"lone \\ud800"');
  });

  it('round-trips through Kusto’s parser: one literal whose LiteralValue is the input', () => {
    for (const value of HOSTILE) {
      const result = checked(`print x = ${kqlString(value)}`, 'classic');
      assert.equal(result.literals.length, 1, JSON.stringify(value.slice(0, 60)));
      assert.ok(result.literals[0] === value, `literal differs for ${JSON.stringify(value.slice(0, 60))}`);
      assert.deepEqual(result.columns, [{ name: 'x', type: 'string' }]);
    }
  });

  it('inside a where clause: the query still returns the table’s own columns', () => {
    const plain = checked('requests | where name == "x" | take 1', 'classic').columns;
    for (const value of HOSTILE) {
      const result = checked(`requests | where name == ${kqlString(value)} | take 1`, 'classic');
      assert.deepEqual(result.literals, [value]);
      assert.deepEqual(result.columns, plain);
    }
  });

  it('session and user ids (and configured keys) flow through operationsOfQuery the same way', () => {
    const expected = columnsOf(check(operationsOfQuery('classic', 'session', 's', [], 10), 'classic'));
    // Every value for classic sessions and workspace users (each binding takes ~30 ms), a sample elsewhere.
    const sample = HOSTILE.filter((v) => /union|\n|\u0000|\uD800|\\/.test(v) && v.length < 1000);
    for (const schema of SCHEMAS) {
      for (const kind of ['session', 'user'] as const) {
        const all = (schema === 'classic') === (kind === 'session');
        for (const value of all ? HOSTILE : sample) {
          const keys = ['app.id', value === '' ? 'x"] == "" or true //' : `key:${value}`];
          const result = checked(operationsOfQuery(schema, kind, value, keys, 10), schema);
          assert.deepEqual(columnsOf(result), expected);
          // Compared on the column, and on each dimension key (the configured ones and the built-in ones).
          const builtIn = result.literals.filter((l) => l === value).length;
          assert.ok(builtIn >= 1 + keys.length, `${kind} ${JSON.stringify(value.slice(0, 40))}: ${builtIn}`);
          for (const key of keys) assert.ok(result.literals.includes(key), JSON.stringify(key.slice(0, 40)));
        }
      }
    }
    assert.ok(sample.length >= 5);
  });

  it('cursor ids stay literals too', () => {
    for (const schema of SCHEMAS) {
      const ids = HOSTILE.filter((v) => v.length < 200);
      const result = checked(
        recentCallsQuery(schema, 3, { timeIso: CURSOR.timeIso, idsAtTime: [...ids] }),
        schema,
      );
      assert.deepEqual(columnsOf(result), RECENT_COLUMNS);
      for (const id of ids) assert.ok(result.literals.includes(id), JSON.stringify(id));
    }
  });
});

describe('refused before any query exists', () => {
  const badIds = [
    '',
    'not-an-id',
    `${OP_A}" or 1 == 1 or "`,
    `${OP_A}\n`,
    ` ${OP_A}`,
    `${OP_A}0`,
    'a62c5154908b436',
    'g62c5154908b436b70c0508cfb174236',
    '{5a1e2b3c-0000-4000-8000-000000000001}',
    '5a1e2b3c-0000-4000-8000-00000000000',
    '*',
  ];

  it('operation ids that are not 16-32 hex characters or a GUID, and an empty list', () => {
    for (const bad of badIds) {
      for (const build of [
        () => operationRowsQuery('classic', [OP_A, bad], 10),
        () => operationRowsQuery('workspace', [bad], 10),
        () => genAiContentQuery([bad, OP_B], 10),
      ]) {
        assert.throws(build, RangeError, JSON.stringify(bad));
      }
    }
    assert.throws(() => operationRowsQuery('classic', [], 10), RangeError);
    assert.throws(() => genAiContentQuery([], 10), RangeError);
  });

  it('valid ids are accepted, lowercased and deduplicated', () => {
    const guid = '5A1E2B3C-0000-4000-8000-000000000001';
    const result = checked(
      operationRowsQuery('classic', [OP_A, OP_A.toUpperCase(), guid, '8f047471836a053d'], 9),
      'classic',
    );
    assert.deepEqual(
      result.literals.filter((l) => l !== 'table'),
      [OP_A, guid.toLowerCase(), '8f047471836a053d'],
    );
  });

  it('cursor times that are not an ISO UTC time that exists', () => {
    for (const timeIso of [
      '',
      'now()',
      '2026-12-01',
      '2026-12-01T15:01:04',
      '2026-12-01 15:01:04Z',
      '2026-12-01T15:01:04+01:00',
      '2026-12-01T15:01:04.12345678Z',
      '2026-12-01T15:01:04.Z',
      '2026-13-01T15:01:04Z',
      '2026-02-30T15:01:04Z',
      '2026-12-01T24:00:00Z',
      '2026-12-01T15:60:00Z',
      '2026-12-01T15:01:04Z) | union *',
      '2026-12-01T15:01:04Z\n| take 1',
    ]) {
      for (const schema of SCHEMAS) {
        assert.throws(
          () => recentCallsQuery(schema, 3, { timeIso, idsAtTime: [] }),
          RangeError,
          JSON.stringify(timeIso),
        );
      }
    }
  });

  it('a cursor time finer than a millisecond is cut to its millisecond (the precision of a Date)', () => {
    const query = recentCallsQuery('workspace', 3, {
      timeIso: '2026-12-01T15:01:04.1039999Z',
      idsAtTime: [],
    });
    assert.match(query, /datetime\(2026-12-01T15:01:04\.103Z\)/);
    assert.doesNotMatch(query, /1039999/);
  });
});

describe('summaryQuery', () => {
  const WINDOW = {
    fromMs: Date.parse('2026-11-30T00:00:00Z'),
    toMs: Date.parse('2026-12-01T00:00:00Z'),
    bucketMs: 3_600_000,
  };
  const HOSTILE = 'x"] | take 1; print "pwned';
  for (const schema of SCHEMAS) {
    it(`${schema}: binds, with the documented columns, and a hostile user key stays one literal`, () => {
      const result = checked(summaryQuery(schema, WINDOW, [HOSTILE]), schema);
      assert.deepEqual(columnsOf(result), {
        part: 'string',
        dimension: 'string',
        key: 'string',
        model: 'string',
        calls: 'long',
        errors: 'long',
        evaluations: 'long',
        p50: 'real',
        p95: 'real',
        p99: 'real',
        tokenCalls: 'long',
        inputTokens: 'real',
        outputTokens: 'real',
        cachedInputTokens: 'real',
        cacheWriteTokens: 'real',
        reasoningTokens: 'real',
      });
      assert.ok(result.literals.includes(HOSTILE), 'the key is a literal of its own');
      const q = summaryQuery(schema, WINDOW);
      assert.ok(q.includes(`${SCHEMA_NAMES[schema].dependencies}`));
      assert.ok(q.includes('bin_at(t, 3600s, datetime(1970-01-01))'), 'buckets counted from the epoch');
      assert.ok(/\| take \d+$/.test(q), 'bounded in rows');
    });
  }

  it('keeps times and buckets within bounds whatever it is given', () => {
    const q = summaryQuery('classic', { fromMs: -1e20, toMs: 1e20, bucketMs: 1 });
    assert.ok(q.includes('datetime(2000-01-01T00:00:00.000Z)'));
    assert.ok(q.includes('datetime(2200-01-01T00:00:00.000Z)'));
    assert.ok(q.includes('bin_at(t, 1s, datetime(1970-01-01))'));
  });
});

describe('metricsSummaryQuery', () => {
  const WINDOW = {
    fromMs: Date.parse('2026-11-30T00:00:00Z'),
    toMs: Date.parse('2026-12-01T00:00:00Z'),
    bucketMs: 604_800_000,
  };
  for (const schema of SCHEMAS) {
    it(`${schema}: binds against the metrics table, with the documented columns`, () => {
      const q = metricsSummaryQuery(schema, WINDOW);
      const result = checked(q, schema);
      assert.deepEqual(columnsOf(result), {
        metric: 'string',
        tokenType: 'string',
        model: 'string',
        service: 'string',
        errorType: 'string',
        bucket: 'datetime',
        values: 'real',
        total: 'real',
      });
      assert.ok(q.startsWith(schema === 'classic' ? 'customMetrics\n' : 'AppMetrics\n'));
      for (const name of ['gen_ai.client.token.usage', 'gen_ai.client.operation.duration'])
        assert.ok(result.literals.includes(name), name);
      // A week counted from 0001-01-01 (a Monday) would start on another day than the host's weeks.
      assert.ok(q.includes(', 604800s, datetime(1970-01-01))'), 'buckets counted from the epoch');
      assert.ok(q.includes('datetime(2026-11-30T00:00:00.000Z) .. datetime(2026-12-01T00:00:00.000Z)'));
      // Points that cannot be measurements are left out before they are summed.
      assert.ok(q.includes('between (0.0 .. 1e15)'), 'bounded values');
      assert.ok(q.includes('in ("input", "output")'), 'only the token types the figures read');
      assert.ok(/\| take \d+$/.test(q), 'bounded in rows');
    });
  }
});
