// Typed reader for the extension's settings. It knows which keys need the receiver restarted and
// which only change how the store or the views behave.

import * as vscode from 'vscode';
import type { CredentialChoice } from '../appInsights/credential';
import { readPricingSettings, type PricingSettings } from '../core/pricing';
import { parseForwardEndpoint } from '../otlp/forwarder';
import { CONFIG_SECTION } from './ids';

export interface ReceiverConfig {
  startOnStartup: boolean;
  host: string;
  port: number;
  maxRequestBytes: number;
  /** Requests read at once; beyond it they are answered 503 with Retry-After. */
  maxConcurrentRequests: number;
  /** The OTLP/gRPC port, or undefined when gRPC is off. */
  grpcPort: number | undefined;
  /** An OTLP/HTTP endpoint every accepted request is also sent to, or undefined. */
  forwardTo: string | undefined;
}

export interface AppInsightsConfig {
  /** The raw setting; targets.readConnections validates it. */
  connections: unknown;
  credential: CredentialChoice;
  tenant: string | undefined;
  endpoint: string;
  audience: string;
  timeRange: string;
  pageSize: number;
  queryTimeoutMs: number;
  maxTraces: number;
}

export interface Config {
  receiver: ReceiverConfig;
  /** Keep local traces across reloads and restarts, within this many bytes; undefined: in memory only. */
  persistBytes: number | undefined;
  appInsights: AppInsightsConfig;
  maxTraces: number;
  /** The local store's memory budget, in bytes. */
  maxMemoryBytes: number;
  maxSpansPerTrace: number;
  llmCallsOnly: boolean;
  /** Attribute and dimension values longer than this are cut in the conversation view's state. */
  maxAttributeLength: number;
  /** `view.previewConversations`: a trace opened from the sidebar replaces the preview tab's. */
  previewConversations: boolean;
  sessionAttributes: string[];
  userAttributes: string[];
  /** `pricing.models` and `pricing.azureDeployments`, with the entries that were not valid left out. */
  pricing: PricingSettings;
  /** Why entries of the price settings were left out, one line each (the log says so). */
  pricingProblems: string[];
}

export const DEFAULT_PORT = 4318;
export const DEFAULT_GRPC_PORT = 4317;

export function readConfig(): Config {
  const c = vscode.workspace.getConfiguration(CONFIG_SECTION);
  const pricing = readPricingSettings(
    c.get<unknown>('pricing.models'),
    c.get<unknown>('pricing.azureDeployments'),
  );
  return {
    receiver: {
      startOnStartup: c.get<boolean>('receiver.startOnStartup', true),
      host: c.get<string>('receiver.host', '127.0.0.1').trim() || '127.0.0.1',
      port: clampInt(c.get<number>('receiver.port', DEFAULT_PORT), 0, 65535, DEFAULT_PORT),
      maxRequestBytes: clampInt(
        c.get<number>('receiver.maxRequestBytes', 20 * 1024 * 1024),
        1024,
        1024 ** 3,
        20 * 1024 * 1024,
      ),
      maxConcurrentRequests: clampInt(c.get<number>('receiver.maxConcurrentRequests', 64), 1, 10_000, 64),
      grpcPort: c.get<boolean>('receiver.grpc', true)
        ? clampInt(c.get<number>('receiver.grpcPort', DEFAULT_GRPC_PORT), 0, 65535, DEFAULT_GRPC_PORT)
        : undefined,
      forwardTo: parseForwardEndpoint(c.get<string>('receiver.forwardTo', ''))?.toString(),
    },
    appInsights: readAppInsights(c),
    persistBytes: c.get<boolean>('store.persist', true)
      ? 1024 * 1024 * clampInt(c.get<number>('store.persistMaxMB', 200), 10, 4096, 200)
      : undefined,
    maxTraces: clampInt(c.get<number>('store.maxTraces', 1000), 10, 100_000, 1000),
    maxMemoryBytes: 1024 * 1024 * clampInt(c.get<number>('store.maxMemoryMB', 512), 64, 8192, 512),
    maxSpansPerTrace: clampInt(c.get<number>('store.maxSpansPerTrace', 10_000), 100, 1_000_000, 10_000),
    llmCallsOnly: c.get<boolean>('view.llmCallsOnly', false),
    maxAttributeLength: clampNumber(c.get<number>('view.maxAttributeLength', 2000), 100, 1_000_000, 2000),
    previewConversations: c.get<boolean>('view.previewConversations', true),
    sessionAttributes: stringList(c.get<unknown>('dimensions.sessionAttributes')),
    userAttributes: stringList(c.get<unknown>('dimensions.userAttributes')),
    pricing: pricing.settings,
    pricingProblems: pricing.problems,
  };
}

