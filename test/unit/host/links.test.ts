// Links to a trace or a session: the format round-trips, and a hostile link is refused with a reason.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatLink, LinkError, parseLink, MAX_SESSION_ID_LENGTH } from '../../../src/host/links';

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const WORKSPACE = '1b2c3d4e-0000-4000-8000-00000000abcd';
const COMPONENT =
  '/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/rg/providers/microsoft.insights/components/app';
const AUTHORITY = 'llm-trace-inspector.llm-trace-inspector';

/** Splits a link as vscode.Uri does (path and query), without the editor. */
function parse(link: string) {
  const url = new URL(link);
  return parseLink(decodeURIComponent(url.pathname), url.search.replace(/^\?/, ''));
}

function refused(path: string, query: string): string {
  try {
    parseLink(path, query);
  } catch (err) {
    assert.ok(err instanceof LinkError);
    return err.message;
  }
  assert.fail(`expected ${path}?${query} to be refused`);
}

describe('links', () => {
  it('formats and reads back a local trace, a cloud trace and a session', () => {
    for (const link of [
      { kind: 'trace' as const, traceId: TRACE },
      { kind: 'trace' as const, traceId: TRACE, connection: WORKSPACE },
      { kind: 'trace' as const, traceId: TRACE, connection: COMPONENT },
      { kind: 'session' as const, sessionId: 'sess lisbon/weekend&x=1 ü' },
      { kind: 'session' as const, sessionId: 'abc', connection: WORKSPACE },
    ]) {
      const text = formatLink('vscode', AUTHORITY, link);
      assert.ok(text.startsWith(`vscode://${AUTHORITY}/${link.kind}?id=`));
      assert.deepEqual(parse(text), link);
    }
  });

  it('reads an upper-case trace id as the lower-case one', () => {
    assert.deepEqual(parseLink('/trace', `id=${TRACE.toUpperCase()}`), { kind: 'trace', traceId: TRACE });
  });

  it('refuses hostile and broken links with the reason', () => {
    assert.match(refused('/run', `id=${TRACE}`), /neither a trace nor a session/);
    assert.match(refused('/../trace', `id=${TRACE}`), /neither/);
    assert.match(refused('/trace', ''), /no id/);
    assert.match(refused('/trace', `id=${TRACE}&id=${TRACE}`), /more than one id/);
    assert.match(refused('/trace', `id=${TRACE.slice(1)}`), /32 hexadecimal/);
    assert.match(refused('/trace', `id=${TRACE}0`), /32 hexadecimal/);
    assert.match(refused('/trace', 'id=../../etc/passwd'), /32 hexadecimal/);
    assert.match(refused('/trace', `id=${TRACE}&command=rm`), /unknown part "command"/);
    assert.match(refused('/trace', `id=${TRACE}&connection=not-an-id`), /not an Application Insights id/);
    assert.match(
      refused('/trace', `id=${TRACE}&connection=${WORKSPACE}&connection=${WORKSPACE}`),
      /more than one connection/,
    );
    assert.match(
      refused('/trace', `id=${TRACE}&connection=${encodeURIComponent(COMPONENT + '/../../x')}`),
      /not an Application Insights id/,
    );
    assert.match(refused('/session', 'id=%20%20'), /empty/);
    assert.match(refused('/session', `id=${'a'.repeat(MAX_SESSION_ID_LENGTH + 1)}`), /longer than/);
    assert.match(refused('/session', 'id=a%0Ab'), /control characters/);
    assert.match(refused('/session', 'id=a%E2%80%AEb'), /control characters/);
    assert.match(refused('/trace', `id=${TRACE}&x=${'y'.repeat(5000)}`), /too long/);
  });

  it('keeps an unknown part short and printable in its message', () => {
    const message = refused('/trace', `id=${TRACE}&${encodeURIComponent('\u0007' + 'k'.repeat(100))}=1`);
    assert.ok(message.length < 100);
    assert.ok(!message.includes('\u0007'));
  });
});
