// What a user may paste to connect, and what a connection in the settings holds: an Application Insights
// component's ARM resource id, a Log Analytics workspace's resource id, or a workspace id (a GUID). Each is
// validated here, so nothing else has to trust a string from the settings or the clipboard.

import type { AppInsightsTarget } from './client';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// ARM names: letters, digits and - _ . ( ) ; resource group names allow those too.
const SEGMENT = '[\\w.()-]{1,260}';
const COMPONENT = new RegExp(
  `^/subscriptions/(${GUID.source.slice(1, -1)})/resourceGroups/(${SEGMENT})/providers/microsoft\\.insights/components/(${SEGMENT})$`,
  'i',
);
const WORKSPACE = new RegExp(
  `^/subscriptions/(${GUID.source.slice(1, -1)})/resourceGroups/(${SEGMENT})/providers/microsoft\\.operationalinsights/workspaces/(${SEGMENT})$`,
  'i',
);

/** A connection as the setting `llmTraceInspector.appInsights.connections` stores it: identifiers only. */
export interface ConnectionSetting {
  name?: string;
  /** An Application Insights component or a Log Analytics workspace, as an ARM resource id. */
  resourceId?: string;
  /** A Log Analytics workspace id (GUID). */
  workspaceId?: string;
}

export interface Connection {
  /** Stable within the settings: the target's id in lower case. */
  id: string;
  name: string;
  target: AppInsightsTarget;
}

/**
 * Reads a pasted id, or a portal URL that contains one (`.../resource/subscriptions/.../overview`).
 * Returns undefined when it is none of the three forms.
 */
export function parseTarget(input: string): AppInsightsTarget | undefined {
  let text = input.trim();
  if (GUID.test(text)) return { kind: 'workspace', workspaceId: text.toLowerCase() };
  const fromUrl = /\/subscriptions\/[^?#]+/i.exec(text);
  if (!text.startsWith('/') && fromUrl) text = fromUrl[0];
  text = text.replace(/\/+$/, '');
  const parts = text.split('/');
  for (const [re, kind] of [
    [COMPONENT, 'component'],
    [WORKSPACE, 'workspaceResource'],
  ] as const) {
    // A portal URL may go on after the resource (/overview, /logs): keep the first 9 segments.
    const candidate = parts.slice(0, 9).join('/');
    if (re.test(candidate)) return { kind, resourceId: candidate };
  }
  return undefined;
}

/** The settings' connections, each validated; the ones that are not are reported, not dropped silently. */
export function readConnections(value: unknown): { connections: Connection[]; invalid: string[] } {
  const connections: Connection[] = [];
  const invalid: string[] = [];
  const seen = new Set<string>();
  for (const item of Array.isArray(value) ? value : []) {
    const setting = (typeof item === 'object' && item !== null ? item : {}) as ConnectionSetting;
    const raw = typeof setting.workspaceId === 'string' ? setting.workspaceId : setting.resourceId;
    const target = typeof raw === 'string' ? parseTarget(raw) : undefined;
    if (!target) {
      invalid.push(JSON.stringify(item).slice(0, 200));
      continue;
    }
    const id = targetId(target);
    if (seen.has(id)) continue;
    seen.add(id);
    const name =
      typeof setting.name === 'string' && setting.name.trim() ? setting.name.trim() : defaultName(target);
    connections.push({ id, name, target });
  }
  return { connections, invalid };
}

export function targetId(target: AppInsightsTarget): string {
  return (target.kind === 'workspace' ? target.workspaceId : target.resourceId).toLowerCase();
}

/** The setting entry for a target. */
export function toSetting(name: string, target: AppInsightsTarget): ConnectionSetting {
  return target.kind === 'workspace'
    ? { name, workspaceId: target.workspaceId }
    : { name, resourceId: target.resourceId };
}

/** The resource's own name, or "workspace 1b2c3d4e" for a bare workspace id. */
export function defaultName(target: AppInsightsTarget): string {
  if (target.kind === 'workspace') return `workspace ${target.workspaceId.slice(0, 8)}`;
  return target.resourceId.split('/').pop() ?? target.resourceId;
}

/** What kind of thing a target is, in words. */
export function describeTarget(target: AppInsightsTarget): string {
  switch (target.kind) {
    case 'component':
      return 'Application Insights resource';
    case 'workspaceResource':
      return 'Log Analytics workspace';
    case 'workspace':
      return 'Log Analytics workspace (by id)';
  }
}