export const DEFAULT_LOGS_ENDPOINT = 'https://api.loganalytics.io/v1';
export const DEFAULT_LOGS_AUDIENCE = 'https://api.loganalytics.io';

function readAppInsights(c: vscode.WorkspaceConfiguration): AppInsightsConfig {
  const credential = c.get<string>('appInsights.credential', 'vscode');
  const tenant = c.get<string>('appInsights.tenant', '').trim();
  return {
    connections: c.get<unknown>('appInsights.connections', []),
    credential: credential === 'azureCli' || credential === 'default' ? credential : 'vscode',
    tenant: /^[\w.-]{1,100}$/.test(tenant) ? tenant : undefined,
    endpoint: httpsUrl(c.get<string>('appInsights.endpoint', DEFAULT_LOGS_ENDPOINT), DEFAULT_LOGS_ENDPOINT),
    audience: httpsUrl(c.get<string>('appInsights.audience', DEFAULT_LOGS_AUDIENCE), DEFAULT_LOGS_AUDIENCE),
    timeRange: c.get<string>('appInsights.timeRange', '1h'),
    pageSize: clampInt(c.get<number>('appInsights.pageSize', 100), 10, 1000, 100),
    queryTimeoutMs: 1000 * clampInt(c.get<number>('appInsights.queryTimeoutSeconds', 60), 5, 600, 60),
    maxTraces: clampInt(c.get<number>('appInsights.maxTraces', 500), 10, 10_000, 500),
  };
}

/** Bearer tokens go only over https: anything else falls back to the public cloud's endpoint. */
function httpsUrl(value: string | undefined, fallback: string): string {
  try {
    const url = new URL((value ?? '').trim());
    return url.protocol === 'https:' ? url.toString().replace(/\/+$/, '') : fallback;
  } catch {
    return fallback;
  }
}

export function affectsAppInsights(e: vscode.ConfigurationChangeEvent): boolean {
  return e.affectsConfiguration(`${CONFIG_SECTION}.appInsights`);
}

/** Settings whose change needs the receiver to be restarted to take effect. */
export function affectsReceiver(e: vscode.ConfigurationChangeEvent): boolean {
  return [
    'receiver.host',
    'receiver.port',
    'receiver.maxRequestBytes',
    'receiver.maxConcurrentRequests',
    'receiver.grpc',
    'receiver.grpcPort',
    'receiver.forwardTo',
  ].some((k) => e.affectsConfiguration(`${CONFIG_SECTION}.${k}`));
}

/** Settings that bound the local store (traces, memory, spans per trace). */
export function affectsStoreLimits(e: vscode.ConfigurationChangeEvent): boolean {
  return ['store.maxTraces', 'store.maxMemoryMB', 'store.maxSpansPerTrace'].some((k) =>
    e.affectsConfiguration(`${CONFIG_SECTION}.${k}`),
  );
}

/** Settings the normalizer reads: session and user attribute names, and prices (cost is read with usage). */
export function affectsNormalization(e: vscode.ConfigurationChangeEvent): boolean {
  return [
    'dimensions.sessionAttributes',
    'dimensions.userAttributes',
    'pricing.models',
    'pricing.azureDeployments',
  ].some((k) => e.affectsConfiguration(`${CONFIG_SECTION}.${k}`));
}

/**
 * Writes a setting where its effective value comes from: a workspace value wins over the user's, so writing
 * the user's would change nothing the user sees. With neither set, the user (global) setting is written.
 */
export async function updateEffectiveSetting(key: string, value: unknown): Promise<void> {
  const c = vscode.workspace.getConfiguration(CONFIG_SECTION);
  const where = c.inspect(key);
  const target =
    where?.workspaceValue !== undefined
      ? vscode.ConfigurationTarget.Workspace
      : vscode.ConfigurationTarget.Global;
  await c.update(key, value, target);
}

function clampInt(v: unknown, min: number, max: number, fallback: number): number {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max ? v : fallback;
}

/** Out of range is taken as the nearest bound (a length, unlike a port, has an obvious nearest value). */
function clampNumber(v: unknown, min: number, max: number, fallback: number): number {
  return typeof v === 'number' && Number.isFinite(v) ? Math.min(max, Math.max(min, Math.round(v))) : fallback;
}

function stringList(v: unknown): string[] {
  return Array.isArray(v)
    ? v.filter((x): x is string => typeof x === 'string' && x.trim() !== '').map((x) => x.trim())
    : [];
}
