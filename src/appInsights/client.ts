// Runs KQL against one Application Insights connection through the Azure Monitor Logs query client
// (@azure/monitor-query-logs, the successor of @azure/monitor-query), and turns every way a query can fail
// into an AppInsightsQueryError that says what happened and what to do. No vscode here: the host passes a
// TokenCredential, the endpoint and the audience.

import type { TokenCredential } from '@azure/core-auth';
import { LogsQueryClient, LogsQueryResultStatus, type LogsTable } from '@azure/monitor-query-logs';
import type { AppInsightsSchema } from './kql';

/** What a connection points at: the schema follows from it. */
export type AppInsightsTarget =
  | { kind: 'component'; resourceId: string }
  | { kind: 'workspaceResource'; resourceId: string }
  | { kind: 'workspace'; workspaceId: string };

export function schemaOf(target: AppInsightsTarget): AppInsightsSchema {
  return target.kind === 'component' ? 'classic' : 'workspace';
}

/** One result row by column name: datetime cells as Date, dynamic cells parsed. */
export type QueryRow = Record<string, unknown>;

export interface QueryAnswer {
  rows: QueryRow[];
  /** Set when the service answered only part of the query (the client's PartialFailure). */
  partialError?: string;
}

export interface TimeWindow {
  startMs: number;
  endMs: number;
}

export interface QueryRunner {
  run(query: string, window: TimeWindow): Promise<QueryAnswer>;
}

export type QueryErrorKind =
  'notSignedIn' | 'forbidden' | 'notFound' | 'throttled' | 'badQuery' | 'timeout' | 'offline' | 'service';

