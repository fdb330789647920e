// Links to a trace or a session that open it in the extension (`vscode://<publisher>.<name>/trace?id=…`),
// for a ticket or a chat. Pure, so the format and the parser are tested without an editor. An incoming
// link is untrusted input: every part is checked (the path is one of two words, a trace id is 32 hex
// digits, a session id is short printable text, a connection is an Application Insights id that parses
// as one) and anything else is refused with the reason.

import { parseTarget, targetId } from '../appInsights/targets';

export type Link =
  | { kind: 'trace'; traceId: string; connection?: string }
  | { kind: 'session'; sessionId: string; connection?: string };

export const MAX_SESSION_ID_LENGTH = 256;
/** The longest Azure resource id is far shorter; a link longer than this is not one of ours. */
const MAX_CONNECTION_LENGTH = 512;
const MAX_QUERY_LENGTH = 2048;
const TRACE_ID = /^[0-9a-f]{32}$/;
// No control characters (C0, DEL, C1), no bidirectional overrides, no line or paragraph separators.
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u2028-\u202e\u2066-\u2069]/;

/** `scheme://authority/kind?id=…&connection=…`; `authority` is the extension's id. */
export function formatLink(scheme: string, authority: string, link: Link): string {
  const params = new URLSearchParams();
  params.set('id', link.kind === 'trace' ? link.traceId.toLowerCase() : link.sessionId);
  if (link.connection) params.set('connection', link.connection);
  return `${scheme}://${authority}/${link.kind}?${params.toString()}`;
}

export class LinkError extends Error {
  override name = 'LinkError';
}

/** A link's path and query (as vscode.Uri gives them, already split); throws LinkError with the reason. */
export function parseLink(path: string, query: string): Link {
  if (query.length > MAX_QUERY_LENGTH) throw new LinkError('the link is too long');
  const kind = path.replace(/^\/+/, '').replace(/\/+$/, '');
  if (kind !== 'trace' && kind !== 'session')
    throw new LinkError('the link names neither a trace nor a session');
  const params = new URLSearchParams(query);
  for (const key of params.keys()) {
    if (key !== 'id' && key !== 'connection')
      throw new LinkError(`the link has an unknown part "${short(key)}"`);
  }
  const ids = params.getAll('id');
  if (ids.length !== 1)
    throw new LinkError(ids.length ? 'the link names more than one id' : 'the link has no id');
  const id = ids[0]!;
  const connections = params.getAll('connection');
  if (connections.length > 1) throw new LinkError('the link names more than one connection');
  const connection = connections[0] === undefined ? undefined : checkConnection(connections[0]);
  if (kind === 'trace') {
    const traceId = id.toLowerCase();
    if (!TRACE_ID.test(traceId)) throw new LinkError('the trace id is not 32 hexadecimal characters');
    return connection ? { kind, traceId, connection } : { kind, traceId };
  }
  if (id.trim() === '') throw new LinkError('the session id is empty');
  if (id.length > MAX_SESSION_ID_LENGTH)
    throw new LinkError(`the session id is longer than ${MAX_SESSION_ID_LENGTH} characters`);
  if (UNPRINTABLE.test(id)) throw new LinkError('the session id holds control characters');
  return connection ? { kind, sessionId: id, connection } : { kind, sessionId: id };
}

/** A connection is named by its id as the settings hold it: a workspace GUID or a resource id. */
function checkConnection(value: string): string {
  if (value.length > MAX_CONNECTION_LENGTH || UNPRINTABLE.test(value))
    throw new LinkError('the connection is not an Application Insights id');
  const target = parseTarget(value);
  if (!target || targetId(target) !== value.toLowerCase())
    throw new LinkError('the connection is not an Application Insights id');
  return value.toLowerCase();
}

function short(s: string): string {
  const clean = s.replace(UNPRINTABLE, '?');
  return clean.length > 40 ? `${clean.slice(0, 40)}…` : clean;
}
