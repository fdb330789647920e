// The one interface every trace source sits behind (the local receiver, each Application Insights
// connection, later each opened file). The tree, the conversation panels and Find by Session ID use only
// this; each source keeps what it has in a store of its own, so one source never evicts another's traces.

import type { SourceKind, TraceSummary } from './model';
import type { TraceStore } from './store';

export type PersonKind = 'session' | 'user';

export interface TraceSource {
  /** `local`, or `appInsights:<connection id>`: what panels and tree nodes remember. */
  readonly id: string;
  /** What the user calls it: "Local", or the connection's name. */
  readonly label: string;
  readonly kind: SourceKind;
  readonly store: TraceStore;
  /** Makes sure every span and log record of the trace is in the store (a cloud source fetches them). */
  loadTrace(traceId: string): Promise<void>;
  /** The traces of a session or a user, oldest first, loaded whole. */
  find(kind: PersonKind, value: string): Promise<TraceSummary[]>;
  /** Why a trace lacks content, when the source can tell (a role the reader lacks, say). */
  noteFor(traceId: string): string | undefined;
  /** Whether every row of the trace is in the store (a cloud list holds only the LLM calls). */
  isComplete(traceId: string): boolean;
}

export const LOCAL_SOURCE_ID = 'local';

/** The local receiver's traces: already whole when they are in the store. */
export class LocalSource implements TraceSource {
  readonly id = LOCAL_SOURCE_ID;
  readonly kind = 'otlp' as const;

  constructor(
    readonly store: TraceStore,
    readonly label = 'Local',
  ) {}

  loadTrace(): Promise<void> {
    return Promise.resolve();
  }

  find(kind: PersonKind, value: string): Promise<TraceSummary[]> {
    this.store.flush();
    return Promise.resolve(kind === 'session' ? this.store.findSession(value) : this.store.findUser(value));
  }

  noteFor(): string | undefined {
    return undefined;
  }

  isComplete(): boolean {
    return true;
  }
}