/** A failed query: `message` says what happened, `action` what to do about it. */
export class AppInsightsQueryError extends Error {
  override name = 'AppInsightsQueryError';
  constructor(
    readonly kind: QueryErrorKind,
    message: string,
    readonly action: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface QueryRunnerOptions {
  /** The Logs API, e.g. https://api.loganalytics.io/v1 (Azure China and US Government have their own). */
  endpoint: string;
  /** Token audience, e.g. https://api.loganalytics.io; the scope asked for is `${audience}/.default`. */
  audience: string;
  /** Client-side limit per query. */
  timeoutMs: number;
  /** Retries of 429/503 (the client honours Retry-After); small in tests. */
  maxRetries?: number;
  retryDelayMs?: number;
  /**
   * The CA certificates (PEM) to trust, for a Logs API behind a private CA; the tests trust the loopback
   * stand-in's throw-away certificate with it. Passed to the client as `tlsOptions.ca`, which REPLACES the
   * well-known CAs: leave it unset for Azure.
   */
  tlsCa?: string | Buffer;
}

export function createQueryRunner(
  target: AppInsightsTarget,
  credential: TokenCredential,
  options: QueryRunnerOptions,
): QueryRunner {
  const client = new LogsQueryClient(credential, {
    endpoint: options.endpoint.replace(/\/+$/, ''),
    // The client's own `audience` option is ignored by @azure/monitor-query-logs 1.0.0 (it always asks for
    // https://api.loganalytics.io/.default): the scope goes in through `credentials`.
    credentials: { scopes: [`${options.audience.replace(/\/+$/, '')}/.default`] },
    retryOptions: {
      maxRetries: options.maxRetries ?? 3,
      retryDelayInMs: options.retryDelayMs ?? 800,
      maxRetryDelayInMs: 30_000,
    },
    ...(options.tlsCa !== undefined ? { tlsOptions: { ca: options.tlsCa } } : {}),
  });
  return {
    async run(query, window) {
      const timespan = { startTime: new Date(window.startMs), endTime: new Date(window.endMs) };
      const queryOptions = {
        serverTimeoutInSeconds: Math.max(1, Math.ceil(options.timeoutMs / 1000)),
        requestOptions: { timeout: options.timeoutMs },
      };
      let result;
      try {
        result =
          target.kind === 'workspace'
            ? await client.queryWorkspace(target.workspaceId, query, timespan, queryOptions)
            : await client.queryResource(target.resourceId, query, timespan, queryOptions);
      } catch (err) {
        throw toQueryError(err, target);
      }
      if (result.status === LogsQueryResultStatus.PartialFailure) {
        const e = result.partialError as { code?: string; message?: string } | undefined;
        return {
          rows: tableRows(result.partialTables[0]),
          partialError: [e?.code, e?.message].filter(Boolean).join(': ') || 'part of the query failed',
        };
      }
      return { rows: tableRows(result.tables[0]) };
    },
  };
}

function tableRows(table: LogsTable | undefined): QueryRow[] {
  if (!table) return [];
  const names = table.columnDescriptors.map((c) => c.name ?? '');
  return table.rows.map((cells) => {
    const row: QueryRow = {};
    names.forEach((name, i) => (row[name] = cells[i]));
    return row;
  });
}

const ROLES = {
  reader:
    'the Log Analytics Reader role (or Monitoring Reader) on the resource, its resource group or subscription',
  content: 'the Privileged Monitoring Data Reader role, besides Log Analytics Reader',
};

/** What a failed call means, in the user's terms. Exported for the tests. */
export function toQueryError(err: unknown, target: AppInsightsTarget): AppInsightsQueryError {
  if (err instanceof AppInsightsQueryError) return err;
  const e = err as {
    name?: string;
    code?: string;
    statusCode?: number;
    message?: string;
    details?: { error?: { code?: string; message?: string; innererror?: { message?: string } } };
  };
  const what = targetName(target);
  const status = e?.statusCode;
  const inner = e?.details?.error;
  const serviceText = [inner?.message, inner?.innererror?.message].filter(Boolean).join(' ');
  const detail = serviceText || e?.message || String(err);
  if (e?.name === 'CredentialUnavailableError' || e?.name === 'AuthenticationRequiredError') {
    return new AppInsightsQueryError(
      'notSignedIn',
      `Not signed in to Azure: ${e.message ?? ''}`.trim(),
      'Sign in to Azure (LLM Trace Inspector: Sign In to Azure); with llmTraceInspector.appInsights.credential set to azureCli, run az login first.',
      undefined,
      { cause: err },
    );
  }
  if (status === 401) {
    return new AppInsightsQueryError(
      'notSignedIn',
      `Azure refused the sign-in for ${what} (401): ${detail}`,
      'Sign in again; for a guest account, set llmTraceInspector.appInsights.tenant to the tenant of the resource.',
      status,
      { cause: err },
    );
  }
  if (status === 403) {
    return new AppInsightsQueryError(
      'forbidden',
      `Your account may not read ${what} (403): ${detail}`,
      `Ask for ${ROLES.reader}.`,
      status,
      { cause: err },
    );
  }
  if (status === 404) {
    return new AppInsightsQueryError(
      'notFound',
      `${what} was not found (404): ${detail}`,
      'Check the connection: the resource may have been moved or deleted, or belongs to another tenant.',
      status,
      { cause: err },
    );
  }
  if (status === 429) {
    return new AppInsightsQueryError(
      'throttled',
      `Azure Monitor throttled the queries to ${what} (429), also after waiting as it asked.`,
      'Wait a minute and refresh, or shorten the time range.',
      status,
      { cause: err },
    );
  }
  if (status === 400) {
    return new AppInsightsQueryError(
      'badQuery',
      `The Logs API refused the query (400): ${detail}`,
      'Copy the query (Open Query in Log Analytics) and run it there to see the error; report it if it persists.',
      status,
      { cause: err },
    );
  }
  if (status === 504 || e?.name === 'AbortError' || /timed? ?out|timeout/i.test(e?.message ?? '')) {
    return new AppInsightsQueryError(
      'timeout',
      `The query to ${what} did not finish in time.`,
      'Shorten the time range, or raise llmTraceInspector.appInsights.queryTimeoutSeconds.',
      status,
      { cause: err },
    );
  }
  if (status !== undefined && status >= 500) {
    return new AppInsightsQueryError(
      'service',
      `Azure Monitor answered ${status} for ${what}: ${detail}`,
      'The service may be having trouble; try again in a few minutes.',
      status,
      { cause: err },
    );
  }
  if (
    /ENOTFOUND|ECONNREFUSED|ECONNRESET|EAI_AGAIN|ENETUNREACH|ETIMEDOUT|network|fetch failed/i.test(detail)
  ) {
    return new AppInsightsQueryError(
      'offline',
      `Could not reach the Azure Monitor Logs API: ${detail}`,
      'Check the network connection (and proxy settings); local traces keep working meanwhile.',
      status,
      { cause: err },
    );
  }
  return new AppInsightsQueryError(
    'service',
    `The query to ${what} failed: ${detail}`,
    'Show the log for details.',
    status,
    { cause: err },
  );
}

/** The role a reader lacks when a workspace returns no GenAI content. */
export const CONTENT_ROLE_HINT = ROLES.content;

function targetName(target: AppInsightsTarget): string {
  if (target.kind === 'workspace') return `workspace ${target.workspaceId}`;
  const name = target.resourceId.split('/').filter(Boolean).pop() ?? target.resourceId;
  return target.kind === 'component' ? `Application Insights resource ${name}` : `workspace ${name}`;
}
